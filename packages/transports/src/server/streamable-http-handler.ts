import { type Log, safeLog } from '@mcpkit/types'
import type {
  AuthInfo,
  ServerEventBus,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server'
import {
  type BodyAuthorizer,
  type RequestAuthenticator,
  runAuthenticator,
  runBodyAuthorizer,
  validAuthenticator,
  validBodyAuthorizer,
} from './authenticate.js'
import { readJsonBody } from './body.js'
import { withBoundedBody } from './bounded-body.js'
import { rejectionResponse } from './json-rpc.js'
import { RequestGuard } from './security.js'
import {
  type StreamableHttpHandlerOptions,
  StreamableHttpSessions,
} from './streamable-http-sessions.js'

/** Per-request inputs of `StreamableHttpHandler.handleRequest`. */
export interface StreamableHttpRequestContext {
  /** The verified credentials of the request (from your auth middleware); reach handlers as `extra.authInfo`. */
  authInfo?: AuthInfo | undefined
  /** The body, when your framework has already parsed it; otherwise it is read (capped) here. */
  parsedBody?: unknown
}

/** The host of a web `Request`: its `Host` header, or the URL's host where runtimes hide the header. */
export function hostOf(request: Request): string {
  return request.headers.get('host') ?? new URL(request.url).host
}

/**
 * Streamable HTTP (MCP 2025-03-26 and later) as a web-standard `(Request) => Promise<Response>`
 * handler, for Hono, Next.js route handlers, Bun, Deno and workers. Every session gets its own
 * SDK `Server` from `createServer`; `Host`/`Origin` are checked, bodies capped, sessions expire
 * when idle and are bound to the principal that opened them.
 *
 * ```ts
 * const handler = new StreamableHttpHandler({ createServer })
 * app.all('/mcp', (c) => handler.handleRequest(c.req.raw))
 * ```
 */
export class StreamableHttpHandler {
  readonly #guard: RequestGuard
  readonly #sessions: StreamableHttpSessions
  readonly #authenticate: RequestAuthenticator | undefined
  readonly #authorizeBody: BodyAuthorizer | undefined
  readonly #log: Log

  constructor(options: StreamableHttpHandlerOptions) {
    this.#guard = new RequestGuard(options)
    this.#sessions = new StreamableHttpSessions(options)
    this.#authenticate = validAuthenticator(options.authenticate)
    this.#authorizeBody = validBodyAuthorizer(options.authorizeBody)
    this.#log = safeLog(options.log)
  }

  /** Answers one HTTP request (POST, GET or DELETE on the MCP endpoint). Never rejects. */
  async handleRequest(
    request: Request,
    context: StreamableHttpRequestContext = {},
  ): Promise<Response> {
    const refused = this.#guard.check(hostOf(request), request.headers.get('origin'))
    if (refused) return rejectionResponse(refused)
    let authInfo = context.authInfo
    const authenticate = request.method === 'OPTIONS' ? undefined : this.#authenticate
    if (authenticate) {
      // From the headers alone: an unauthenticated client's upload is left unread.
      const outcome = await runAuthenticator(authenticate, request, undefined, this.#log)
      if ('response' in outcome) return outcome.response
      authInfo = outcome.authInfo
    }
    let body = context.parsedBody
    if (request.method === 'POST' && body === undefined) {
      const read = await readJsonBody(request, this.#guard.body)
      if (!read.ok) return rejectionResponse(read.rejection)
      body = read.value
    }
    if (request.method === 'POST' && authenticate && this.#authorizeBody && authInfo) {
      const refusal = await runBodyAuthorizer(
        this.#authorizeBody,
        request,
        body,
        authInfo,
        this.#log,
      )
      if (refusal) return refusal
    }
    const response = await this.#sessions.handle(request, { authInfo, body })
    return withBoundedBody(response, this.#guard.maxBufferedBytesPerStream)
  }

  /** Live 2025 sessions (0 in stateless mode; 2026-07-28 requests have none). */
  get sessionCount(): number {
    return this.#sessions.sessionCount
  }

  /**
   * Where this handler's `subscriptions/listen` streams get their change events: publish
   * `{ kind: 'tools_list_changed' }`, `{ kind: 'resource_updated', uri }`, … to reach them
   * (2025 sessions are notified through their own `Server`). `undefined` with
   * `protocolVersion: 'legacy'`.
   */
  get eventBus(): ServerEventBus | undefined {
    return this.#sessions.modern?.eventBus
  }

  /** The transport of the most recent live session; for debugging only. */
  get lastTransport(): WebStandardStreamableHTTPServerTransport | undefined {
    return this.#sessions.lastTransport
  }

  /**
   * Ends every session (closing its `Server` and streams) and stops the idle timer; requests
   * after that get 503. Idempotent.
   */
  close(): Promise<void> {
    return this.#sessions.close()
  }
}
