import { formatIssues, isMCPKitError, MCPClientError } from '@mcpkit/types'
import {
  type Client,
  InsufficientScopeError,
  OAuthClientFlowError,
  OAuthError,
  ProtocolError,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  SseError,
  UnauthorizedError,
} from '@modelcontextprotocol/client'
import { isNetworkFailure } from '../sdk-contract.js'

/** The handshake's own deadline passed (the SDK's timeout may not have fired yet). */
export class DeadlineError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`)
    this.name = 'DeadlineError'
  }
}

/** `promise`, or a rejection when `ms` pass or `signal` aborts, whichever comes first. */
export async function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  signal?: AbortSignal,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(ms)), ms)
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

/**
 * A failed handshake as an `MCPClientError` naming the server and what was dialled: refused
 * credentials (never an era verdict), a timeout, or a failure with the server's own words.
 */
export function connectError(
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
  if (error instanceof SdkError && error.code === SdkErrorCode.EraNegotiationFailed) {
    return new MCPClientError(
      'CONNECTION_FAILED',
      `Cannot connect to server "${serverName}" (${target}): finding out which MCP protocol era it speaks failed: ${describe(error)}.${suffix}`,
      { serverName, cause: error },
    )
  }
  return new MCPClientError(
    'CONNECTION_FAILED',
    `Cannot connect to server "${serverName}" (${target}): ${describe(error)}.${suffix}`,
    { serverName, cause: error },
  )
}

export function describe(error: unknown): string {
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
 * not match, an insecure endpoint). The SDK answers a 401/403 to the era probe the same way.
 */
export function isUnauthorized(error: unknown): boolean {
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

/**
 * What a failed request says about its connection: the server refused the credentials, it no
 * longer knows the session (the request did not run), or the connection broke under the
 * request (it may or may not have run).
 */
export type ConnectionFailure =
  | 'unauthorized'
  | 'session-expired'
  | 'connection-lost'
  /** The server sent more than `maxResponseBytes` (a stdio server's connection then ended). */
  | 'response-too-large'

/**
 * A request on a client whose connection has closed: the SDK rejects it with an untyped
 * `Error('Not connected')` (not `SdkError(NotConnected)`), so the client's state says it.
 */
export function closedFailure(client: Client, error: unknown): ConnectionFailure | undefined {
  return isUntyped(error) && client.transport === undefined ? 'connection-lost' : undefined
}

/** An error that is neither the server's answer nor one of the SDK's typed errors. */
export function isUntyped(error: unknown): boolean {
  return !(error instanceof ProtocolError) && !(error instanceof SdkError)
}

/** What every transport's errors can say: refused credentials, or a connection gone. */
export function commonFailure(error: unknown): ConnectionFailure | undefined {
  if (isUnauthorized(error)) return 'unauthorized'
  if (error instanceof SdkError) {
    return error.code === SdkErrorCode.ConnectionClosed || error.code === SdkErrorCode.NotConnected
      ? 'connection-lost'
      : undefined
  }
  if (isNetworkFailure(error) || isMCPKitError(error, 'CONNECTION_CLOSED')) return 'connection-lost'
  return undefined
}
