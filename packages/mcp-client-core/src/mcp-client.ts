import { validateRoots, validateServerDefinition } from '@mcpkit/transports'
import {
  type ApprovalOptions,
  type AuthenticateOptions,
  attachAuthProvider,
  type LogHandler,
  logTo,
  MCPClientError,
  type MCPKitError,
  type ProtocolEra,
  type RequestContext,
  type Root,
  type ServerDefinition,
} from '@mcpkit/types'
import type {
  GetPromptResult,
  Prompt,
  PromptMessage,
  Tool as ProtocolTool,
  ReadResourceResult,
  Resource,
  ResourceTemplateType,
} from '@modelcontextprotocol/client'
import { authenticate } from './authenticate.js'
import {
  defaultResponseStore,
  type MCPClientCacheOptions,
  ProtocolEraCache,
} from './client-cache.js'
import { checkDefinitionKeys } from './definition-keys.js'
import {
  type ElicitationHandler,
  handlerSet,
  type NotificationHandlers,
  type OnDemandKind,
  type ProgressUpdate,
  type SamplingHandler,
  type ServerHandlers,
} from './handlers.js'
import { InputValidatorCache } from './input-validator.js'
import {
  configurationFingerprint,
  registerInstance,
  unregisterInstance,
} from './instance-registry.js'
import type { MCPTool } from './mcp-tool.js'
import { getPrompt, listPrompts } from './prompts.js'
import {
  listResources,
  listResourceTemplates,
  readResource,
  subscribe,
  unsubscribe,
} from './resources.js'
import { ServerConnection } from './server-connection.js'
import { distinctToolId } from './tool-id.js'
import { freeKey, setOwn, toolsetOf } from './tool-map.js'

const DEFAULT_TIMEOUT_MS = 60_000

/** Options of `new MCPClient()`. */
export interface MCPClientOptions {
  /** Distinguishes clients with identical configurations; see the instance registry. */
  id?: string
  /** The servers, by the name used in tool ids and in every method. */
  servers: Record<string, ServerDefinition>
  /** Connect and per-request timeout in milliseconds, for servers that set none. Default 60000. */
  timeout?: number
  /** Log handler for servers that have no `logger` of their own. */
  logger?: LogHandler
  /**
   * Who decides the calls that a server's `requireToolApproval` holds (`handler`: a callback
   * or an `ApprovalQueue`), for whom (`principal`), and the audit hook. Without a handler,
   * those calls are denied.
   */
  approval?: ApprovalOptions
  /**
   * What this client may share with other clients, and its authorization context: the
   * response cache and the protocol eras learned. `MCPClientPool` passes one to `create`; a
   * client without one shares nothing.
   */
  cache?: MCPClientCacheOptions
  /**
   * A key no server definition has (a typo such as `headres`) is an `INVALID_DEFINITION`
   * error instead of a warning to the logger. Default `false`.
   */
  strict?: boolean
}

/** Options of list calls: the request context reaches the custom `fetch` of HTTP servers. */
export interface ListOptions {
  requestContext?: RequestContext | null
}

/** A tool as `tools/list` described it, with its server's name: plain JSON. */
export type ToolDefinition = ProtocolTool & { serverName: string }

/** Tools by flat id, with the servers that could not list theirs. */
export interface ToolsWithErrors {
  tools: Record<string, MCPTool>
  errors: Record<string, MCPKitError>
}

/** Tools by server, with the servers that could not list theirs. */
export interface ToolsetsWithErrors {
  toolsets: Record<string, Record<string, MCPTool>>
  errors: Record<string, MCPKitError>
}

/** What `prompts.get` returns. */
export interface PromptWithMessages {
  prompt: Prompt
  messages: PromptMessage[]
}

type Unsubscribe = () => void

/** Every client's schema checks: one table for the process (see `InputValidatorCache`). */
const validators = new InputValidatorCache()

/**
 * Parks `client`'s servers while it idles in a pool (their standing streams close, stateless
 * connections rest), or makes them ready again (see `MCPClientPool`'s `streamIdleTtl`). Not
 * exported from the package.
 */
export let setParked: (client: MCPClient, parked: boolean) => void

/**
 * Connects to many MCP servers and hands their tools to agents. Connections open lazily, on
 * the first call that needs a server, in parallel across servers.
 */
export class MCPClient {
  /** The `id` given at construction, if any. */
  readonly id: string | undefined
  readonly #servers = new Map<string, ServerConnection>()
  readonly #registryKey: string
  #disconnecting: Promise<void> | undefined

  static {
    setParked = (client, parked) => {
      if (client.#disconnecting) return
      for (const server of client.#servers.values()) {
        if (parked) server.park()
        else server.resume()
      }
    }
  }

  constructor(options: MCPClientOptions) {
    if (options === null || typeof options !== 'object') {
      throw new MCPClientError(
        'INVALID_CONFIGURATION',
        'new MCPClient(options): options must be an object with `servers`.',
      )
    }
    const {
      id,
      servers,
      timeout = DEFAULT_TIMEOUT_MS,
      logger,
      approval,
      cache = {},
      strict = false,
    } = options
    if (servers === null || typeof servers !== 'object' || Array.isArray(servers)) {
      throw new MCPClientError(
        'INVALID_CONFIGURATION',
        'new MCPClient(options): `servers` must be an object mapping server names to definitions.',
      )
    }
    if (typeof timeout !== 'number' || !(timeout > 0)) {
      throw new MCPClientError(
        'INVALID_CONFIGURATION',
        '`timeout` must be a positive number of milliseconds.',
      )
    }
    // Everything that can throw runs before the client registers itself: a constructor that
    // fails must leave no registry entry behind, or a retry would report DUPLICATE_INSTANCE.
    if (
      cache === null ||
      typeof cache !== 'object' ||
      (cache.partition !== undefined && typeof cache.partition !== 'string')
    ) {
      throw new MCPClientError(
        'INVALID_CONFIGURATION',
        '`cache` must be an object; its `partition`, when given, a string.',
      )
    }
    const shared = {
      partition: cache.partition ?? '',
      responses: cache.responses ?? defaultResponseStore(),
      eras: cache.eras ?? new ProtocolEraCache(),
    }
    for (const [name, definition] of Object.entries(servers)) {
      checkDefinitionKeys(name, definition, {
        strict,
        warn: (message) => warnUnknownKeys(definition?.logger ?? logger, name, message),
      })
      validateServerDefinition(name, definition)
      // A provider without `serverUrl` (the seed's MCPOAuthClientProvider) takes this one.
      attachAuthProvider(name, definition)
      this.#servers.set(
        name,
        new ServerConnection({
          name,
          definition,
          timeout,
          logger,
          validators,
          approval,
          cache: shared,
        }),
      )
    }
    this.id = id
    this.#registryKey =
      id === undefined
        ? `config:${configurationFingerprint({ servers, timeout, logger, approval, cache })}`
        : `id:${id}`
    registerInstance(this.#registryKey, this, id)
  }

  /** The configured server names. */
  get serverNames(): string[] {
    return [...this.#servers.keys()]
  }

  /**
   * The protocol revision negotiated with each server (`'2026-07-28'` for the modern era,
   * `'2025-11-25'` or older for the legacy one), keyed by server name; `undefined` for servers
   * not connected yet. The name `@mastra/mcp` 2.x uses.
   */
  getServerProtocolVersions(): Record<string, string | undefined> {
    const versions: Record<string, string | undefined> = {}
    for (const [name, server] of this.#servers) versions[name] = server.negotiated?.protocolVersion
    return versions
  }

  /**
   * The protocol era each server speaks (`'modern'`: 2026-07-28; `'legacy'`: the `initialize`
   * handshake), keyed by server name; `undefined` for servers not connected yet.
   */
  getServerProtocolEras(): Record<string, ProtocolEra | undefined> {
    const eras: Record<string, ProtocolEra | undefined> = {}
    for (const [name, server] of this.#servers) eras[name] = server.negotiated?.era
    return eras
  }

  /**
   * Adds a resource or prompt notification handler: the server's notifications of that kind
   * are routed from now on, and its standing stream opens if it had none.
   */
  #notifying<Kind extends OnDemandKind>(
    serverName: string,
    kind: Kind,
    handler: NotificationHandlers[Kind],
  ): Unsubscribe {
    const server = this.#server(serverName)
    const unsubscribe = addHandler(handlerSet(server.handlers, kind), handler)
    server.listenForNotifications(kind)
    return unsubscribe
  }

  #server(serverName: string): ServerConnection {
    const server = this.#servers.get(serverName)
    if (server) return server
    if (this.#disconnecting) {
      throw new MCPClientError(
        'DISCONNECTED',
        'The client was disconnected. Create a new MCPClient to connect again.',
      )
    }
    const known = this.serverNames.map((name) => `"${name}"`).join(', ') || '(none)'
    throw new MCPClientError(
      'SERVER_NOT_FOUND',
      `No server named "${serverName}". Configured servers: ${known}.`,
      { serverName },
    )
  }

  // ── tools ───────────────────────────────────────────────────────────────────

  /**
   * Every server's tools, flat, keyed `<server>_<tool>`: for agents built once. A server that
   * fails is logged and left out; if every server fails, this throws. Use
   * `listToolsWithErrors()` to see failures.
   */
  async listTools(options: ListOptions = {}): Promise<Record<string, MCPTool>> {
    const { tools, errors } = await this.listToolsWithErrors(options)
    throwIfAllFailed(this.#servers.size, errors)
    return tools
  }

  /**
   * Every server's tools, by server: `{ server: { tool } }`, for per-request toolsets. A warm
   * call (cached lists) makes no network round trip.
   */
  async listToolsets(options: ListOptions = {}): Promise<Record<string, Record<string, MCPTool>>> {
    const { toolsets, errors } = await this.listToolsetsWithErrors(options)
    throwIfAllFailed(this.#servers.size, errors)
    return toolsets
  }

  /** Like `listTools()`, and which servers failed, with their errors. */
  async listToolsWithErrors(options: ListOptions = {}): Promise<ToolsWithErrors> {
    const { toolsets, errors } = await this.listToolsetsWithErrors(options)
    const tools: Record<string, MCPTool> = {}
    for (const serverTools of Object.values(toolsets)) {
      for (const tool of Object.values(serverTools)) {
        if (!Object.hasOwn(tools, tool.id)) {
          setOwn(tools, tool.id, tool)
          continue
        }
        const id = freeKey(tools, tool.id, (occurrence) =>
          distinctToolId(tool.serverName, tool.name, occurrence),
        )
        this.#servers
          .get(tool.serverName)
          ?.log(
            'warning',
            `tool id "${tool.id}" is taken by another tool; "${tool.name}" is listed as "${id}"`,
          )
        setOwn(
          tools,
          id,
          Object.defineProperties(
            {},
            { ...Object.getOwnPropertyDescriptors(tool), id: { value: id, enumerable: true } },
          ) as MCPTool,
        )
      }
    }
    return { tools, errors }
  }

  /** Like `listToolsets()`, and which servers failed, with their errors. */
  async listToolsetsWithErrors(options: ListOptions = {}): Promise<ToolsetsWithErrors> {
    this.#assertOpen()
    const toolsets: Record<string, Record<string, MCPTool>> = {}
    const errors: Record<string, MCPKitError> = {}
    const pending: ServerConnection[] = []
    // Warm path: every cached list is read synchronously.
    for (const server of this.#servers.values()) {
      const cached = server.cachedTools()
      if (cached) setOwn(toolsets, server.name, toolsetOf(cached))
      else pending.push(server)
    }
    if (pending.length === 0) return { toolsets, errors }

    const requestContext = options.requestContext ?? null
    const loaded = await Promise.allSettled(pending.map((server) => server.tools(requestContext)))
    loaded.forEach((outcome, index) => {
      const server = pending[index]!
      if (outcome.status === 'fulfilled') {
        setOwn(toolsets, server.name, toolsetOf(outcome.value))
      } else {
        errors[server.name] = outcome.reason as MCPKitError
        server.log('error', `could not list tools: ${describe(outcome.reason)}`)
      }
    })
    // Keep the configured server order.
    const ordered: Record<string, Record<string, MCPTool>> = {}
    for (const name of this.#servers.keys()) {
      if (Object.hasOwn(toolsets, name)) setOwn(ordered, name, toolsets[name]!)
    }
    return { toolsets: ordered, errors }
  }

  /**
   * Every server's tools as plain, serialisable definitions (what `tools/list` returned, with
   * the server's name), by server and the tool's own name: for caches and build artifacts.
   */
  async listToolDefinitions(
    options: ListOptions = {},
  ): Promise<Record<string, Record<string, ToolDefinition>>> {
    const toolsets = await this.listToolsets(options)
    const definitions: Record<string, Record<string, ToolDefinition>> = {}
    for (const [serverName, tools] of Object.entries(toolsets)) {
      definitions[serverName] = {}
      for (const tool of Object.values(tools)) {
        definitions[serverName][tool.name] = structuredClone({ ...tool.definition, serverName })
      }
    }
    return definitions
  }

  /** Tool-list change notifications, keyed by server name (`@mastra/mcp` 2.x's `tools`). */
  get tools() {
    return keep(this, 'tools', {
      /**
       * Adds a handler called when the server's tool list changes (the cached list is dropped
       * first, so `listTools()` in the handler lists again); returns a function that removes it.
       * The server's standing stream opens if it had none, and stays open in a pool.
       */
      onListChanged: (serverName: string, handler: () => void): Unsubscribe => {
        const server = this.#server(serverName)
        const unsubscribe = addHandler(handlerSet(server.handlers, 'toolListChanged'), handler)
        server.wantStandingStream()
        return unsubscribe
      },
    })
  }

  /**
   * The instructions each server gave when it connected, keyed by server name; `undefined`
   * for servers not connected yet or without instructions. The client never adds them to a
   * prompt: review them before you do (a server's instructions are untrusted text).
   */
  getServerInstructions(): Record<string, string | undefined> {
    const instructions: Record<string, string | undefined> = {}
    for (const [name, server] of this.#servers) instructions[name] = server.instructions
    return instructions
  }

  /**
   * Drops the server's connection (its in-flight calls reject with `CONNECTION_CLOSED`) and
   * connects it again; connects it if it never was. `SERVER_NOT_FOUND` for an unknown name.
   */
  async reconnectServer(serverName: string): Promise<void> {
    this.#assertOpen()
    await this.#server(serverName).reconnect()
  }

  // ── resources ───────────────────────────────────────────────────────────────

  /** Resource operations, keyed by server name. */
  get resources() {
    return keep(this, 'resources', {
      /** Every server's resources. Servers without resources, or that fail (logged), are left out. */
      list: (options: ListOptions = {}): Promise<Record<string, Resource[]>> =>
        this.#gather(
          (server) => listResources(server, options.requestContext ?? null),
          'list resources',
        ),
      /** Every server's resource templates. */
      templates: (options: ListOptions = {}): Promise<Record<string, ResourceTemplateType[]>> =>
        this.#gather(
          (server) => listResourceTemplates(server, options.requestContext ?? null),
          'list resource templates',
        ),
      /** Reads one resource (a listed URI or one built from a template). */
      read: async (
        serverName: string,
        uri: string,
        options: ListOptions = {},
      ): Promise<ReadResourceResult> =>
        readResource(this.#server(serverName), uri, options.requestContext ?? null),
      /** Asks the server for `notifications/resources/updated` on `uri`; renewed after reconnects. */
      subscribe: async (serverName: string, uri: string): Promise<object> =>
        subscribe(this.#server(serverName), uri),
      unsubscribe: async (serverName: string, uri: string): Promise<object> =>
        unsubscribe(this.#server(serverName), uri),
      /** Adds a handler for updates of subscribed resources; returns a function that removes it. */
      onUpdated: (serverName: string, handler: (params: { uri: string }) => void): Unsubscribe =>
        this.#notifying(serverName, 'resourceUpdated', handler),
      /** Adds a handler for changes of the server's resource list. */
      onListChanged: (serverName: string, handler: () => void): Unsubscribe =>
        this.#notifying(serverName, 'resourceListChanged', handler),
    })
  }

  // ── prompts ─────────────────────────────────────────────────────────────────

  /** Prompt operations, keyed by server name. */
  get prompts() {
    return keep(this, 'prompts', {
      /** Every server's prompts. Servers without prompts, or that fail (logged), are left out. */
      list: (options: ListOptions = {}): Promise<Record<string, Prompt[]>> =>
        this.#gather(
          (server) => listPrompts(server, options.requestContext ?? null),
          'list prompts',
        ),
      /** A prompt's messages, with `args` filled in. */
      get: async (request: {
        serverName: string
        name: string
        args?: Record<string, unknown>
        version?: string
        requestContext?: RequestContext | null
      }): Promise<PromptWithMessages> => {
        const server = this.#server(request.serverName)
        const args =
          request.args === undefined
            ? undefined
            : Object.fromEntries(
                Object.entries(request.args).map(([key, value]) => [
                  key,
                  typeof value === 'string' ? value : JSON.stringify(value),
                ]),
              )
        const result: GetPromptResult = await getPrompt(server, {
          name: request.name,
          args,
          version: request.version,
          requestContext: request.requestContext ?? null,
        })
        const prompt: Prompt = { name: request.name }
        if (result.description !== undefined) prompt.description = result.description
        if (request.version !== undefined)
          (prompt as Prompt & { version?: string }).version = request.version
        return { prompt, messages: result.messages }
      },
      /** Adds a handler for changes of the server's prompt list. */
      onListChanged: (serverName: string, handler: () => void): Unsubscribe =>
        this.#notifying(serverName, 'promptListChanged', handler),
    })
  }

  // ── elicitation and progress ────────────────────────────────────────────────

  /** Answers servers' requests for user input. */
  get elicitation() {
    return keep(this, 'elicitation', {
      /**
       * Sets the server's elicitation handler (one per server; a new one replaces the old).
       * Without one, requests are declined. Returns a function that removes it.
       */
      onRequest: (serverName: string, handler: ElicitationHandler): Unsubscribe =>
        setHandler(this.#server(serverName).handlers, 'elicitation', handler),
    })
  }

  /** Answers servers' requests for LLM completions (sampling). */
  get sampling() {
    return keep(this, 'sampling', {
      /**
       * Sets the server's sampling handler (one per server; a new one replaces the old). It
       * answers `sampling/createMessage` on the legacy era and sampling requests embedded in
       * `input_required` results on the modern one. The client announces the `sampling`
       * capability to connections opened after a handler is set: set it before the first call.
       * Returns a function that removes it.
       */
      onRequest: (serverName: string, handler: SamplingHandler): Unsubscribe => {
        if (typeof handler !== 'function') throw new TypeError('The handler must be a function.')
        return setHandler(this.#server(serverName).handlers, 'sampling', handler)
      },
    })
  }

  /** The roots offered to each server (`roots/list`, on both eras). */
  get roots() {
    return keep(this, 'roots', {
      /** The roots offered to the server; `undefined` when it has none. */
      get: (serverName: string): Root[] | undefined => {
        const roots = this.#server(serverName).handlers.roots
        return roots?.map((root) => ({ ...root }))
      },
      /**
       * Replaces the roots offered to the server and tells it they changed
       * (`notifications/roots/list_changed` on a legacy connection; a modern server asks for them
       * when a request needs them). The `roots` capability is announced to connections opened
       * once a server has roots (from `set`, or the definition's `roots`).
       */
      set: (serverName: string, roots: readonly Root[]): void => {
        validateRoots(serverName, roots)
        this.#server(serverName).setRoots(roots)
      },
    })
  }

  /** Progress notifications of tool calls. */
  get progress() {
    return keep(this, 'progress', {
      /** Adds a progress handler for the server; returns a function that removes it. */
      onUpdate: (serverName: string, handler: (update: ProgressUpdate) => void): Unsubscribe =>
        addHandler(handlerSet(this.#server(serverName).handlers, 'progress'), handler),
    })
  }

  // ── lifecycle ───────────────────────────────────────────────────────────────

  /**
   * Runs the OAuth authorization of an HTTP server for a command-line program (RFC 8252): the
   * server's `authProvider` gets the authorization URL (to open a browser or print it), the
   * answer comes back to a loopback server on 127.0.0.1, and the code is exchanged. Afterwards
   * the client connects with the new tokens. See `AuthenticateOptions`.
   */
  async authenticate(serverName: string, options: AuthenticateOptions = {}): Promise<void> {
    this.#assertOpen()
    const server = this.#server(serverName)
    await authenticate({ serverName, definition: server.definition, options, log: server.log })
  }

  /**
   * Closes every connection: Streamable HTTP sessions are terminated, stdio servers and their
   * process groups exit, in-flight calls reject with `DISCONNECTED`. Idempotent.
   */
  disconnect(): Promise<void> {
    this.#disconnecting ??= (async () => {
      await Promise.all([...this.#servers.values()].map((server) => server.close()))
      unregisterInstance(this.#registryKey, this)
    })()
    return this.#disconnecting
  }

  #assertOpen(): void {
    if (this.#disconnecting) {
      throw new MCPClientError(
        'DISCONNECTED',
        'The client was disconnected. Create a new MCPClient to connect again.',
      )
    }
  }

  async #gather<Item>(
    fetchOne: (server: ServerConnection) => Promise<Item[] | undefined>,
    what: string,
  ): Promise<Record<string, Item[]>> {
    this.#assertOpen()
    const servers = [...this.#servers.values()]
    const outcomes = await Promise.allSettled(servers.map(fetchOne))
    const result: Record<string, Item[]> = {}
    outcomes.forEach((outcome, index) => {
      const server = servers[index]!
      if (outcome.status === 'rejected') {
        server.log('error', `could not ${what}: ${describe(outcome.reason)}`)
      } else if (outcome.value !== undefined) {
        result[server.name] = outcome.value
      }
    })
    return result
  }
}

/**
 * An unknown-key warning: to the server's or client's logger; with neither, through Node's
 * warning channel (`process.emitWarning`), so a typo is never silent.
 */
function warnUnknownKeys(
  handler: LogHandler | undefined,
  serverName: string,
  message: string,
): void {
  if (handler) {
    logTo(handler, serverName)('warning', message)
    return
  }
  const emit = globalThis.process?.emitWarning
  if (typeof emit === 'function')
    emit.call(globalThis.process, message, { code: 'MCPKIT_UNKNOWN_KEY' })
}

/** Makes `handler` the server's one `key` handler; the function returned removes it if still set. */
function setHandler<Key extends 'elicitation' | 'sampling'>(
  handlers: ServerHandlers,
  key: Key,
  handler: NonNullable<ServerHandlers[Key]>,
): Unsubscribe {
  handlers[key] = handler
  return () => {
    if (handlers[key] === handler) handlers[key] = undefined
  }
}

function addHandler<Handler>(set: Set<Handler>, handler: Handler): Unsubscribe {
  if (typeof handler !== 'function') {
    throw new TypeError('The handler must be a function.')
  }
  set.add(handler)
  return () => {
    set.delete(handler)
  }
}

function throwIfAllFailed(serverCount: number, errors: Record<string, MCPKitError>): void {
  const failed = Object.entries(errors)
  if (serverCount === 0 || failed.length < serverCount) return
  if (failed.length === 1) throw failed[0]![1]
  throw new MCPClientError(
    'CONNECTION_FAILED',
    `No server could list its tools: ${failed.map(([name, error]) => `${name}: ${error.message}`).join('; ')}`,
    { cause: new AggregateError(failed.map(([, error]) => error)) },
  )
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * Makes `value` the client's own `key`, hiding the prototype getter that built it: a facade
 * (`resources`, `prompts`, …) is built on first use, once, and most pooled clients never use
 * most of them (~1.1 KB of closures per client when all are built).
 */
function keep<Value>(client: MCPClient, key: string, value: Value): Value {
  Object.defineProperty(client, key, { value, enumerable: true })
  return value
}
