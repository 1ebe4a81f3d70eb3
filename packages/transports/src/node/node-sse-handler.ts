import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AuthInfo } from '@modelcontextprotocol/server'
import {
  type BodyAuthorizer,
  type RequestAuthenticator,
  runAuthenticator,
  runBodyAuthorizer,
  validAuthenticator,
  validBodyAuthorizer,
} from '../server/authenticate.js'
import { JsonRpcErrorCode } from '../server/json-rpc.js'
import { RequestGuard } from '../server/security.js'
import {
  routeSse,
  SSE_RESPONSE_HEADERS,
  type SseHandlerOptions,
  type SseRequestContext,
  SseSessions,
} from '../server/sse-sessions.js'
import { WebSseServerTransport } from '../server/web-sse-transport.js'
import {
  type AuthenticatedIncomingMessage,
  answerUnread,
  hostHeader,
  requestJsonBody,
  requestUrl,
  toWebRequest,
  writeRejection,
  writeWebResponse,
} from './node-http.js'

/** Where the endpoints are and who is asking; `authInfo` defaults to `req.auth`. */
export type NodeSseRequestContext = SseRequestContext

/**
 * The legacy HTTP+SSE transport (MCP 2024-11-05) on `node:http`: any number of clients at once,
 * each stream with its own `Server` (unlike a single shared transport, a second client never
 * replaces the first). The stream is the same `WebSseServerTransport` the web-standard handler
 * uses, written to `res` with backpressure. POSTs are read with the body cap and answered with
 * JSON-RPC errors, never plain text.
 *
 * ```ts
 * const sse = new NodeSseHandler({ createServer })
 * http.createServer((req, res) => {
 *   void sse.handle(req, res, { ssePath: '/sse', messagePath: '/message' })
 * }).listen(3000, '127.0.0.1')
 * ```
 */
export class NodeSseHandler {
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

  /**
   * Answers a request for either endpoint (404 for other paths). For the GET it resolves once
   * the stream is open and the `endpoint` event sent; the stream lives on until the client
   * leaves, the session expires, or `close()`. Never rejects.
   */
  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    context: NodeSseRequestContext,
  ): Promise<void> {
    const limits = this.#guard.body
    try {
      const refused = this.#guard.check(hostHeader(req), req.headers.origin)
      if (refused) {
        await answerUnread(req, res, limits, () => writeRejection(res, refused))
        return
      }
      const url = requestUrl(req)
      const route = routeSse(req.method, url.pathname, context)
      if (typeof route === 'object') {
        await answerUnread(req, res, limits, () => writeRejection(res, route))
        return
      }
      let authInfo = context.authInfo ?? (req as AuthenticatedIncomingMessage).auth
      // GET and POST only reach here, and a `Request` can carry both.
      const request = toWebRequest(req, url)!
      if (this.#authenticate) {
        // From the headers alone: an unauthenticated client's upload is never buffered.
        const outcome = await runAuthenticator(
          this.#authenticate,
          request,
          undefined,
          this.#sessions.log,
        )
        if ('response' in outcome) {
          const refusal = outcome.response
          await answerUnread(req, res, limits, () => writeWebResponse(refusal, res, false))
          return
        }
        authInfo = outcome.authInfo
      }
      let body: unknown
      if (route === 'message') {
        const read = await requestJsonBody(req, context.parsedBody, limits)
        if (!read.ok) {
          const { rejection } = read
          await answerUnread(
            req,
            res,
            limits,
            () => writeRejection(res, rejection),
            rejection.status === 408,
          )
          return
        }
        body = read.value
        if (this.#authenticate && this.#authorizeBody && authInfo) {
          const refusal = await runBodyAuthorizer(
            this.#authorizeBody,
            request,
            body,
            authInfo,
            this.#sessions.log,
          )
          if (refusal) {
            await writeWebResponse(refusal, res, false)
            return
          }
        }
      }
      if (route === 'open') {
        await this.#open(res, context.messagePath, authInfo)
        return
      }

      const session = this.#sessions.find(url.searchParams.get('sessionId'), authInfo)
      if (!('server' in session)) {
        writeRejection(res, session)
        return
      }
      const invalid = await this.#sessions.deliver(
        session,
        body,
        { ...(authInfo ? { authInfo } : {}), request },
        (message, extra) => session.transport.handleMessage(message, extra),
      )
      if (invalid) {
        writeRejection(res, invalid)
        return
      }
      res.writeHead(202, { 'content-type': 'text/plain' }).end('Accepted')
    } catch (error) {
      this.#sessions.log(
        'error',
        `SSE request failed: ${error instanceof Error ? error.message : String(error)}`,
      )
      if (res.headersSent) res.end()
      else {
        writeRejection(res, {
          status: 500,
          code: JsonRpcErrorCode.InternalError,
          message: 'Internal server error',
        })
      }
    }
  }

  async #open(
    res: ServerResponse,
    messagePath: string,
    authInfo: AuthInfo | undefined,
  ): Promise<void> {
    const full = this.#sessions.reserve(authInfo)
    if (full) {
      writeRejection(res, full)
      return
    }
    const transport = new WebSseServerTransport({
      messagePath,
      keepAliveMs: this.#keepAliveMs,
      maxBufferedBytes: this.#guard.maxBufferedBytesPerStream,
    })
    await this.#sessions.open(transport, authInfo)
    const stream = new Response(transport.stream, { status: 200, headers: SSE_RESPONSE_HEADERS })
    // Writes the head at once, then pipes events as they come, until the stream ends.
    void writeWebResponse(stream, res, true, this.#guard.stream)
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
