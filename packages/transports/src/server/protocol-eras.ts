import { type Log, MCPServerError, type ProtocolVersionOption } from '@mcpkit/types'
import {
  type AuthInfo,
  createMcpHandler,
  InMemoryServerEventBus,
  isLegacyRequest,
  type McpHttpHandler,
  type Server,
  type ServerEventBus,
} from '@modelcontextprotocol/server'
import { paramHeaderProblem } from './param-headers.js'

/** The default era option: both eras on one endpoint. */
export const DEFAULT_PROTOCOL_VERSION: ProtocolVersionOption = 'auto'

/**
 * What a `createServer` factory learns about the instance it builds: the `era` it will serve
 * (`'legacy'`: one 2025 session, or one request in stateless mode; `'modern'`: one 2026-07-28
 * request over HTTP, or a connection pinned to that revision over stdio), and over HTTP who
 * asked and the request that opened it.
 */
export interface ServerFactoryContext {
  /** `'legacy'`: a 2025 session or request; `'modern'`: a 2026-07-28 request or stdio connection. */
  era: 'legacy' | 'modern'
  /** The verified credentials of the request (HTTP only). */
  authInfo?: AuthInfo | undefined
  /** The HTTP request the instance is made for (HTTP only). */
  request?: Request | undefined
}

/** Makes the SDK `Server` of one session or one request, every handler registered, not connected. */
export type CreateServer = (context: ServerFactoryContext) => Server

/** Options of the 2026-07-28 leg of the Streamable HTTP handlers. */
export interface ProtocolEraOptions {
  /**
   * Which eras the endpoint serves: `'auto'` (default) both on the same path, deciding per
   * request; `'2026-07-28'` only the stateless revision; `'legacy'` only 2025 sessions.
   */
  protocolVersion?: ProtocolVersionOption | undefined
  /**
   * Where `subscriptions/listen` streams get their change events (2026-07-28). Default: an
   * in-process bus of this handler; give several handlers (or processes, with a shared
   * implementation) the same one so a change published once reaches every stream.
   */
  eventBus?: ServerEventBus | undefined
  /**
   * Most `subscriptions/listen` streams open at once on this handler; one more is answered with
   * a JSON-RPC error (`-32603`, "Subscription limit reached") and nothing else changes. Default
   * 1024.
   */
  maxSubscriptions?: number | undefined
  /**
   * The published input schema of a tool, for the `Mcp-Param-*` check of 2026-07-28
   * `tools/call` requests: arguments marked `x-mcp-header` must match their headers, or the
   * request is refused (400, `-32020`) before the server sees it. Without it no such check runs.
   */
  toolInputSchema?: ((toolName: string) => object | undefined) | undefined
}

/** JSON-RPC code of a header that disagrees with the body (2026-07-28, `HeaderMismatch`). */
const HEADER_MISMATCH = -32020

/** The methods whose `Mcp-Name` header carries `params.name` (or `params.uri`). */
const NAMED_METHODS: Record<string, 'name' | 'uri'> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
}

/**
 * The 400 `-32020` for a request whose `Mcp-Name` header disagrees with the name in its body,
 * answered briefly here: the SDK's own answer quotes the body's value, and a client could make
 * that a megabyte.
 */
function nameHeaderRejection(request: Request, body: unknown): Response | undefined {
  if (request.method !== 'POST') return undefined
  const message = body as { id?: unknown; method?: unknown; params?: Record<string, unknown> }
  const field = typeof message?.method === 'string' ? NAMED_METHODS[message.method] : undefined
  const value = field ? message.params?.[field] : undefined
  if (typeof value !== 'string') return undefined
  const header = request.headers.get('mcp-name')
  if (header === null || header === value) return undefined
  return new Response(
    JSON.stringify({
      jsonrpc: '2.0',
      id: message.id ?? null,
      error: {
        code: HEADER_MISMATCH,
        message: `Header mismatch: the Mcp-Name header does not match params.${field} (${value.length} characters) in the body.`,
      },
    }),
    { status: 400, headers: { 'content-type': 'application/json' } },
  )
}

/** Default `maxSubscriptions`. */
export const DEFAULT_MAX_SUBSCRIPTIONS = 1024

/** The option, checked at construction so a typo fails at startup. */
export function protocolVersionOf(value: unknown): ProtocolVersionOption {
  if (value === undefined) return DEFAULT_PROTOCOL_VERSION
  if (value === 'auto' || value === '2026-07-28' || value === 'legacy') return value
  throw new MCPServerError(
    'INVALID_CONFIGURATION',
    `\`protocolVersion\` must be 'auto', '2026-07-28' or 'legacy', got ${JSON.stringify(value)}.`,
  )
}

function maxSubscriptionsOf(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_SUBSCRIPTIONS
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new MCPServerError(
      'INVALID_CONFIGURATION',
      `\`maxSubscriptions\` must be a positive integer, got ${String(value)}.`,
    )
  }
  return value
}

/** Whether a request goes to the 2026-07-28 leg under `mode`. */
export async function isModernRequest(
  mode: ProtocolVersionOption,
  request: Request,
  body: unknown,
): Promise<boolean> {
  if (mode === 'legacy') return false
  if (mode === '2026-07-28') return true
  // The SDK's own classification: requests that carry the per-request `_meta` claim (even a
  // malformed one, which the modern leg then refuses with the spec's error) are modern.
  return !(await isLegacyRequest(request, body))
}

/**
 * The 2026-07-28 leg: the SDK's `createMcpHandler` in strict mode (`legacy: 'reject'`), which
 * owns that revision's wire (`server/discover`, the `_meta` envelope and header checks, the
 * error codes and statuses, `resultType`, `subscriptions/listen`). mcpkit's session layer runs
 * in front of it, so its requests get the same `Host`/`Origin` checks, body cap and
 * authentication as 2025 sessions. Every request gets a fresh `Server` from the factory.
 */
export class ModernHttpLeg {
  readonly #handler: McpHttpHandler
  readonly #toolInputSchema: ((toolName: string) => object | undefined) | undefined
  #closed = false

  constructor(options: {
    createServer: CreateServer
    eventBus: ServerEventBus | undefined
    maxSubscriptions: number | undefined
    keepAliveMs: number | undefined
    maxBodyBytes: number
    toolInputSchema: ((toolName: string) => object | undefined) | undefined
    log: Log
  }) {
    const { createServer, log } = options
    this.#toolInputSchema = options.toolInputSchema
    this.#handler = createMcpHandler(
      (context) =>
        createServer({
          era: context.era,
          authInfo: context.authInfo,
          request: context.requestInfo,
        }),
      {
        legacy: 'reject',
        bus: options.eventBus ?? new InMemoryServerEventBus(),
        maxSubscriptions: maxSubscriptionsOf(options.maxSubscriptions),
        maxRequestBodySize: options.maxBodyBytes,
        ...(options.keepAliveMs !== undefined ? { keepAliveMs: options.keepAliveMs } : {}),
        // Refusals of malformed requests land here too: a client's mistake, not ours.
        onerror: (error) => log('debug', `2026-07-28 request: ${error.message}`),
      },
    )
  }

  /** The bus the leg's `subscriptions/listen` streams subscribe to. */
  get eventBus(): ServerEventBus {
    return this.#handler.bus
  }

  /** Answers one request whose `Host`/`Origin`, body and credentials were already checked. */
  async handle(
    request: Request,
    call: {
      authInfo: AuthInfo | undefined
      body: unknown
      /** For a `Request` made without one: the signal of the client leaving (`node:http`). */
      clientSignal?: (() => AbortSignal) | undefined
    },
  ): Promise<Response> {
    const mismatch =
      nameHeaderRejection(request, call.body) ?? this.#paramHeaderRejection(request, call.body)
    if (mismatch) return mismatch
    // The SDK cancels the request, and ends a listen stream, when the request's signal aborts.
    const served = call.clientSignal
      ? new Request(request, { signal: call.clientSignal() })
      : request
    return this.#handler.fetch(served, {
      ...(call.authInfo ? { authInfo: call.authInfo } : {}),
      ...(call.body !== undefined ? { parsedBody: call.body } : {}),
    })
  }

  /** The 400 `-32020` for a `tools/call` whose `Mcp-Param-*` headers disagree with its arguments. */
  #paramHeaderRejection(request: Request, body: unknown): Response | undefined {
    if (!this.#toolInputSchema || request.method !== 'POST') return undefined
    const message = body as { id?: unknown; method?: unknown; params?: Record<string, unknown> }
    if (message?.method !== 'tools/call' || typeof message.params?.name !== 'string') {
      return undefined
    }
    const schema = this.#toolInputSchema(message.params.name)
    if (!schema) return undefined
    const problem = paramHeaderProblem(schema, message.params.arguments, request.headers)
    if (!problem) return undefined
    return new Response(
      JSON.stringify({
        jsonrpc: '2.0',
        id: message.id ?? null,
        error: { code: HEADER_MISMATCH, message: `Header mismatch: ${problem}` },
      }),
      { status: 400, headers: { 'content-type': 'application/json' } },
    )
  }

  /** Ends open `subscriptions/listen` streams and in-flight requests; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#handler.close()
  }
}
