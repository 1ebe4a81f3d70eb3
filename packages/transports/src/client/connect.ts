import type {
  HttpServerDefinition,
  LoggingLevel,
  ProtocolEra,
  ServerDefinition,
} from '@mcpkit/types'
import { MCPClientError } from '@mcpkit/types'
import {
  type Client,
  type OAuthClientProvider,
  type PriorDiscovery,
  SdkHttpError,
  SSEClientTransport,
  SseError,
  StreamableHTTPClientTransport,
  type Transport,
} from '@modelcontextprotocol/client'
import { validateServerDefinition } from '../definition.js'
import { isProbeWithoutVerdict } from '../sdk-contract.js'
import {
  type ConnectionFailure,
  closedFailure,
  commonFailure,
  connectError,
  describe,
  isUntyped,
  withDeadline,
} from './connect-errors.js'
import { connectStdio } from './connect-stdio.js'
import { isOversizedBody } from './counting-source.js'
import { TransportFetch } from './http-fetch.js'
import { watchListCursors } from './list-pages.js'
import {
  type Attempt,
  eraOf,
  type ProtocolVerdict,
  protocolVersionOf,
  type TransportKind,
  versionNegotiation,
  withVerdict,
} from './protocol-verdict.js'
import { runWithRequestContext } from './request-context-storage.js'

export type { ConnectionFailure } from './connect-errors.js'
export type { ProtocolVerdict, TransportKind } from './protocol-verdict.js'

/** An SDK `Client` connected to one server, and how to close it cleanly. */
export interface ClientConnection {
  readonly client: Client
  readonly transport: Transport
  readonly kind: TransportKind
  /** The protocol era the connection speaks. */
  readonly era: ProtocolEra
  /** The protocol revision negotiated (`'2026-07-28'`, `'2025-11-25'`, …). */
  readonly protocolVersion: string
  /**
   * What this connection learned about the server's era, to pass as `verdict` to the next
   * connect within the same authorization context (so it does not probe again).
   */
  readonly verdict: ProtocolVerdict
  /** Classifies a request's error; `undefined` when it says nothing about the connection. */
  failureOf(error: unknown): ConnectionFailure | undefined
  /**
   * Called when the response stream of a request ended before the request was answered
   * (HTTP): the answer may never come. Set it to react, e.g. by checking the server is there.
   */
  onstreamlost: (() => void) | undefined
  /**
   * The standalone `GET` stream of a legacy Streamable HTTP connection, which carries what the
   * server sends unasked; `undefined` on other connections (a legacy SSE session is its stream,
   * stdio has no other, the 2026-07-28 era asks with `subscriptions/listen`). Held back from the
   * start when the definition says `notificationStream: false`.
   */
  readonly standingStream: StandingStream | undefined
  /**
   * Ends the connection: terminates the Streamable HTTP session (`DELETE`), closes the
   * transport, and for stdio waits until the server's process group has exited.
   */
  close(): Promise<void>
}

/** A standing stream that can be closed while idle and opened again. */
export interface StandingStream {
  /** Whether the stream is open: what the server sends unasked arrives. */
  readonly open: boolean
  /** Closes the stream, and holds the next one back until `resume()`. Idempotent. */
  park(): void
  /** Lets the stream open again, at once. Idempotent. */
  resume(): void
}

export interface ConnectClientOptions {
  /** The server's key in `servers`; named in every error. */
  serverName: string
  definition: ServerDefinition
  /**
   * Makes the SDK `Client` for one attempt, handlers registered. Each attempt (and the SSE
   * fallback) gets a fresh client, so a failed attempt never leaves a half-connected one behind.
   * `connectClient` sets its version negotiation from the definition's `protocolVersion`.
   */
  createClient: () => Client
  /** Milliseconds for the whole handshake, probe and fallbacks included. */
  timeout: number
  /**
   * What an earlier connection to this server learned about its protocol era
   * (`ClientConnection.verdict`): the probe is skipped. Pass only a verdict learned within the
   * same authorization context. A verdict that no longer holds (the connect fails with it) is
   * dropped and the server probed again, once.
   */
  verdict?: ProtocolVerdict | undefined
  log?:
    | ((level: LoggingLevel, message: string, details?: Record<string, unknown>) => void)
    | undefined
  /**
   * Abandons the handshake: the attempt's transport is closed and the promise rejects with
   * `DISCONNECTED`. Abort with the default reason (an `AbortError`).
   */
  signal?: AbortSignal | undefined
}

const FALLBACK_STATUSES = new Set([400, 404, 405])
/**
 * How long `close()` waits for the answer to its `DELETE`. Past it the close goes on and the
 * server keeps the session until its own idle timeout. Generous: a service that closes its
 * whole pool at once sends all its DELETEs together, on a process busy with the rest of its
 * shutdown (160 at once took up to 1.3 s on a 2-core machine with its CPU shared).
 */
const TERMINATE_TIMEOUT_MS = 5000
/**
 * Builds the transport a server definition asks for and opens the connection on it, in the
 * protocol era the definition's `protocolVersion` asks for (`'auto'`: the era the server
 * speaks, found as the MCP backwards-compatibility rules say).
 *
 * - HTTP: a modern request (`server/discover`) goes first; an answer that is not a modern one
 *   makes it a legacy server, spoken to with `initialize` over Streamable HTTP, or over legacy
 *   SSE when that POST is answered 400, 404 or 405 (or always SSE with `transport: 'sse'`). A
 *   401/403 is refused credentials, never a legacy verdict; a 5xx, a refused connection or a
 *   timeout is an error naming the server and URL, never a fallback. A 2xx probe answer the
 *   client cannot use is a legacy verdict.
 * - stdio: a `server/discover` probe; a silent server is a legacy one. A legacy server that
 *   exits on the probe (some exit on any request before `initialize`) is started again, once,
 *   and spoken to with `initialize`.
 *
 * The handshake runs with a `null` request context.
 */
export function connectClient(options: ConnectClientOptions): Promise<ClientConnection> {
  const resolved = validateServerDefinition(options.serverName, options.definition)
  const connect = () =>
    resolved.kind === 'stdio' ? connectStdio(options) : connectHttp(options, resolved.url)
  // Only a custom fetch reads the request context; without one, stay out of AsyncLocalStorage.
  return resolved.kind === 'http' && resolved.definition.fetch
    ? runWithRequestContext(null, connect)
    : connect()
}

// ── HTTP ──────────────────────────────────────────────────────────────────────

function connectHttp(options: ConnectClientOptions, url: URL): Promise<ClientConnection> {
  const definition = options.definition as HttpServerDefinition
  const mode = definition.transport ?? 'auto'
  return withVerdict(options, async (attempt, remaining) => {
    const sseOnly =
      mode === 'sse' ||
      (mode === 'auto' &&
        options.verdict?.era === 'legacy' &&
        options.verdict.transport === 'sse' &&
        attempt.prior !== undefined)
    if (sseOnly) return connectSse(options, url, remaining, false)
    try {
      return await connectStreamable(options, url, attempt, remaining)
    } catch (error) {
      const status = httpStatusOf(error)
      if (
        mode === 'streamable-http' ||
        attempt.option === '2026-07-28' ||
        status === undefined ||
        !FALLBACK_STATUSES.has(status)
      ) {
        throw error
      }
      options.log?.('info', `Streamable HTTP answered ${status}; trying the legacy SSE transport`, {
        url: url.href,
      })
      return connectSse(options, url, remaining, true)
    }
  })
}

/** The HTTP status of a failed Streamable HTTP handshake (the SDK's typed error). */
function httpStatusOf(error: unknown): number | undefined {
  const cause = error instanceof MCPClientError ? error.cause : error
  return cause instanceof SdkHttpError ? cause.status : undefined
}

async function connectStreamable(
  options: ConnectClientOptions,
  url: URL,
  attempt: Attempt,
  remaining: () => number,
): Promise<ClientConnection> {
  const { serverName, log } = options
  const definition = options.definition as HttpServerDefinition
  const target = `URL ${url.href}`
  const open = async (prior: PriorDiscovery | undefined) => {
    const transportFetch = new TransportFetch(definition, {
      parked: definition.notificationStream === false,
    })
    const transport = new StreamableHTTPClientTransport(
      url,
      httpTransportOptions(definition, transportFetch),
    )
    const client = options.createClient()
    client.setVersionNegotiation(versionNegotiation(attempt.option, undefined))
    const timeout = remaining()
    try {
      await withDeadline(
        client.connect(transport, { timeout, ...(prior ? { prior } : {}) }),
        timeout,
        options.signal,
      )
    } catch (error) {
      await transport.close().catch(() => {})
      throw { error, probeStatus: transportFetch.probeStatus }
    }
    return { client, transport, transportFetch }
  }

  let opened: Awaited<ReturnType<typeof open>>
  try {
    opened = await open(attempt.prior)
  } catch (failure) {
    const { error, probeStatus } = failure as { error: unknown; probeStatus: number | undefined }
    // A 2xx answer to the probe that the client could not use (an empty body, a proxy's page):
    // not a modern server, so a legacy one; anything else the probe met stays an error.
    const unusableProbeAnswer =
      attempt.option === 'auto' &&
      !attempt.prior &&
      probeStatus !== undefined &&
      probeStatus >= 200 &&
      probeStatus < 300 &&
      isProbeWithoutVerdict(error)
    if (!unusableProbeAnswer) throw connectError(serverName, target, options.timeout, error)
    log?.(
      'info',
      `the protocol probe was answered ${probeStatus} without a usable reply; speaking the legacy protocol`,
    )
    try {
      opened = await open({ kind: 'legacy' })
    } catch (again) {
      throw connectError(serverName, target, options.timeout, (again as { error: unknown }).error)
    }
  }
  const { client, transport, transportFetch } = opened
  const era = eraOf(client)
  transportFetch.attach(transport)
  const discover = client.getDiscoverResult()
  return httpConnection({
    serverName,
    client,
    transport,
    transportFetch,
    kind: 'streamable-http',
    verdict:
      era === 'modern' && discover
        ? { era: 'modern', discover }
        : { era: 'legacy', transport: 'streamable-http' },
    // Bound rather than a closure, which would keep this attempt's scope (its options, the
    // deadline's closure) for as long as the connection lives.
    close: closeStreamable.bind(undefined, client, transport, log),
  })
}

async function connectSse(
  options: ConnectClientOptions,
  url: URL,
  remaining: () => number,
  fellBack: boolean,
): Promise<ClientConnection> {
  const definition = options.definition as HttpServerDefinition
  const target = `URL ${url.href}`
  if (protocolVersionOf(definition) === '2026-07-28') {
    throw new MCPClientError(
      'CONNECTION_FAILED',
      `Cannot connect to server "${options.serverName}" (${target}): it speaks only legacy SSE, which has no 2026-07-28 era (protocolVersion: '2026-07-28').`,
      { serverName: options.serverName },
    )
  }
  const sseFetch = new TransportFetch(definition)
  const transport = new SSEClientTransport(url, {
    ...httpTransportOptions(definition, sseFetch),
    ...(definition.eventSourceInit ? { eventSourceInit: definition.eventSourceInit } : {}),
  })
  const client = options.createClient()
  client.setVersionNegotiation({ mode: 'legacy' })
  try {
    await withDeadline(
      client.connect(transport, { timeout: remaining() }),
      remaining(),
      options.signal,
    )
  } catch (error) {
    await transport.close().catch(() => {})
    const how = fellBack ? ' (after Streamable HTTP answered 4xx)' : ''
    throw connectError(
      options.serverName,
      `${target} over legacy SSE${how}`,
      options.timeout,
      error,
    )
  }
  // A legacy SSE session lives and dies with its stream: once the stream breaks, replies to
  // pending requests can never arrive, so close now and let them fail instead of time out.
  sseFetch.attach(transport)
  const onerror = transport.onerror
  transport.onerror = (error) => {
    onerror?.(error)
    if (error instanceof SseError) void transport.close()
  }
  return httpConnection({
    serverName: options.serverName,
    client,
    transport,
    transportFetch: sseFetch,
    kind: 'sse',
    verdict: { era: 'legacy', transport: 'sse' },
    close: () => client.close(),
  })
}

function httpConnection(parts: {
  serverName: string
  client: Client
  transport: Transport
  transportFetch: TransportFetch
  kind: 'streamable-http' | 'sse'
  verdict: ProtocolVerdict
  close: () => Promise<void>
}): ClientConnection {
  const { client, transportFetch } = parts
  const era = eraOf(client)
  watchListCursors(parts.transport, parts.serverName)
  const connection: ClientConnection = {
    client,
    transport: parts.transport,
    kind: parts.kind,
    era,
    protocolVersion: client.getNegotiatedProtocolVersion() ?? '',
    verdict: parts.verdict,
    failureOf(error) {
      if (isOversizedBody(error)) return 'response-too-large'
      const common = commonFailure(error)
      if (common) return common
      // Streamable HTTP says 404 in its error; legacy SSE only in the message of an untyped
      // error, so ask the fetch. A typed error (the server's answer, a timeout) never passes for
      // an expired session: the request may have run, and must not be sent again.
      if (error instanceof SdkHttpError && error.status === 404) return 'session-expired'
      if (isUntyped(error)) {
        if (transportFetch.sessionExpired) return 'session-expired'
        if (transportFetch.credentialsRefused) return 'unauthorized'
      }
      return closedFailure(client, error)
    },
    onstreamlost: undefined,
    standingStream:
      parts.kind === 'streamable-http' && era === 'legacy' ? transportFetch : undefined,
    close: parts.close,
  }
  transportFetch.onStreamLost = () => connection.onstreamlost?.()
  return connection
}

function httpTransportOptions(definition: HttpServerDefinition, transportFetch: TransportFetch) {
  // A provider that steps up through mcpkit (`@mcpkit/oauth`'s) has the transport pass a 403
  // insufficient_scope up as the SDK's InsufficientScopeError, for MCPClient to handle.
  const onInsufficientScope = definition.authProvider?.onInsufficientScope
  return {
    fetch: transportFetch.fetch,
    ...(definition.requestInit ? { requestInit: definition.requestInit } : {}),
    ...(definition.authProvider
      ? { authProvider: definition.authProvider as unknown as OAuthClientProvider }
      : {}),
    ...(onInsufficientScope ? { onInsufficientScope } : {}),
  }
}

async function closeStreamable(
  client: Client,
  transport: StreamableHTTPClientTransport,
  log: ConnectClientOptions['log'],
) {
  // The spec asks clients to end their session; servers otherwise keep it until their TTL.
  // A modern connection has no session, so nothing is sent.
  if (transport.sessionId) {
    await withDeadline(transport.terminateSession(), TERMINATE_TIMEOUT_MS).catch((error) => {
      log?.('warning', `could not end the session with DELETE: ${describe(error)}`)
    })
  }
  await client.close()
}
