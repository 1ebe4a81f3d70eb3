import type { Log, ServerDefinition } from '@mcpkit/types'
import {
  Client,
  type ClientCapabilities,
  type jsonSchemaValidator,
  ProtocolError,
  ProtocolErrorCode,
  type ResponseCacheStore,
} from '@modelcontextprotocol/client'
import { withSchemaDefaults } from './elicitation-defaults.js'
import type { OnDemandKind, ProgressUpdate, ServerHandlers } from './handlers.js'
import { tracedHandler } from './tracing.js'
import { CLIENT_INFO } from './version.js'

/** The default of a server definition's `maxListPages`. */
export const DEFAULT_MAX_LIST_PAGES = 64

export interface SdkClientOptions {
  /** The server's name (its key in `servers`), for spans. */
  serverName: string
  definition: ServerDefinition
  handlers: ServerHandlers
  /** Validates tool outputs against their `outputSchema`; shared by the client's servers. */
  outputValidator: jsonSchemaValidator
  log: Log
  /** The server said its tool list changed. */
  onToolListChanged: () => void
  /** The response cache (this server's part of it) and the client's authorization context. */
  responseCache: { store: ResponseCacheStore; partition: string }
}

/**
 * The SDK `Client` for one connection attempt, its notification and request handlers
 * registered: they route to the handlers `MCPClient` keeps per server, so they outlive the
 * connection. Resource and prompt notifications are routed once a handler of their kind exists
 * (`routeNotifications`): most clients never add one, and each route costs the SDK a wrapper. The same handlers answer a legacy server's requests and the requests a modern
 * server embeds in `input_required` results (the SDK fulfils those and retries the call).
 *
 * It announces `elicitation` (form mode) always, `sampling` when a sampling handler is
 * registered (or the definition's `capabilities` has it), and `roots` when the server has a
 * roots list. The era is set by `connectClient` from the definition's `protocolVersion`.
 */
export function createSdkClient(options: SdkClientOptions): Client {
  const { definition, handlers, log } = options
  const declared = definition.capabilities ?? {}
  const sampling = handlers.sampling !== undefined || declared.sampling !== undefined
  const roots = handlers.roots !== undefined || declared.roots !== undefined
  const client = new Client(CLIENT_INFO, {
    // mcpkit's capability type is looser than the SDK's JSON types; the values are the user's.
    capabilities: {
      ...declared,
      elicitation: declared.elicitation ?? {},
      ...(sampling ? { sampling: declared.sampling ?? {} } : {}),
      ...(roots ? { roots: { listChanged: true, ...declared.roots } } : {}),
    } as ClientCapabilities,
    jsonSchemaValidator: options.outputValidator,
    responseCacheStore: options.responseCache.store,
    cachePartition: options.responseCache.partition,
    // A server whose `nextCursor` never ends fails the list instead of running forever.
    listMaxPages: definition.maxListPages ?? DEFAULT_MAX_LIST_PAGES,
  })
  client.setNotificationHandler('notifications/tools/list_changed', () => {
    options.onToolListChanged()
    emit(handlers.toolListChanged, undefined, log)
  })
  for (const kind of ON_DEMAND_KINDS) {
    if (handlers[kind]) routeNotifications(client, kind, handlers, log)
  }
  // Replaces the SDK's own progress routing: a call's `runId` is its token, which the SDK's
  // per-request tokens would override.
  client.setNotificationHandler('notifications/progress', ({ params }) => {
    const update: ProgressUpdate = {
      progressToken: String(params.progressToken),
      progress: params.progress,
    }
    if (params.total !== undefined) update.total = params.total
    if (params.message !== undefined) update.message = params.message
    emit(handlers.progress, update, log)
  })
  if (definition.enableServerLogs !== false) {
    client.setNotificationHandler('notifications/message', ({ params }) => {
      const message = typeof params.data === 'string' ? params.data : JSON.stringify(params.data)
      log(params.level, message, {
        source: 'server',
        ...(params.logger ? { logger: params.logger } : {}),
      })
    })
  }
  // The server's requests run in SERVER spans, children of the span that asked: its trace
  // context comes in the request's `_meta`, on a 2025 session and in `input_required` alike
  // (read from the context: the SDK's 2026-07-28 sampling schema drops `params._meta`).
  const traceAttributes = () => {
    const sessionId = client.transport?.sessionId
    return {
      'mcpkit.server.name': options.serverName,
      ...(sessionId ? { 'mcp.session.id': sessionId } : {}),
    }
  }
  client.setRequestHandler('elicitation/create', (request, ctx) =>
    tracedHandler('elicitation/create', ctx.mcpReq._meta, traceAttributes(), async () => {
      const handler = handlers.elicitation
      if (!handler) {
        log(
          'warning',
          'declined an elicitation request: no handler is registered (elicitation.onRequest)',
        )
        return { action: 'decline' as const }
      }
      if (request.params.mode === 'url') {
        log('warning', 'declined a URL-mode elicitation request: this client offers forms only')
        return { action: 'decline' as const }
      }
      return withSchemaDefaults(request.params, await handler(request.params))
    }),
  )
  if (sampling) {
    client.setRequestHandler('sampling/createMessage', (request, ctx) =>
      tracedHandler('sampling/createMessage', ctx.mcpReq._meta, traceAttributes(), () => {
        const handler = handlers.sampling
        if (!handler) {
          throw new ProtocolError(
            ProtocolErrorCode.InvalidRequest,
            'This client has no sampling handler for this server (sampling.onRequest).',
          )
        }
        return handler(request.params)
      }),
    )
  }
  if (roots) {
    client.setRequestHandler('roots/list', (_request, ctx) =>
      tracedHandler('roots/list', ctx.mcpReq._meta, traceAttributes(), () => ({
        roots: [...(handlers.roots ?? [])],
      })),
    )
  }
  client.onerror = (error) => log('debug', `transport: ${error.message}`)
  return client
}

const ON_DEMAND_KINDS: readonly OnDemandKind[] = [
  'resourceUpdated',
  'resourceListChanged',
  'promptListChanged',
]

/**
 * Routes the server's notifications of `kind` on `client` to the server's handlers of that
 * kind. Idempotent (the SDK keeps one handler per method): called for each handler added while
 * a connection is open or being opened, and for a new connection when its kind has handlers.
 */
export function routeNotifications(
  client: Client,
  kind: OnDemandKind,
  handlers: ServerHandlers,
  log: Log,
): void {
  switch (kind) {
    case 'resourceUpdated':
      client.setNotificationHandler('notifications/resources/updated', ({ params }) =>
        emit(handlers.resourceUpdated, { uri: params.uri }, log),
      )
      return
    case 'resourceListChanged':
      client.setNotificationHandler('notifications/resources/list_changed', () =>
        emit(handlers.resourceListChanged, undefined, log),
      )
      return
    case 'promptListChanged':
      client.setNotificationHandler('notifications/prompts/list_changed', () =>
        emit(handlers.promptListChanged, undefined, log),
      )
  }
}

/** Calls each handler of `set`; one that throws is logged and does not stop the others. */
function emit<Argument>(
  set: Set<(argument: Argument) => void> | undefined,
  argument: Argument,
  log: Log,
): void {
  if (!set) return
  for (const handler of set) {
    try {
      handler(argument)
    } catch (error) {
      log('error', `a notification handler threw: ${String(error)}`)
    }
  }
}
