import type { HttpServerDefinition, LoggingLevel, ServerDefinition } from '@mcpkit/types'
import { formatIssues, isMCPKitError, MCPClientError } from '@mcpkit/types'
import {
  type Client,
  InsufficientScopeError,
  OAuthClientFlowError,
  type OAuthClientProvider,
  OAuthError,
  ProtocolError,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  SSEClientTransport,
  SseError,
  StreamableHTTPClientTransport,
  type Transport,
  UnauthorizedError,
} from '@modelcontextprotocol/client'
import { validateServerDefinition } from '../definition.js'
import { isNetworkFailure } from '../sdk-contract.js'
import { TransportFetch } from './http-fetch.js'
import { runWithRequestContext } from './request-context-storage.js'
import { ProcessStdioTransport } from './stdio-transport.js'

/** Which wire protocol a connection ended up on. */
export type TransportKind = 'stdio' | 'streamable-http' | 'sse'

/**
 * What a failed request says about its connection: the server refused the credentials, it no
 * longer knows the session (the request did not run), or the connection broke under the
 * request (it may or may not have run).
 */
export type ConnectionFailure = 'unauthorized' | 'session-expired' | 'connection-lost'

/** An SDK `Client` connected to one server, and how to close it cleanly. */
export interface ClientConnection {
  readonly client: Client
  readonly transport: Transport
  readonly kind: TransportKind
  /** Classifies a request's error; `undefined` when it says nothing about the connection. */
  failureOf(error: unknown): ConnectionFailure | undefined
  /**
   * Called when the response stream of a request ended before the request was answered
   * (HTTP): the answer may never come. Set it to react, e.g. by checking the server is there.
   */
  onstreamlost: (() => void) | undefined
  /**
   * Ends the connection: terminates the Streamable HTTP session (`DELETE`), closes the
   * transport, and for stdio waits until the server's process group has exited.
   */
  close(): Promise<void>
}

export interface ConnectClientOptions {
  /** The server's key in `servers`; named in every error. */
  serverName: string
  definition: ServerDefinition
  /**
   * Makes the SDK `Client` for one attempt, handlers registered. Each attempt (and the SSE
   * fallback) gets a fresh client, so a failed attempt never leaves a half-connected one behind.
   */
  createClient: () => Client
  /** Milliseconds for the whole handshake, fallback included. */
  timeout: number
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
const TERMINATE_TIMEOUT_MS = 2000

/**
 * Builds the transport a server definition asks for and performs the MCP handshake on it.
 * `url` servers use Streamable HTTP, falling back to legacy SSE only when the first POST is
 * answered 400, 404 or 405 (or always SSE with `transport: 'sse'`). A refused connection or a
 * timeout is an error naming the server and URL, never a fallback. The handshake runs with a
 * `null` request context.
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

async function connectStdio(options: ConnectClientOptions): Promise<ClientConnection> {
  const { serverName, log } = options
  const definition = options.definition as Extract<ServerDefinition, { command: string }>
  const transport = new ProcessStdioTransport({
    serverName,
    command: definition.command,
    args: definition.args,
    env: definition.env,
    cwd: definition.cwd,
    stderr: definition.stderr,
    onStderrLine: (line) => log?.('info', line, { stream: 'stderr' }),
  })
  const client = options.createClient()
  const target = `command "${[definition.command, ...(definition.args ?? [])].join(' ')}"`
  try {
    await withDeadline(
      client.connect(transport, { timeout: options.timeout }),
      options.timeout,
      options.signal,
    )
  } catch (error) {
    await transport.close().catch(() => {})
    if (isMCPKitError(error, 'COMMAND_NOT_FOUND')) throw error
    const stderr = transport.stderrTail.length
      ? ` Last stderr lines:\n${transport.stderrTail.join('\n')}`
      : ''
    const exited = transport.exitDescription
      ? ` The process ended (${transport.exitDescription}).`
      : ''
    throw connectError(serverName, target, options.timeout, error, `${exited}${stderr}`)
  }
  return {
    client,
    transport,
    kind: 'stdio',
    failureOf: (error) => commonFailure(error) ?? closedFailure(client, error),
    onstreamlost: undefined,
    close: () => client.close(),
  }
}

async function connectHttp(options: ConnectClientOptions, url: URL): Promise<ClientConnection> {
  const { serverName, log } = options
  const definition = options.definition as HttpServerDefinition
  const mode = definition.transport ?? 'auto'
  const started = Date.now()
  const remaining = () => Math.max(1, options.timeout - (Date.now() - started))
  const target = `URL ${url.href}`

  if (mode !== 'sse') {
    const transportFetch = new TransportFetch(definition)
    const transport = new StreamableHTTPClientTransport(
      url,
      httpTransportOptions(definition, transportFetch),
    )
    const client = options.createClient()
    try {
      await withDeadline(
        client.connect(transport, { timeout: options.timeout }),
        options.timeout,
        options.signal,
      )
      transportFetch.attach(transport)
      return httpConnection(client, transport, transportFetch, 'streamable-http', () =>
        closeStreamable(client, transport, log),
      )
    } catch (error) {
      await transport.close().catch(() => {})
      const status = error instanceof SdkHttpError ? error.status : undefined
      if (mode === 'streamable-http' || status === undefined || !FALLBACK_STATUSES.has(status)) {
        throw connectError(serverName, target, options.timeout, error)
      }
      log?.('info', `Streamable HTTP answered ${status}; trying the legacy SSE transport`, {
        url: url.href,
      })
    }
  }

  const sseFetch = new TransportFetch(definition)
  const transport = new SSEClientTransport(url, {
    ...httpTransportOptions(definition, sseFetch),
    ...(definition.eventSourceInit ? { eventSourceInit: definition.eventSourceInit } : {}),
  })
  const client = options.createClient()
  try {
    await withDeadline(
      client.connect(transport, { timeout: remaining() }),
      remaining(),
      options.signal,
    )
  } catch (error) {
    await transport.close().catch(() => {})
    const fellBack = mode === 'auto' ? ' (after Streamable HTTP answered 4xx)' : ''
    throw connectError(serverName, `${target} over legacy SSE${fellBack}`, options.timeout, error)
  }
  // A legacy SSE session lives and dies with its stream: once the stream breaks, replies to
  // pending requests can never arrive, so close now and let them fail instead of time out.
  sseFetch.attach(transport)
  const onerror = transport.onerror
  transport.onerror = (error) => {
    onerror?.(error)
    if (error instanceof SseError) void transport.close()
  }
  return httpConnection(client, transport, sseFetch, 'sse', () => client.close())
}

function httpConnection(
  client: Client,
  transport: Transport,
  transportFetch: TransportFetch,
  kind: 'streamable-http' | 'sse',
  close: () => Promise<void>,
): ClientConnection {
  const connection: ClientConnection = {
    client,
    transport,
    kind,
    failureOf(error) {
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
    close,
  }
  transportFetch.onStreamLost = () => connection.onstreamlost?.()
  return connection
}

/**
 * A request on a client whose connection has closed: the SDK rejects it with an untyped
 * `Error('Not connected')` (not `SdkError(NotConnected)`), so the client's state says it.
 */
function closedFailure(client: Client, error: unknown): ConnectionFailure | undefined {
  return isUntyped(error) && client.transport === undefined ? 'connection-lost' : undefined
}

/** An error that is neither the server's answer nor one of the SDK's typed errors. */
function isUntyped(error: unknown): boolean {
  return !(error instanceof ProtocolError) && !(error instanceof SdkError)
}

/** What every transport's errors can say: refused credentials, or a connection gone. */
function commonFailure(error: unknown): ConnectionFailure | undefined {
  if (isUnauthorized(error)) return 'unauthorized'
  if (error instanceof SdkError) {
    return error.code === SdkErrorCode.ConnectionClosed || error.code === SdkErrorCode.NotConnected
      ? 'connection-lost'
      : undefined
  }
  if (isNetworkFailure(error) || isMCPKitError(error, 'CONNECTION_CLOSED')) return 'connection-lost'
  return undefined
}

function httpTransportOptions(definition: HttpServerDefinition, transportFetch: TransportFetch) {
  return {
    fetch: transportFetch.fetch,
    ...(definition.requestInit ? { requestInit: definition.requestInit } : {}),
    ...(definition.authProvider
      ? { authProvider: definition.authProvider as unknown as OAuthClientProvider }
      : {}),
  }
}

async function closeStreamable(
  client: Client,
  transport: StreamableHTTPClientTransport,
  log: ConnectClientOptions['log'],
) {
  // The spec asks clients to end their session; servers otherwise keep it until their TTL.
  if (transport.sessionId) {
    await withDeadline(transport.terminateSession(), TERMINATE_TIMEOUT_MS).catch((error) => {
      log?.('warning', `could not end the session with DELETE: ${describe(error)}`)
    })
  }
  await client.close()
}

class DeadlineError extends Error {}

/** `promise`, or a rejection when `ms` pass or `signal` aborts, whichever comes first. */
async function withDeadline<T>(promise: Promise<T>, ms: number, signal?: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError()), ms)
    if (!signal) return
    onAbort = () => reject(signal.reason ?? new Error('Connection attempt aborted'))
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
  })
  // The losing promise must not surface as an unhandled rejection.
  promise.catch(() => {})
  try {
    return await Promise.race([promise, deadline])
  } finally {
    clearTimeout(timer)
    if (onAbort) signal?.removeEventListener('abort', onAbort)
  }
}

function connectError(
  serverName: string,
  target: string,
  timeout: number,
  error: unknown,
  suffix = '',
): MCPClientError {
  if (error instanceof MCPClientError && error.code !== 'CONNECTION_CLOSED') return error
  if ((error as { name?: unknown })?.name === 'AbortError') {
    return new MCPClientError(
      'DISCONNECTED',
      `Connecting to server "${serverName}" was abandoned: the client was disconnected.`,
      { serverName, cause: error },
    )
  }
  if (isUnauthorized(error)) {
    return new MCPClientError(
      'UNAUTHORIZED',
      `Server "${serverName}" (${target}) refused the credentials: ${describe(error)}. Check the token, or complete the OAuth authorization.`,
      { serverName, cause: error },
    )
  }
  const timedOut =
    error instanceof DeadlineError ||
    (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout)
  if (timedOut) {
    return new MCPClientError(
      'CONNECT_TIMEOUT',
      `Server "${serverName}" (${target}) did not complete the MCP handshake within ${timeout} ms.${suffix}`,
      { serverName, cause: error },
    )
  }
  return new MCPClientError(
    'CONNECTION_FAILED',
    `Cannot connect to server "${serverName}" (${target}): ${describe(error)}.${suffix}`,
    { serverName, cause: error },
  )
}

function describe(error: unknown): string {
  if (error instanceof SdkHttpError) return `HTTP ${error.status}: ${error.message}`
  // A document that failed the SDK's schema (e.g. OAuth metadata): its issues, not a JSON dump.
  const issues = (error as { issues?: unknown } | null)?.issues
  if (Array.isArray(issues) && issues.length > 0) {
    return `a document the server or its authorization server sent is invalid (${formatIssues(issues, 3)})`
  }
  if (error instanceof Error) {
    const cause = error.cause as { code?: string; message?: string } | undefined
    if (cause?.code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED)'
    if (cause?.code) return `${error.message} (${cause.code})`
    return error.message
  }
  return String(error)
}

/**
 * Whether `error` is the server refusing our credentials (401, or 403 for missing scope), or
 * the OAuth flow that should have got better ones failing (a refused grant, an issuer that does
 * not match, an insecure endpoint).
 */
function isUnauthorized(error: unknown): boolean {
  if (
    error instanceof UnauthorizedError ||
    error instanceof InsufficientScopeError ||
    error instanceof OAuthClientFlowError ||
    error instanceof OAuthError
  ) {
    return true
  }
  if (error instanceof SdkHttpError) return error.status === 401 || error.status === 403
  // The SSE transport's errors still carry the HTTP status as a numeric `code`.
  if (error instanceof SseError) return error.code === 401 || error.code === 403
  return false
}
