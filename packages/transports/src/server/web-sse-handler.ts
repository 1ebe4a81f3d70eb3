import type { AuthInfo } from '@modelcontextprotocol/server'
import {
  type BodyAuthorizer,
  type RequestAuthenticator,
  runAuthenticator,
  runBodyAuthorizer,
  validAuthenticator,
  validBodyAuthorizer,
} from './authenticate.js'
import { readJsonBody } from './body.js'
import { JsonRpcErrorCode, jsonRpcErrorResponse, rejectionResponse } from './json-rpc.js'
import { RequestGuard } from './security.js'
import {
  routeSse,
  SSE_RESPONSE_HEADERS,
  type SseHandlerOptions,
  type SseRequestContext,
  SseSessions,
} from './sse-sessions.js'
import { hostOf } from './streamable-http-handler.js'
import { WebSseServerTransport } from './web-sse-transport.js'

/**
 * The legacy HTTP+SSE transport (MCP 2024-11-05) as a web-standard handler, for Hono on Bun,
 * Deno and workers, or Next.js: GET `ssePath` opens a stream and sends the `endpoint` event
 * (`messagePath?sessionId=…`); POSTs to `messagePath` deliver. Any number of clients at once,
 * each with its own `Server`; other paths get 404.
 *
 * ```ts
 * const sse = new WebSseHandler({ createServer })
 * const paths = { ssePath: '/sse', messagePath: '/message' }
 * app.get('/sse', (c) => sse.handleRequest(c.req.raw, paths))
 * app.post('/message', (c) => sse.handleRequest(c.req.raw, paths))
 * ```
 */
export class WebSseHandler {
  readonly #guard: RequestGuard
  readonly #sessions: SseSessions<WebSseServerTransport>
  readonly #keepAliveMs: number | undefined
  readonly #authenticate: RequestAuthenticator | undefined
  readonly #authorizeBody: BodyAuthorizer | undefined

  constructor(options: SseHandlerOptions) {
    this.#guard = new RequestGuard(options)
    this.#sessions = new SseSessions(options)
    this.#keepAliveMs = options.keepAliveMs
    this.#authenticate = validAuthenticator(options.authenticate)
    this.#authorizeBody = validBodyAuthorizer(options.authorizeBody)
  }

  /** Answers a request for either endpoint. Never rejects. */
  async handleRequest(request: Request, context: SseRequestContext): Promise<Response> {
    try {
      const refused = this.#guard.check(hostOf(request), request.headers.get('origin'))
      if (refused) return rejectionResponse(refused)
      const url = new URL(request.url)
      const route = routeSse(request.method, url.pathname, context)
      if (typeof route === 'object') return rejectionResponse(route)
      let authInfo = context.authInfo
      if (this.#authenticate) {
        // From the headers alone: an unauthenticated client's upload is left unread.
        const outcome = await runAuthenticator(
          this.#authenticate,
          request,
          undefined,
          this.#sessions.log,
        )
        if ('response' in outcome) return outcome.response
        authInfo = outcome.authInfo
      }
      let body: unknown
      if (route === 'message') {
        body = context.parsedBody
        if (body === undefined) {
          const read = await readJsonBody(request, this.#guard.body)
          if (!read.ok) return rejectionResponse(read.rejection)
          body = read.value
        }
        if (this.#authenticate && this.#authorizeBody && authInfo) {
          const refusal = await runBodyAuthorizer(
            this.#authorizeBody,
            request,
            body,
            authInfo,
            this.#sessions.log,
          )
          if (refusal) return refusal
        }
      }
      if (route === 'open') return await this.#open(context.messagePath, authInfo)

      const session = this.#sessions.find(url.searchParams.get('sessionId'), authInfo)
      if (!('server' in session)) return rejectionResponse(session)
      const invalid = await this.#sessions.deliver(
        session,
        body,
        { ...(authInfo ? { authInfo } : {}), request },
        (message, extra) => session.transport.handleMessage(message, extra),
      )
      if (invalid) return rejectionResponse(invalid)
      return new Response('Accepted', { status: 202 })
    } catch (error) {
      this.#sessions.log(
        'error',
        `SSE request failed: ${error instanceof Error ? error.message : String(error)}`,
      )
      return jsonRpcErrorResponse(500, JsonRpcErrorCode.InternalError, 'Internal server error')
    }
  }

  async #open(messagePath: string, authInfo: AuthInfo | undefined): Promise<Response> {
    const full = this.#sessions.reserve(authInfo)
    if (full) return rejectionResponse(full)
    const transport = new WebSseServerTransport({
      messagePath,
      maxBufferedBytes: this.#guard.maxBufferedBytesPerStream,
      keepAliveMs: this.#keepAliveMs,
    })
    await this.#sessions.open(transport, authInfo)
    return new Response(transport.stream, { status: 200, headers: SSE_RESPONSE_HEADERS })
  }

  /** Open SSE sessions. */
  get sessionCount(): number {
    return this.#sessions.sessionCount
  }

  /** The transport of the most recent live session; for debugging only. */
  get lastTransport(): WebSseServerTransport | undefined {
    return this.#sessions.lastTransport
  }

  /** Ends every stream and session; requests after that get 503. Idempotent. */
  close(): Promise<void> {
    return this.#sessions.close()
  }
}
