import { type Log, MCPServerError, safeLog } from '@mcpkit/types'
import type {
  AuthInfo,
  JSONRPCMessage,
  MessageExtraInfo,
  Transport,
} from '@modelcontextprotocol/server'
import { type HttpRejection, JsonRpcErrorCode, jsonRpcPayloadProblem } from './json-rpc.js'
import {
  defaultPrincipalOf,
  notifySession,
  type PrincipalOf,
  reservationRefusal,
  ServerSession,
  type SessionHandlerOptions,
  SessionRegistry,
} from './session-registry.js'

/**
 * Options of the legacy SSE handlers (web streams and `node:http`). Unlike Streamable HTTP,
 * `sessionIdleTimeoutMs` defaults to `Infinity`: the session ends when its stream does.
 */
export type SseHandlerOptions = SessionHandlerOptions

/** Where the legacy SSE endpoints are, and who is asking. */
export interface SseRequestContext {
  /** The path of the GET that opens the stream, e.g. `/sse`. */
  ssePath: string
  /** The path clients POST messages to, e.g. `/message`; the `endpoint` event points there. */
  messagePath: string
  /** The verified credentials of the request; reach handlers as `extra.authInfo`. */
  authInfo?: AuthInfo | undefined
  /** The POST body, when your framework has already parsed it. */
  parsedBody?: unknown
}

/** Headers of the GET response that carries a session's stream. */
export const SSE_RESPONSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
} as const

/** Which endpoint a request is for, or the answer when it is for neither. */
export function routeSse(
  method: string | undefined,
  pathname: string,
  context: Pick<SseRequestContext, 'ssePath' | 'messagePath'>,
): 'open' | 'message' | HttpRejection {
  if (method === 'GET' && pathname === context.ssePath) return 'open'
  if (method === 'POST' && pathname === context.messagePath) return 'message'
  if (pathname === context.ssePath || pathname === context.messagePath) {
    const allow = [
      pathname === context.ssePath ? 'GET' : undefined,
      pathname === context.messagePath ? 'POST' : undefined,
    ]
      .filter(Boolean)
      .join(', ')
    return {
      status: 405,
      code: JsonRpcErrorCode.ServerError,
      message: 'Method not allowed.',
      headers: { allow },
    }
  }
  return {
    status: 404,
    code: JsonRpcErrorCode.ServerError,
    message: `Not found: the SSE endpoint is ${context.ssePath}, messages go to ${context.messagePath}.`,
  }
}

const sessionNotFound: HttpRejection = {
  status: 404,
  code: JsonRpcErrorCode.SessionNotFound,
  message: 'Session not found: it was closed or has expired. Open a new SSE connection.',
}

/**
 * Sessions of the legacy SSE transport, whatever carries the bytes: one `Server` per stream,
 * the stream's session id in the POST query string, principal binding, idle expiry and cap.
 */
export class SseSessions<T extends Transport & { readonly sessionId: string }> {
  readonly registry: SessionRegistry<ServerSession<T>>
  lastTransport: T | undefined
  readonly #options: SseHandlerOptions
  readonly #principalOf: PrincipalOf
  /** The handler's log, safe to call on any path. */
  readonly log: Log

  constructor(options: SseHandlerOptions) {
    if (typeof options?.createServer !== 'function') {
      throw new MCPServerError(
        'INVALID_CONFIGURATION',
        '`createServer` must be a function that returns a new SDK Server for each session.',
      )
    }
    this.#options = options
    this.log = safeLog(options.log)
    this.#principalOf = options.principalOf ?? defaultPrincipalOf
    // A legacy SSE session lives exactly as long as its stream: a client that leaves ends it at
    // once (the keep-alive writes find dead peers), while an idle client that keeps listening is
    // a legitimate one. So no idle expiry unless asked for.
    this.registry = new SessionRegistry({
      ...options,
      sessionIdleTimeoutMs: options.sessionIdleTimeoutMs ?? Number.POSITIVE_INFINITY,
      log: this.log,
    })
  }

  principalOf(authInfo: AuthInfo | undefined): string | undefined {
    return authInfo ? this.#principalOf(authInfo) : undefined
  }

  /** Room for one more stream of `authInfo`'s principal, or the 503 (429 at its quota) to answer. */
  reserve(authInfo?: AuthInfo | undefined): HttpRejection | undefined {
    if (this.registry.closed) {
      return { status: 503, code: JsonRpcErrorCode.ServerError, message: 'The server is closed.' }
    }
    const outcome = this.registry.reserve(this.principalOf(authInfo))
    if (outcome === 'reserved') return undefined
    this.log('warning', 'SSE session refused: no room for another session', {
      maxSessions: this.registry.maxSessions,
      reason: outcome,
    })
    return reservationRefusal(outcome)
  }

  /**
   * Opens a session on `transport` (after `reserve()`): a new `Server`, connected, which
   * starts the transport (it sends the `endpoint` event).
   */
  async open(transport: T, authInfo: AuthInfo | undefined): Promise<ServerSession<T>> {
    let session: ServerSession<T> | undefined
    try {
      session = new ServerSession(
        this.#options.createServer({ era: 'legacy', authInfo }),
        transport,
        this.principalOf(authInfo),
        this.log,
      )
      session.id = transport.sessionId
      const opened = session
      opened.onended = () => this.#ended(opened)
      this.registry.add(opened)
      this.lastTransport = transport
      await notifySession(
        this.log,
        'onsessioninitialized',
        this.#options.onsessioninitialized,
        opened.id,
      )
      await opened.connect()
      this.log('debug', 'SSE session opened', { sessionId: opened.id })
      return opened
    } catch (error) {
      if (session) await this.registry.end(session, 'closed')
      else this.registry.release(this.principalOf(authInfo))
      throw error
    }
  }

  /** The session a POST is for, or the answer when there is none or it is someone else's. */
  find(sessionId: string | null, authInfo: AuthInfo | undefined): ServerSession<T> | HttpRejection {
    if (!sessionId) {
      return {
        status: 400,
        code: JsonRpcErrorCode.ServerError,
        message: 'Bad Request: the sessionId query parameter is required.',
      }
    }
    const session = this.registry.get(sessionId)
    if (!session) return sessionNotFound
    if (this.principalOf(authInfo) !== session.principal) {
      this.log('warning', 'request refused: the session belongs to another principal', {
        sessionId,
      })
      return {
        status: 403,
        code: JsonRpcErrorCode.ServerError,
        message: 'Forbidden: this session was opened by another principal.',
      }
    }
    return session
  }

  /** Hands a POSTed message (or batch) to the session's server; a rejection when invalid. */
  async deliver(
    session: ServerSession<T>,
    body: unknown,
    extra: MessageExtraInfo,
    handleMessage: (message: JSONRPCMessage, extra: MessageExtraInfo) => void | Promise<void>,
  ): Promise<HttpRejection | undefined> {
    const problem = jsonRpcPayloadProblem(body)
    if (problem) {
      return {
        status: 400,
        code: JsonRpcErrorCode.InvalidRequest,
        message: `Invalid Request: ${problem}`,
      }
    }
    session.lastActivity = Date.now()
    const messages = (Array.isArray(body) ? body : [body]) as JSONRPCMessage[]
    for (const message of messages) await handleMessage(message, extra)
    return undefined
  }

  #ended(session: ServerSession<T>): void {
    this.registry.remove(session)
    if (this.lastTransport === session.transport) this.lastTransport = undefined
    this.log('debug', 'SSE session closed', {
      sessionId: session.id,
      reason: session.endReason,
    })
    void notifySession(this.log, 'onsessionclosed', this.#options.onsessionclosed, session.id)
  }

  get sessionCount(): number {
    return this.registry.size
  }

  close(): Promise<void> {
    return this.registry.close()
  }
}
