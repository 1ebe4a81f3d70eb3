import type { IncomingMessage, ServerResponse } from 'node:http'
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
} from '../server/authenticate.js'
import { JsonRpcErrorCode } from '../server/json-rpc.js'
import { RequestGuard } from '../server/security.js'
import {
  describe,
  type StreamableHttpHandlerOptions,
  StreamableHttpSessions,
} from '../server/streamable-http-sessions.js'
import {
  type AuthenticatedIncomingMessage,
  abortedWhenClientLeaves,
  answerUnread,
  hostHeader,
  requestJsonBody,
  requestUrl,
  toWebRequest,
  writeRejection,
  writeWebResponse,
} from './node-http.js'

function isListen(body: unknown): boolean {
  return (body as { method?: unknown } | undefined)?.method === 'subscriptions/listen'
}

/** Per-request inputs of `NodeStreamableHttpHandler.handle`. */
export interface NodeHttpRequestContext {
  /**
   * The verified credentials of the request; reach handlers as `extra.authInfo`. Default:
   * `req.auth`, where auth middleware (the SDK's `requireBearerAuth`, mcpkit's OAuth
   * middleware) puts them.
   */
  authInfo?: AuthInfo | undefined
  /**
   * The body, when middleware has already parsed it. Default: `req.body` if the stream was
   * already consumed, else the body is read here, capped at `maxBodyBytes`.
   */
  parsedBody?: unknown
}

/**
 * Streamable HTTP on `node:http` (and Express, Fastify's raw `req`/`res`, …). It adapts the
 * request to the same web-standard session layer as `StreamableHttpHandler`, without copying
 * headers or re-parsing the body, and streams the answer back.
 *
 * ```ts
 * const mcp = new NodeStreamableHttpHandler({ createServer })
 * http.createServer((req, res) => {
 *   if (req.url?.startsWith('/mcp')) void mcp.handle(req, res)
 *   else res.writeHead(404).end()
 * }).listen(3000, '127.0.0.1')
 * ```
 */
export class NodeStreamableHttpHandler {
  readonly #guard: RequestGuard
  readonly #sessions: StreamableHttpSessions
  readonly #log: Log
  readonly #authenticate: RequestAuthenticator | undefined
  readonly #authorizeBody: BodyAuthorizer | undefined

  constructor(options: StreamableHttpHandlerOptions) {
    this.#guard = new RequestGuard(options)
    this.#sessions = new StreamableHttpSessions(options)
    this.#log = safeLog(options.log)
    this.#authenticate = validAuthenticator(options.authenticate)
    this.#authorizeBody = validBodyAuthorizer(options.authorizeBody)
  }

  /**
   * Answers one request on the MCP endpoint; resolves when the response has ended (for a GET
   * stream: when the stream closes). Never rejects: failures become JSON-RPC error answers.
   */
  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    context: NodeHttpRequestContext = {},
  ): Promise<void> {
    const limits = this.#guard.body
    try {
      const refused = this.#guard.check(hostHeader(req), req.headers.origin)
      if (refused) {
        await answerUnread(req, res, limits, () => writeRejection(res, refused))
        return
      }
      const method = req.method
      const request = toWebRequest(req, requestUrl(req))
      if (!request) {
        await answerUnread(req, res, limits, () =>
          writeRejection(res, {
            status: 405,
            code: JsonRpcErrorCode.ServerError,
            message: 'Method not allowed.',
            headers: { allow: 'GET, POST, DELETE' },
          }),
        )
        return
      }
      let authInfo = context.authInfo ?? (req as AuthenticatedIncomingMessage).auth
      const authenticate = method === 'OPTIONS' ? undefined : this.#authenticate
      if (authenticate) {
        // From the headers alone: an unauthenticated client's upload is never buffered.
        const outcome = await runAuthenticator(authenticate, request, undefined, this.#log)
        if ('response' in outcome) {
          const refusal = outcome.response
          await answerUnread(req, res, limits, () => writeWebResponse(refusal, res, false))
          return
        }
        authInfo = outcome.authInfo
      }
      let body = context.parsedBody
      if (method === 'POST') {
        const read = await requestJsonBody(req, body, limits)
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
        if (authenticate && this.#authorizeBody && authInfo) {
          const refusal = await runBodyAuthorizer(
            this.#authorizeBody,
            request,
            body,
            authInfo,
            this.#log,
          )
          if (refusal) {
            await writeWebResponse(refusal, res, false)
            return
          }
        }
      }
      const response = await this.#sessions.handle(request, {
        authInfo,
        body,
        clientSignal: () => abortedWhenClientLeaves(res),
      })
      // A long-lived stream (a 2025 GET, a 2026-07-28 `subscriptions/listen`) gets its headers
      // before its first event.
      await writeWebResponse(response, res, method === 'GET' || isListen(body), this.#guard.stream)
    } catch (error) {
      this.#log('error', `Streamable HTTP request failed: ${describe(error)}`, {
        method: req.method,
      })
      if (res.headersSent) res.destroy()
      else {
        writeRejection(res, {
          status: 500,
          code: JsonRpcErrorCode.InternalError,
          message: 'Internal server error',
        })
      }
    }
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

  /** Ends every session and stops the idle timer; requests after that get 503. Idempotent. */
  close(): Promise<void> {
    return this.#sessions.close()
  }
}
