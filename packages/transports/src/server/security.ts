import { MCPServerError } from '@mcpkit/types'
import { type HttpRejection, JsonRpcErrorCode } from './json-rpc.js'

/** DNS-rebinding protection and body limits of the HTTP server transports. */
export interface HttpServerSecurityOptions {
  /**
   * `Host` header allow-list: `'host'` (any port) or `'host:port'`; IPv6 as `'[::1]'`.
   * Default: `localhost`, `127.0.0.1` and `[::1]` on any port, which is right for a local
   * server. Set it to your public host names when you serve one, or `false` to turn the `Host`
   * check off (and the default `Origin` check with it).
   */
  allowedHosts?: string[] | false | undefined
  /**
   * `Origin` allow-list, as browsers send it (`'https://app.example.com'`). Default: the
   * `http:` and `https:` origins of the allowed hosts. Requests without `Origin` (non-browser
   * clients) always pass. `false` turns the `Origin` check off.
   */
  allowedOrigins?: string[] | false | undefined
  /**
   * Largest request body in bytes; default 4 MiB. A larger body is answered 413 with a JSON-RPC
   * error, and reading stops at the cap.
   */
  maxBodyBytes?: number | undefined
  /**
   * Milliseconds a request body may take to arrive, from the moment the handler starts reading
   * it; a slower one (a client trickling bytes) is answered 408 and its connection closed.
   * Default 30 s.
   */
  bodyTimeoutMs?: number | undefined
  /**
   * Most bytes of request bodies being read at once, across all requests of the handler; a
   * body that would go past it is answered 503 (`Retry-After`). With the per-request cap this
   * bounds what uploads can hold, however many connections a client opens. Default 64 MiB.
   */
  maxBodyBytesInFlight?: number | undefined
  /**
   * Most bytes waiting to be written to one response stream (SSE or JSON) for a client that
   * does not read them; past it the stream is closed (a 2025 session's stream, a legacy SSE
   * session, a 2026-07-28 request). Default 8 MiB.
   */
  maxBufferedBytesPerStream?: number | undefined
  /**
   * Longest time bytes written to a response stream may wait for the client with no progress;
   * past it the connection is closed, so a client that stops reading holds nothing longer, even
   * below `maxBufferedBytesPerStream`. Default 30 s.
   */
  streamStallTimeoutMs?: number | undefined
  /**
   * Deepest nesting of arrays and objects a JSON body may have; a deeper one is answered 400
   * `-32600` before it is parsed. Default 64.
   */
  maxJsonDepth?: number | undefined
}

/** Default `maxBodyBytes` (4 MiB), the SDK's own cap: a larger JSON-RPC message is almost certainly abuse. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
/** Default `bodyTimeoutMs`: 30 s. */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000
/** Default `maxBodyBytesInFlight`: 64 MiB. */
export const DEFAULT_MAX_BODY_BYTES_IN_FLIGHT = 64 * 1024 * 1024
/** Default `maxBufferedBytesPerStream`: 8 MiB. */
export const DEFAULT_MAX_BUFFERED_BYTES_PER_STREAM = 8 * 1024 * 1024
/** Default `streamStallTimeoutMs`: 30 s. */
export const DEFAULT_STREAM_STALL_TIMEOUT_MS = 30_000
/** Default `maxJsonDepth`. */
export const DEFAULT_MAX_JSON_DEPTH = 64

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]']

/** A DNS name (underscores allowed, as container names use them), IPv4, or bracketed IPv6. */
const HOSTNAME = /^(?:\[[0-9a-f:.]+\]|[a-z0-9_.-]+)$/

interface HostRule {
  hostname: string
  /** `undefined`: any port. */
  port: string | undefined
}

/** `host` or `host:port` (IPv6 in brackets) split and lower-cased; `undefined` if malformed. */
function splitHost(value: string): HostRule | undefined {
  const host = value.trim().toLowerCase()
  if (host === '') return undefined
  let hostname: string
  let rest: string
  if (host.startsWith('[')) {
    const end = host.indexOf(']')
    if (end < 0) return undefined
    hostname = host.slice(0, end + 1)
    rest = host.slice(end + 1)
  } else {
    const colon = host.indexOf(':')
    if (colon !== host.lastIndexOf(':')) {
      // A bare IPv6 address in an allow-list entry: accept it in its bracketed form.
      return HOSTNAME.test(`[${host}]`) ? { hostname: `[${host}]`, port: undefined } : undefined
    }
    hostname = colon < 0 ? host : host.slice(0, colon)
    rest = colon < 0 ? '' : host.slice(colon)
  }
  if (!HOSTNAME.test(hostname)) return undefined
  if (rest === '') return { hostname, port: undefined }
  if (!/^:\d{1,5}$/.test(rest)) return undefined
  return { hostname, port: rest.slice(1) }
}

function invalidOption(message: string): MCPServerError {
  return new MCPServerError('INVALID_CONFIGURATION', message)
}

function hostRules(option: HttpServerSecurityOptions['allowedHosts']): HostRule[] | undefined {
  if (option === false) return undefined
  if (option === undefined) return LOOPBACK_HOSTS.map((hostname) => ({ hostname, port: undefined }))
  if (!Array.isArray(option)) {
    throw invalidOption('`allowedHosts` must be an array of host names (or `false`).')
  }
  return option.map((entry) => {
    const rule = typeof entry === 'string' ? splitHost(entry) : undefined
    if (!rule) {
      throw invalidOption(
        `\`allowedHosts\` entry ${JSON.stringify(entry)} is not a host name or host:port.`,
      )
    }
    return rule
  })
}

function matchesHost(rules: HostRule[], host: HostRule): boolean {
  for (const rule of rules) {
    if (rule.hostname === host.hostname && (rule.port === undefined || rule.port === host.port)) {
      return true
    }
  }
  return false
}

/** `scheme://host[:port]` of an `Origin` header, or `undefined` when it is not one. */
function splitOrigin(origin: string): { scheme: string; host: HostRule } | undefined {
  const separator = origin.indexOf('://')
  if (separator < 0) return undefined
  const host = splitHost(origin.slice(separator + 3))
  return host ? { scheme: origin.slice(0, separator).toLowerCase(), host } : undefined
}

function positiveOption(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidOption(`\`${name}\` must be a positive number, got ${String(value)}.`)
  }
  return Math.floor(value)
}

/** Bytes of request bodies being read at once, across the requests of one handler. */
export class BytesInFlight {
  used = 0
  constructor(readonly max: number) {}

  /** Counts `bytes` more; `false` (nothing counted) when that would pass the cap. */
  take(bytes: number): boolean {
    if (this.used + bytes > this.max) return false
    this.used += bytes
    return true
  }

  give(bytes: number): void {
    this.used = Math.max(0, this.used - bytes)
  }
}

/** How request bodies are read: per-request cap, deadline, shared budget, nesting. */
export interface BodyLimits {
  maxBytes: number
  timeoutMs: number
  inFlight: BytesInFlight
  maxDepth: number
}

/**
 * The checks every HTTP request passes before anything else runs: `Host` and `Origin`
 * allow-lists (DNS-rebinding protection, on by default as the MCP spec asks of local servers)
 * and the body cap. Options are validated once, here, so a typo fails at startup.
 */
export class RequestGuard {
  readonly maxBodyBytes: number
  readonly maxBufferedBytesPerStream: number
  /** What `writeWebResponse` bounds a response stream with. */
  readonly stream: { maxBufferedBytes: number; stallTimeoutMs: number }
  /** The body limits, one budget per handler. */
  readonly body: BodyLimits
  readonly #hosts: HostRule[] | undefined
  /** `undefined`: no check; `'hosts'`: http(s) origins of the allowed hosts. */
  readonly #origins: Set<string> | 'hosts' | undefined

  constructor(options: HttpServerSecurityOptions) {
    this.maxBodyBytes = positiveOption('maxBodyBytes', options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES)
    this.maxBufferedBytesPerStream = positiveOption(
      'maxBufferedBytesPerStream',
      options.maxBufferedBytesPerStream,
      DEFAULT_MAX_BUFFERED_BYTES_PER_STREAM,
    )
    this.stream = {
      maxBufferedBytes: this.maxBufferedBytesPerStream,
      stallTimeoutMs: positiveOption(
        'streamStallTimeoutMs',
        options.streamStallTimeoutMs,
        DEFAULT_STREAM_STALL_TIMEOUT_MS,
      ),
    }
    this.body = {
      maxBytes: this.maxBodyBytes,
      timeoutMs: positiveOption('bodyTimeoutMs', options.bodyTimeoutMs, DEFAULT_BODY_TIMEOUT_MS),
      inFlight: new BytesInFlight(
        positiveOption(
          'maxBodyBytesInFlight',
          options.maxBodyBytesInFlight,
          DEFAULT_MAX_BODY_BYTES_IN_FLIGHT,
        ),
      ),
      maxDepth: positiveOption('maxJsonDepth', options.maxJsonDepth, DEFAULT_MAX_JSON_DEPTH),
    }
    this.#hosts = hostRules(options.allowedHosts)
    const { allowedOrigins } = options
    if (allowedOrigins === false) {
      this.#origins = undefined
    } else if (allowedOrigins === undefined) {
      this.#origins = this.#hosts ? 'hosts' : undefined
    } else if (Array.isArray(allowedOrigins)) {
      this.#origins = new Set(
        allowedOrigins.map((origin) => {
          // Browsers send origins without a path; a copied URL's trailing slash is forgiven.
          const normalized =
            typeof origin === 'string' ? origin.trim().toLowerCase().replace(/\/$/, '') : ''
          if (!splitOrigin(normalized)) {
            throw invalidOption(
              `\`allowedOrigins\` entry ${JSON.stringify(origin)} is not an origin like "https://app.example.com".`,
            )
          }
          return normalized
        }),
      )
    } else {
      throw invalidOption('`allowedOrigins` must be an array of origins (or `false`).')
    }
  }

  /**
   * Whether a request with these headers may proceed: `undefined`, or the 403 to answer.
   * `host` is `undefined` when the runtime does not expose the header (the caller then passes
   * the request URL's host, which those runtimes derive from it).
   */
  check(
    host: string | null | undefined,
    origin: string | null | undefined,
  ): HttpRejection | undefined {
    const hosts = this.#hosts
    if (hosts) {
      const parsed = host ? splitHost(host) : undefined
      if (!parsed || !matchesHost(hosts, parsed)) {
        return forbidden(
          `Invalid Host header: ${host ?? '(none)'}. The server accepts only its allowed hosts (allowedHosts).`,
        )
      }
    }
    const origins = this.#origins
    if (origins && origin) {
      let allowed: boolean
      if (origins === 'hosts') {
        const parsed = splitOrigin(origin)
        allowed =
          parsed !== undefined &&
          (parsed.scheme === 'http' || parsed.scheme === 'https') &&
          matchesHost(hosts ?? [], parsed.host)
      } else {
        allowed = origins.has(origin.trim().toLowerCase())
      }
      if (!allowed) {
        return forbidden(
          `Invalid Origin header: ${origin}. The server accepts only its allowed origins (allowedOrigins).`,
        )
      }
    }
    return undefined
  }
}

function forbidden(message: string): HttpRejection {
  return { status: 403, code: JsonRpcErrorCode.ServerError, message }
}

/** 413 for a body over the cap. */
export function payloadTooLarge(maxBodyBytes: number): HttpRejection {
  return {
    status: 413,
    code: JsonRpcErrorCode.ServerError,
    message: `Payload Too Large: the request body must not exceed ${maxBodyBytes} bytes (maxBodyBytes).`,
    headers: { connection: 'close' },
  }
}

/** 408 for a body that did not arrive within `bodyTimeoutMs`. */
export function bodyTimedOut(timeoutMs: number): HttpRejection {
  return {
    status: 408,
    code: JsonRpcErrorCode.ServerError,
    message: `Request Timeout: the request body did not arrive within ${timeoutMs} ms (bodyTimeoutMs).`,
    headers: { connection: 'close' },
  }
}

/** 503 for a body that would pass `maxBodyBytesInFlight`. */
export function tooManyBodiesInFlight(): HttpRejection {
  return {
    status: 503,
    code: JsonRpcErrorCode.ServerError,
    message:
      'Service Unavailable: too many request bodies are being received at once (maxBodyBytesInFlight); retry later.',
    headers: { connection: 'close', 'retry-after': '1' },
  }
}
