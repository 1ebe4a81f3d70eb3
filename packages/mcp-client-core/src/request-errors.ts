import type { ConnectionFailure } from '@mcpkit/transports/client'
import { MCPClientError, type MCPErrorCode, MCPKitError, type RequestContext } from '@mcpkit/types'
import { ProtocolError, SdkError, SdkErrorCode, SdkHttpError } from '@modelcontextprotocol/client'

/** One request to a server, as error messages and the retry rule see it. */
export interface Operation {
  /** What is being done, for error messages (`tools/call "echo"`). */
  what: string
  /** Safe to send again after the connection dropped mid-request. */
  idempotent: boolean
  requestContext: RequestContext | null
}

/**
 * A request's failure as an `MCPKitError` with a stable code, classified by the SDK's error
 * classes and codes and by what the connection saw (`failure`), never by message text.
 */
export function requestError(
  serverName: string,
  operation: Operation,
  error: unknown,
  context: { timeout: number; failure: ConnectionFailure | undefined },
): MCPKitError {
  if (error instanceof MCPKitError) return error
  const fail = (code: MCPErrorCode, message: string) =>
    new MCPClientError(code, `Server "${serverName}": ${message}`, { serverName, cause: error })
  if (context.failure === 'unauthorized') {
    return fail(
      'UNAUTHORIZED',
      `${operation.what} was refused: the server rejected the credentials. Check the token, or complete the OAuth authorization.`,
    )
  }
  if (error instanceof SdkError) {
    switch (error.code) {
      case SdkErrorCode.RequestTimeout:
        return fail(
          'REQUEST_TIMEOUT',
          `${operation.what} got no answer within ${context.timeout} ms.`,
        )
      case SdkErrorCode.ListPaginationExceeded:
        return fail(
          'SERVER_ERROR',
          `${operation.what} failed: the server's list did not end (it kept sending a next page).`,
        )
      case SdkErrorCode.CapabilityNotSupported:
        return fail('CAPABILITY_NOT_SUPPORTED', `${operation.what} failed: ${error.message}`)
    }
  }
  if (error instanceof SdkHttpError) {
    return fail(
      'SERVER_ERROR',
      `${operation.what} failed with HTTP ${error.status}: ${error.message}`,
    )
  }
  if (error instanceof ProtocolError) {
    return fail('SERVER_ERROR', `${operation.what} failed: ${error.message}`)
  }
  return fail('SERVER_ERROR', `${operation.what} failed: ${describe(error)}`)
}

/** The connection broke under a request that could not be sent again. */
export function connectionClosedError(
  serverName: string,
  operation: Operation,
  afterReconnect: boolean,
  cause: unknown,
): MCPClientError {
  return new MCPClientError(
    'CONNECTION_CLOSED',
    afterReconnect
      ? `Server "${serverName}": the connection was lost during ${operation.what}, and again after reconnecting. The next call reconnects.`
      : `Server "${serverName}": the connection was lost during ${operation.what}. It may or may not have run, so it was not sent again (the tool is not annotated read-only or idempotent). The next call reconnects.`,
    { serverName, cause },
  )
}

export function disconnectedError(serverName: string, cause?: unknown): MCPClientError {
  return new MCPClientError(
    'DISCONNECTED',
    `Server "${serverName}": the client was disconnected. Create a new MCPClient to connect again.`,
    { serverName, cause },
  )
}

export function abortedError(
  serverName: string,
  toolName: string,
  reason: unknown,
  cause?: unknown,
): MCPClientError {
  const why = reason instanceof Error ? reason.message : reason === undefined ? '' : String(reason)
  return new MCPClientError(
    'ABORTED',
    `Server "${serverName}": tools/call "${toolName}" was aborted${why ? `: ${why}` : ''}.`,
    { serverName, cause: cause ?? reason },
  )
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
