import { type Log, MCPServerError, type ProtocolVersionOption, safeLog } from '@mcpkit/types'
import {
  type AuthInfo,
  type EventStore,
  WebStandardStreamableHTTPServerTransport,
  type WebStandardStreamableHTTPServerTransportOptions,
} from '@modelcontextprotocol/server'
import {
  containsInitialize,
  JsonRpcErrorCode,
  jsonRpcErrorResponse,
  jsonRpcPayloadProblem,
  type RequestId,
} from './json-rpc.js'
import {
  isModernRequest,
  ModernHttpLeg,
  type ProtocolEraOptions,
  protocolVersionOf,
} from './protocol-eras.js'
import { RequestSlots, releasedWithBody } from './request-slots.js'
import { DEFAULT_MAX_BODY_BYTES } from './security.js'
import { sessionEventStore } from './session-event-store.js'
import {
  defaultPrincipalOf,
  notifySession,
  type PrincipalOf,
  reservationRefusal,
  ServerSession,
  type SessionHandlerOptions,
  SessionRegistry,
} from './session-registry.js'

/** Options of the Streamable HTTP handlers (web-standard and `node:http`). */
export interface StreamableHttpHandlerOptions extends SessionHandlerOptions, ProtocolEraOptions {
  /**
   * Session ids of 2025 sessions. Omitted: random UUIDs (stateful). Given as `undefined`:
   * stateless, every 2025 POST is served by its own fresh `Server`, closed after the response;
   * GET and DELETE get 405.
   */
  sessionIdGenerator?: (() => string) | undefined
  /** Answer POSTs with one JSON body instead of an SSE stream. */
  enableJsonResponse?: boolean | undefined
  /** The SDK's event store, for resumable streams (`Last-Event-ID`). */
  eventStore?: EventStore | undefined
  /** The SSE `retry` hint (ms) sent with resumable streams; see the SDK. */
  retryInterval?: number | undefined
  /**
   * Most requests without a session (2026-07-28 requests, stateless 2025 ones) answered at
   * once; one more gets 503 with `Retry-After`. A request holds its place until its answer has
   * been written or its client has gone. `subscriptions/listen` streams have their own cap
   * (`maxSubscriptions`). Default 1000.
   */
  maxRequestsInFlight?: number | undefined
}

/** Per-request inputs the runtime adapter has already worked out. */
export interface StreamableHttpCall {
  authInfo: AuthInfo | undefined
  /** The parsed POST body (`undefined` for GET/DELETE). */
  body: unknown
  /**
   * The signal of the client leaving, for a `Request` made without one (`node:http`); asked for
   * only by 2026-07-28 requests, whose cancellation and listen streams need it.
   */
  clientSignal?: (() => AbortSignal) | undefined
}

const randomSessionId = () => globalThis.crypto.randomUUID()

/** Runs `fn` after the current I/O turn: `setImmediate` where there is one (Node, Bun). */
const defer: (fn: () => void) => void =
  typeof globalThis.setImmediate === 'function'
    ? (fn) => {
        globalThis.setImmediate(fn)
      }
    : (fn) => {
        setTimeout(fn, 0)
      }

type StreamableSession = ServerSession<WebStandardStreamableHTTPServerTransport>

/**
 * Routing and sessions of Streamable HTTP, on web `Request`/`Response`, shared by the
 * web-standard and the `node:http` handler so there is one implementation. Security checks,
 * body reading and authentication happen before, in the adapters; this sees parsed bodies
 * only. A 2026-07-28 request goes to the SDK's stateless handler (`ModernHttpLeg`), anything
 * else to mcpkit's 2025 sessions, on the same path.
 */
export class StreamableHttpSessions {
  readonly registry: SessionRegistry<StreamableSession>
  readonly stateless: boolean
  readonly protocolVersion: ProtocolVersionOption
  lastTransport: WebStandardStreamableHTTPServerTransport | undefined
  /** The 2026-07-28 leg; `undefined` when only 2025 sessions are served. */
  readonly modern: ModernHttpLeg | undefined
  readonly #options: StreamableHttpHandlerOptions
  readonly #transportOptions: WebStandardStreamableHTTPServerTransportOptions
  readonly #principalOf: PrincipalOf
  readonly #log: Log
  /** Places of the requests without a session being answered. */
  readonly #slots: RequestSlots
  /** Stateless servers still answering; closed by `close()`. */
  readonly #oneShot = new Set<StreamableSession>()

  constructor(options: StreamableHttpHandlerOptions) {
    if (typeof options?.createServer !== 'function') {
      throw new MCPServerError(
        'INVALID_CONFIGURATION',
        '`createServer` must be a function that returns a new SDK Server for each session.',
      )
    }
    this.#options = options
    this.#log = safeLog(options.log)
    this.#principalOf = options.principalOf ?? defaultPrincipalOf
    this.stateless = 'sessionIdGenerator' in options && options.sessionIdGenerator === undefined
    this.protocolVersion = protocolVersionOf(options.protocolVersion)
    this.registry = new SessionRegistry({ ...options, log: this.#log })
    this.#slots = new RequestSlots(options.maxRequestsInFlight)
    this.modern =
      this.protocolVersion === 'legacy'
        ? undefined
        : new ModernHttpLeg({
            createServer: options.createServer,
            eventBus: options.eventBus,
            maxSubscriptions: options.maxSubscriptions,
            keepAliveMs: options.keepAliveMs,
            maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
            toolInputSchema: options.toolInputSchema,
            log: this.#log,
          })
    const { eventStore, retryInterval, keepAliveMs } = options
    this.#transportOptions = {
      enableJsonResponse: options.enableJsonResponse ?? false,
      ...(eventStore ? { eventStore } : {}),
      ...(retryInterval !== undefined ? { retryInterval } : {}),
      ...(keepAliveMs !== undefined ? { keepAliveMs } : {}),
    }
  }

  principalOf(authInfo: AuthInfo | undefined): string | undefined {
    return authInfo ? this.#principalOf(authInfo) : undefined
  }

  /** Answers one request whose `Host`/`Origin` passed and whose POST body is parsed. */
  async handle(request: Request, call: StreamableHttpCall): Promise<Response> {
    try {
      return await this.#route(request, call)
    } catch (error) {
      this.#log('error', `Streamable HTTP request failed: ${describe(error)}`, {
        method: request.method,
      })
      return jsonRpcErrorResponse(500, JsonRpcErrorCode.InternalError, 'Internal server error')
    }
  }

  async #route(request: Request, call: StreamableHttpCall): Promise<Response> {
    if (this.registry.closed) {
      return jsonRpcErrorResponse(503, JsonRpcErrorCode.ServerError, 'The server is closed.')
    }
    const method = request.method
    if (method === 'POST') {
      // Not JSON-RPC at all, whatever the era: refused here, the same way for both.
      const problem = jsonRpcPayloadProblem(call.body)
      if (problem) {
        return jsonRpcErrorResponse(
          400,
          JsonRpcErrorCode.InvalidRequest,
          `Invalid Request: ${problem}`,
        )
      }
    }
    if (this.modern && (await isModernRequest(this.protocolVersion, request, call.body))) {
      if ((call.body as { method?: unknown } | undefined)?.method === 'subscriptions/listen') {
        return this.modern.handle(request, call)
      }
      return this.#inSlot(() => this.modern!.handle(request, call))
    }
    if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
      return jsonRpcErrorResponse(405, JsonRpcErrorCode.ServerError, 'Method not allowed.', {
        allow: this.stateless ? 'POST' : 'GET, POST, DELETE',
      })
    }
    if (this.stateless) return this.#inSlot(() => this.#serveOnce(request, call))

    const sessionId = request.headers.get('mcp-session-id')
    if (sessionId !== null) {
      const session = this.registry.get(sessionId)
      if (!session) {
        return jsonRpcErrorResponse(
          404,
          JsonRpcErrorCode.SessionNotFound,
          'Session not found: it was closed or has expired. Initialize a new session.',
        )
      }
      if (this.principalOf(call.authInfo) !== session.principal) {
        this.#log('warning', 'request refused: the session belongs to another principal', {
          sessionId,
        })
        return jsonRpcErrorResponse(
          403,
          JsonRpcErrorCode.ServerError,
          'Forbidden: this session was opened by another principal.',
        )
      }
      session.lastActivity = Date.now()
      if (method === 'DELETE') session.endReason = 'deleted'
      const response = await session.transport.handleRequest(request, {
        parsedBody: call.body,
        ...(call.authInfo ? { authInfo: call.authInfo } : {}),
      })
      if (method === 'POST') this.#cancelWhenClientLeaves(session, call)
      // A refused DELETE (bad headers) left the session open: forget the reason we guessed.
      if (method === 'DELETE' && !response.ok && this.registry.get(sessionId) === session) {
        session.endReason = undefined
      }
      return response
    }
    if (method === 'POST' && containsInitialize(call.body)) return this.#open(request, call)
    if (method !== 'POST' && this.modern) {
      // Without a session there is nothing to GET or DELETE: a 2026-07-28 endpoint answers 405.
      return jsonRpcErrorResponse(
        405,
        JsonRpcErrorCode.ServerError,
        'Method not allowed: GET and DELETE need the Mcp-Session-Id of a 2025 session.',
        { allow: 'POST' },
      )
    }
    return jsonRpcErrorResponse(
      400,
      JsonRpcErrorCode.ServerError,
      'Bad Request: Mcp-Session-Id header is required (initialize a session first).',
    )
  }

  /**
   * When the client leaves before the answers of this POST's requests were written, the
   * requests still running are cancelled (as a `notifications/cancelled` from the client
   * would), so their handlers' signals abort and the session is no longer busy. Not with an
   * `eventStore`: there the client may come back for the answers (`Last-Event-ID`).
   */
  #cancelWhenClientLeaves(session: StreamableSession, call: StreamableHttpCall): void {
    if (!call.clientSignal || this.#options.eventStore) return
    const messages = Array.isArray(call.body) ? call.body : [call.body]
    const ids: RequestId[] = []
    for (const message of messages as Array<{ id?: unknown; method?: unknown }>) {
      const id = message?.id
      if (
        typeof message?.method === 'string' &&
        (typeof id === 'string' || typeof id === 'number')
      ) {
        if (session.pending.has(id)) ids.push(id)
      }
    }
    if (ids.length === 0) return
    const signal = call.clientSignal()
    signal.addEventListener(
      'abort',
      () => {
        for (const requestId of ids) {
          if (!session.pending.has(requestId)) continue
          session.transport.onmessage?.({
            jsonrpc: '2.0',
            method: 'notifications/cancelled',
            params: { requestId, reason: 'The client closed the connection.' },
          })
        }
      },
      { once: true },
    )
  }

  /** Serves a request without a session in one of the places `maxRequestsInFlight` allows. */
  async #inSlot(serve: () => Promise<Response>): Promise<Response> {
    const release = this.#slots.take()
    if (!release) {
      this.#log('warning', 'request refused: too many requests in flight', {
        maxRequestsInFlight: this.#slots.max,
      })
      return jsonRpcErrorResponse(
        503,
        JsonRpcErrorCode.ServerError,
        'Service Unavailable: too many requests in progress; retry later.',
        { 'retry-after': '1' },
      )
    }
    try {
      return releasedWithBody(await serve(), release)
    } catch (error) {
      release()
      throw error
    }
  }

  /** An `initialize` without a session id: a new session with its own `Server`. */
  async #open(request: Request, call: StreamableHttpCall): Promise<Response> {
    const principal = this.principalOf(call.authInfo)
    const outcome = this.registry.reserve(principal)
    if (outcome !== 'reserved') {
      this.#log('warning', 'session refused: no room for another session', {
        maxSessions: this.registry.maxSessions,
        reason: outcome,
      })
      const refusal = reservationRefusal(outcome)
      return jsonRpcErrorResponse(refusal.status, refusal.code, refusal.message, refusal.headers)
    }
    let session: StreamableSession | undefined
    let registered = false
    try {
      const generate = this.#options.sessionIdGenerator ?? randomSessionId
      // A shared event store, seen through this session's own scope.
      const { eventStore } = this.#transportOptions
      const scoped = eventStore
        ? {
            eventStore: sessionEventStore(
              eventStore,
              (): string | undefined => transport.sessionId,
            ),
          }
        : {}
      const transport = new WebStandardStreamableHTTPServerTransport({
        ...this.#transportOptions,
        ...scoped,
        sessionIdGenerator: generate,
        onsessioninitialized: async (sessionId) => {
          // Registered before the SDK answers, so the client's next request finds it.
          if (this.registry.get(sessionId)) {
            throw new Error('sessionIdGenerator returned an id that is already in use')
          }
          const opened = session!
          opened.id = sessionId
          opened.onended = () => this.#ended(opened)
          this.registry.add(opened)
          registered = true
          this.lastTransport = transport
          this.#log('debug', 'session opened', { sessionId })
          await notifySession(
            this.#log,
            'onsessioninitialized',
            this.#options.onsessioninitialized,
            sessionId,
          )
        },
      })
      session = new ServerSession(
        this.#options.createServer({ era: 'legacy', authInfo: call.authInfo, request }),
        transport,
        principal,
        this.#log,
      )
      await session.connect()
      const response = await transport.handleRequest(request, {
        parsedBody: call.body,
        ...(call.authInfo ? { authInfo: call.authInfo } : {}),
      })
      if (!registered) {
        // The SDK refused the initialize (bad headers, a batch, …): nothing to keep.
        this.registry.release(principal)
        void session.close('closed')
      }
      return response
    } catch (error) {
      if (!registered) this.registry.release(principal)
      if (session) void this.registry.end(session, 'closed')
      throw error
    }
  }

  /** Stateless: a fresh `Server` for this POST alone, closed once it has answered. */
  async #serveOnce(request: Request, call: StreamableHttpCall): Promise<Response> {
    if (request.method !== 'POST') {
      return jsonRpcErrorResponse(
        405,
        JsonRpcErrorCode.ServerError,
        'Method not allowed: this server is stateless, so it has no sessions to GET or DELETE.',
        { allow: 'POST' },
      )
    }
    const transport = new WebStandardStreamableHTTPServerTransport(this.#transportOptions)
    const session: StreamableSession = new ServerSession(
      this.#options.createServer({ era: 'legacy', authInfo: call.authInfo, request }),
      transport,
      undefined,
      this.#log,
    )
    this.#oneShot.add(session)
    let finished = false
    const finish = () => {
      if (finished) return
      finished = true
      this.#oneShot.delete(session)
      void session.close('closed')
    }
    // The SDK forgets a request's abort controller only after its reply is sent; closing in the
    // same turn would abort (and allocate for) every finished handler.
    session.onidle = () => defer(finish)
    // A client that leaves takes its request with it: closing the server aborts its handlers.
    call.clientSignal?.().addEventListener('abort', finish, { once: true })
    try {
      await session.connect()
      const response = await transport.handleRequest(request, {
        parsedBody: call.body,
        ...(call.authInfo ? { authInfo: call.authInfo } : {}),
      })
      if (!session.busy) defer(finish)
      return response
    } catch (error) {
      finish()
      throw error
    }
  }

  #ended(session: StreamableSession): void {
    this.registry.remove(session)
    if (this.lastTransport === session.transport) this.lastTransport = undefined
    this.#log('debug', 'session closed', {
      sessionId: session.id,
      reason: session.endReason,
    })
    void notifySession(this.#log, 'onsessionclosed', this.#options.onsessionclosed, session.id)
  }

  get sessionCount(): number {
    return this.registry.size
  }

  /**
   * Ends every session, every stateless request still running and every 2026-07-28 request and
   * `subscriptions/listen` stream; idempotent.
   */
  async close(): Promise<void> {
    const oneShot = [...this.#oneShot]
    this.#oneShot.clear()
    await Promise.all([
      this.registry.close(),
      ...oneShot.map((session) => session.close('closed')),
      this.modern?.close(),
    ])
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
