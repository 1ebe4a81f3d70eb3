import { type Log, MCPServerError } from '@mcpkit/types'
import type { AuthInfo, JSONRPCMessage, Server, Transport } from '@modelcontextprotocol/server'
import type { BodyAuthorizer, RequestAuthenticator } from './authenticate.js'
import { type HttpRejection, JsonRpcErrorCode, type RequestId } from './json-rpc.js'
import type { CreateServer } from './protocol-eras.js'
import type { HttpServerSecurityOptions } from './security.js'

/** Limits on the sessions one handler keeps. */
export interface SessionOptions {
  /**
   * Milliseconds without a request or a message to the client after which a session is closed
   * (its `Server` and transport with it); its id then answers 404 so the client re-initializes.
   * A session with a request still being handled is never idle. Default 30 minutes (legacy
   * SSE: `Infinity`, as its session already ends with its stream); `Infinity` turns expiry off.
   */
  sessionIdleTimeoutMs?: number | undefined
  /**
   * Most live sessions. When a new session would exceed it, the session idle the longest
   * (with no request in progress) is closed to make room; only when every session is busy is
   * the new one refused with 503. Default 1000.
   */
  maxSessions?: number | undefined
  /**
   * Most live sessions one principal (see `principalOf`) may hold. At the quota, that
   * principal's own longest-idle session is closed to make room, never another's; when all of
   * its sessions are busy, the new one is refused with 429. Anonymous requests have no
   * principal and only meet `maxSessions`. Default 100.
   */
  maxSessionsPerPrincipal?: number | undefined
}

/** The answer to a request for a new session that `reserve()` found no room for. */
export function reservationRefusal(outcome: Exclude<Reservation, 'reserved'>): HttpRejection {
  return outcome === 'quota'
    ? {
        status: 429,
        code: JsonRpcErrorCode.ServerError,
        message:
          'Too Many Requests: this principal has too many sessions with requests in progress; end one (DELETE) or retry later.',
        headers: { 'retry-after': '1' },
      }
    : {
        status: 503,
        code: JsonRpcErrorCode.ServerError,
        message: 'Service Unavailable: too many active sessions; retry later.',
        headers: { 'retry-after': '1' },
      }
}

/** Receives the transports' log lines. Must not throw; a throwing logger is ignored. */
export type ServerLog = Log

/** Who a request is from, from its `AuthInfo`; `undefined` for anonymous. */
export type PrincipalOf = (authInfo: AuthInfo) => string | undefined

/** Default `sessionIdleTimeoutMs` of Streamable HTTP: 30 minutes. */
export const DEFAULT_SESSION_IDLE_TIMEOUT_MS = 30 * 60 * 1000
/** Default `maxSessions`. */
export const DEFAULT_MAX_SESSIONS = 1000
/** Default `maxSessionsPerPrincipal`. */
export const DEFAULT_MAX_SESSIONS_PER_PRINCIPAL = 100

/** What `SessionRegistry.reserve()` decided: a place held, or why not. */
export type Reservation = 'reserved' | 'full' | 'quota'

/**
 * The default principal: the token's subject (`extra.sub`, which mcpkit's OAuth middleware and
 * most verifiers set) as `user:<sub>`, else its OAuth client id as `client:<client_id>`. The
 * prefixes keep the two namespaces apart: a client registered as `alice` never passes for the
 * user `alice`.
 */
export const defaultPrincipalOf: PrincipalOf = (authInfo) => {
  const sub = authInfo.extra?.sub
  if (typeof sub === 'string' && sub !== '') return `user:${sub}`
  return authInfo.clientId ? `client:${authInfo.clientId}` : undefined
}

/** Calls a session lifecycle callback; a throwing or rejecting callback is logged, not raised. */
export async function notifySession(
  log: Log,
  name: 'onsessioninitialized' | 'onsessionclosed',
  callback: ((sessionId: string) => void | Promise<void>) | undefined,
  sessionId: string,
): Promise<void> {
  if (!callback) return
  try {
    await callback(sessionId)
  } catch (error) {
    log('error', `${name} threw: ${error instanceof Error ? error.message : String(error)}`, {
      sessionId,
    })
  }
}

/** What every session handler takes, whatever its wire protocol. */
export interface SessionHandlerOptions extends HttpServerSecurityOptions, SessionOptions {
  /**
   * Makes the SDK `Server` for one session (or one 2026-07-28 request), every handler
   * registered, not connected. Called once per session, so sessions never share a `Server`:
   * replies, notifications and elicitation reach only the client that asked. It is told the
   * era it will serve, who asked and the HTTP request (a zero-argument function is fine).
   */
  createServer: CreateServer
  /** Milliseconds between SSE keep-alive comments on each stream; default 15 s, 0 turns them off. */
  keepAliveMs?: number | undefined
  /** Called when a session has been created, before the client learns its id. */
  onsessioninitialized?: ((sessionId: string) => void | Promise<void>) | undefined
  /**
   * Called once when a session ends, for any reason: DELETE, the client leaving, idle timeout,
   * eviction at `maxSessions`, or `close()`. Errors are logged, not thrown.
   */
  onsessionclosed?: ((sessionId: string) => void | Promise<void>) | undefined
  /**
   * Who a request is from. Default: `authInfo.extra.sub` when it is a string, else
   * `authInfo.clientId`. A session is bound to the principal that opened it; a request from
   * another principal (or without credentials) on that session gets 403.
   */
  principalOf?: PrincipalOf | undefined
  /**
   * Verifies every request before a session sees it, from its headers, after the
   * `Host`/`Origin` check and before the body is read (an unauthenticated client cannot make
   * the server buffer its upload): return the verified `AuthInfo`, or a `Response` (401/403)
   * to answer instead. When set, it alone decides a request's `authInfo`: `req.auth` and the
   * context's `authInfo` are ignored. A throwing authenticator gets the request a 500.
   */
  authenticate?: RequestAuthenticator | undefined
  /**
   * With `authenticate`: checks a POST's parsed body against the verified credentials (the
   * scopes of the tools it calls): `undefined` to go on, or a `Response` (403) to answer.
   */
  authorizeBody?: BodyAuthorizer | undefined
  /** Log lines of the transport: session lifecycle (debug/info), refusals (warning), errors. */
  log?: ServerLog | undefined
}

/** Why a session ended, for logs and `onsessionclosed`. */
export type SessionEndReason = 'deleted' | 'idle' | 'evicted' | 'closed' | 'disconnected'

/**
 * One client session: its own SDK `Server` on its own transport. It watches the messages that
 * pass so the registry knows when it was last used and whether a request is in progress.
 */
export class ServerSession<T extends Transport = Transport> {
  id = ''
  readonly server: Server
  readonly transport: T
  readonly principal: string | undefined
  lastActivity = Date.now()
  /** Requests received and not yet answered (or cancelled). */
  readonly pending = new Set<RequestId>()
  endReason: SessionEndReason | undefined
  #closing: Promise<void> | undefined
  #connected = false
  /** Runs once, when the transport has closed for any reason. */
  onended: (() => void) | undefined
  /** Runs when the last pending request has been answered. */
  onidle: (() => void) | undefined

  readonly #log: Log

  constructor(server: Server, transport: T, principal: string | undefined, log: Log) {
    this.server = server
    this.transport = transport
    this.principal = principal
    this.#log = log
    this.#instrument()
  }

  /** Hooks set before `server.connect()`, which chains its own after them. */
  #instrument(): void {
    const transport = this.transport
    transport.onmessage = (message: JSONRPCMessage) => {
      this.lastActivity = Date.now()
      if ('method' in message) {
        if ('id' in message) this.pending.add(message.id)
        else if (message.method === 'notifications/cancelled') {
          const requestId = (message.params as { requestId?: RequestId } | undefined)?.requestId
          if (requestId !== undefined && this.pending.delete(requestId)) this.#settled()
        }
      }
    }
    const send = transport.send.bind(transport)
    transport.send = async (message, options) => {
      this.lastActivity = Date.now()
      try {
        await send(message, options)
      } finally {
        if ('id' in message && !('method' in message) && this.pending.delete(message.id!)) {
          this.#settled()
        }
      }
    }
    // Mostly client mistakes (wrong Accept header, a second GET stream, a vanished client).
    transport.onerror = (error) => {
      this.#log('debug', `transport: ${error.message}`, { sessionId: this.id })
    }
    transport.onclose = () => {
      this.endReason ??= 'disconnected'
      const onended = this.onended
      this.onended = undefined
      onended?.()
    }
  }

  /**
   * Connects the server to the transport, then makes the close chain run once: some SDK
   * transports (SSE on node:http) report their close twice.
   */
  async connect(): Promise<void> {
    if (this.server.transport) {
      throw new MCPServerError(
        'INVALID_CONFIGURATION',
        '`createServer` returned a Server that is already connected. Return a new Server from every call: sessions must never share one.',
      )
    }
    await this.server.connect(this.transport)
    this.#connected = true
    const chained = this.transport.onclose
    let fired = false
    this.transport.onclose = () => {
      if (fired) return
      fired = true
      chained?.()
    }
  }

  #settled(): void {
    if (this.pending.size === 0) this.onidle?.()
  }

  get busy(): boolean {
    return this.pending.size > 0
  }

  /** Closes the `Server` and its transport; idempotent. */
  close(reason: SessionEndReason): Promise<void> {
    this.endReason ??= reason
    // A server this session never connected may belong to someone else: close only our side.
    this.#closing ??= (this.#connected ? this.server.close() : this.transport.close()).catch(
      () => {},
    )
    return this.#closing
  }
}

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw new MCPServerError(
      'INVALID_CONFIGURATION',
      `\`${name}\` must be a positive number (or Infinity), got ${String(value)}.`,
    )
  }
  return value
}

/** Longest setTimeout/setInterval delay Node accepts. */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * The live sessions of one handler, by id: idle expiry (one `unref()`ed sweep timer, running
 * only while there are sessions) and the session cap.
 */
export class SessionRegistry<S extends ServerSession> {
  readonly idleTimeoutMs: number
  readonly maxSessions: number
  readonly maxSessionsPerPrincipal: number
  readonly #sessions = new Map<string, S>()
  /** Live sessions plus held places, per principal. */
  readonly #perPrincipal = new Map<string, number>()
  readonly #log: Log
  #reserved = 0
  #sweeper: ReturnType<typeof setInterval> | undefined
  #closed = false

  constructor(options: SessionOptions & { log: Log }) {
    this.idleTimeoutMs = positive(
      'sessionIdleTimeoutMs',
      options.sessionIdleTimeoutMs,
      DEFAULT_SESSION_IDLE_TIMEOUT_MS,
    )
    this.maxSessions = positive('maxSessions', options.maxSessions, DEFAULT_MAX_SESSIONS)
    this.maxSessionsPerPrincipal = positive(
      'maxSessionsPerPrincipal',
      options.maxSessionsPerPrincipal,
      DEFAULT_MAX_SESSIONS_PER_PRINCIPAL,
    )
    this.#log = options.log
  }

  get size(): number {
    return this.#sessions.size
  }

  get closed(): boolean {
    return this.#closed
  }

  get(id: string): S | undefined {
    return this.#sessions.get(id)
  }

  values(): IterableIterator<S> {
    return this.#sessions.values()
  }

  /**
   * Holds a place for a session about to open for `principal`. At the principal's quota, closes
   * that principal's longest-idle session without a request in progress (`'quota'` when all
   * are busy); at the global cap, the longest-idle session of anyone (`'full'` when every
   * session is busy).
   */
  reserve(principal?: string | undefined): Reservation {
    if (this.#closed) return 'full'
    if (
      principal !== undefined &&
      (this.#perPrincipal.get(principal) ?? 0) >= this.maxSessionsPerPrincipal
    ) {
      const oldest = this.#longestIdle(principal)
      if (!oldest) return 'quota'
      this.#log('info', "session evicted: its principal's session quota was reached", {
        sessionId: oldest.id,
        maxSessionsPerPrincipal: this.maxSessionsPerPrincipal,
      })
      void this.end(oldest, 'evicted')
    }
    if (this.#sessions.size + this.#reserved >= this.maxSessions) {
      const oldest = this.#longestIdle(undefined)
      if (!oldest) return 'full'
      this.#log('info', 'session evicted: the session limit was reached', {
        sessionId: oldest.id,
        maxSessions: this.maxSessions,
      })
      void this.end(oldest, 'evicted')
    }
    this.#reserved++
    this.#count(principal, 1)
    return 'reserved'
  }

  /** The longest-idle session without a request in progress (of `principal`, when given). */
  #longestIdle(principal: string | undefined): S | undefined {
    let oldest: S | undefined
    for (const session of this.#sessions.values()) {
      if (principal !== undefined && session.principal !== principal) continue
      if (!session.busy && (!oldest || session.lastActivity < oldest.lastActivity)) {
        oldest = session
      }
    }
    return oldest
  }

  #count(principal: string | undefined, delta: number): void {
    if (principal === undefined) return
    const next = (this.#perPrincipal.get(principal) ?? 0) + delta
    if (next > 0) this.#perPrincipal.set(principal, next)
    else this.#perPrincipal.delete(principal)
  }

  /** Gives back a place `reserve()` held, for a session of `principal` that did not open. */
  release(principal?: string | undefined): void {
    if (this.#reserved > 0) {
      this.#reserved--
      this.#count(principal, -1)
    }
  }

  /** Registers a session under its id, using the place `reserve()` held. */
  add(session: S): void {
    if (this.#reserved > 0) this.#reserved--
    this.#sessions.set(session.id, session)
    if (!this.#sweeper && Number.isFinite(this.idleTimeoutMs)) {
      // Expiry is checked a few times per TTL, so a session lives at most ~1.25× its TTL.
      const every = Math.min(Math.max(this.idleTimeoutMs / 4, 10), 60_000, MAX_TIMER_MS)
      this.#sweeper = setInterval(() => this.#sweep(), every)
      this.#sweeper.unref?.()
    }
  }

  /** Forgets a session (its transport closed); stops the sweep when none is left. */
  remove(session: S): void {
    if (this.#sessions.get(session.id) === session) {
      this.#sessions.delete(session.id)
      this.#count(session.principal, -1)
    }
    if (this.#sessions.size === 0) this.#stopSweeper()
  }

  /** Removes and closes a session. */
  end(session: S, reason: SessionEndReason): Promise<void> {
    this.remove(session)
    return session.close(reason)
  }

  #sweep(): void {
    const deadline = Date.now() - this.idleTimeoutMs
    for (const session of this.#sessions.values()) {
      if (session.lastActivity <= deadline && !session.busy) {
        this.#log('debug', 'session expired after being idle', {
          sessionId: session.id,
          idleTimeoutMs: this.idleTimeoutMs,
        })
        void this.end(session, 'idle')
      }
    }
  }

  #stopSweeper(): void {
    if (this.#sweeper) clearInterval(this.#sweeper)
    this.#sweeper = undefined
  }

  /** Closes every session and refuses new ones from now on; idempotent. */
  async close(): Promise<void> {
    this.#closed = true
    this.#stopSweeper()
    const sessions = [...this.#sessions.values()]
    this.#sessions.clear()
    this.#perPrincipal.clear()
    await Promise.all(sessions.map((session) => session.close('closed')))
  }
}
