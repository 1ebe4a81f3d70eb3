import type { ConnectionFailure } from '@mcpkit/transports/client'
import {
  MCPClientError,
  type MCPErrorCode,
  MCPKitError,
  type ProtocolEra,
  type RequestContext,
} from '@mcpkit/types'
import {
  ProtocolError,
  ProtocolErrorCode,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
} from '@modelcontextprotocol/client'
import type { SpanHandle } from './tracing.js'

/** One request to a server, as error messages and the retry rule see it. */
export interface Operation {
  /** What is being done, for error messages (`tools/call "echo"`). */
  what: string
  /** Safe to send again after the connection dropped mid-request. */
  idempotent: boolean
  /** A paginated list: every page together is bounded by the server's `listTimeout`. */
  list?: boolean
  requestContext: RequestContext | null
  /** The operation's span: it gets the attributes of the connection each attempt is sent on. */
  span?: SpanHandle | undefined
}

/**
 * A request's failure as an `MCPKitError` with a stable code, classified by the SDK's error
 * classes and codes and by what the connection saw (`failure`), never by message text.
 */
export function requestError(
  serverName: string,
  operation: Operation,
  error: unknown,
  context: {
    timeout: number
    failure: ConnectionFailure | undefined
    era?: ProtocolEra | undefined
  },
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
          `${operation.what} failed: the server's list did not end within ${listMaxPagesOf(error)} pages (it kept sending a next page; see \`maxListPages\`).`,
        )
      case SdkErrorCode.CapabilityNotSupported:
        return fail('CAPABILITY_NOT_SUPPORTED', `${operation.what} failed: ${error.message}`)
      case SdkErrorCode.MethodNotSupportedByProtocolVersion:
        return fail(
          'NOT_SUPPORTED_BY_PROTOCOL',
          `${operation.what} cannot be sent: the server speaks the ${eraName(context.era)}, which has no such request.`,
        )
      case SdkErrorCode.InputRequiredRoundsExceeded:
        return fail(
          'SERVER_ERROR',
          `${operation.what} failed: the server kept asking for input (input_required) past the limit of rounds.`,
        )
      case SdkErrorCode.UnsupportedResultType:
        return fail(
          'SERVER_ERROR',
          `${operation.what} failed: the server answered with a kind of result this client does not know.`,
        )
    }
  }
  if (
    error instanceof ProtocolError &&
    error.code === ProtocolErrorCode.MissingRequiredClientCapability
  ) {
    return fail(
      'CAPABILITY_NOT_SUPPORTED',
      `${operation.what} needs a capability this client did not announce (${error.message}); register its handler (sampling.onRequest, roots.set) before the first call.`,
    )
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

/** The server ended a request's response stream without its answer. */
export function streamLostError(
  serverName: string,
  operation: Operation,
  afterRetry: boolean,
  cause: unknown,
): MCPClientError {
  return new MCPClientError(
    'CONNECTION_CLOSED',
    afterRetry
      ? `Server "${serverName}": the server ended the response stream of ${operation.what} without answering, and again when it was sent once more.`
      : `Server "${serverName}": the server ended the response stream of ${operation.what} without answering. It may or may not have run, so it was not sent again (the tool is not annotated read-only or idempotent).`,
    { serverName, cause },
  )
}

/** The server's answers to one operation took more than `maxResponseBytes`. */
export function responseTooLargeError(
  serverName: string,
  operation: Operation,
  max: number,
  cause: unknown,
): MCPClientError {
  return new MCPClientError(
    'RESPONSE_TOO_LARGE',
    `Server "${serverName}": the answer to ${operation.what} exceeded ${max} bytes (maxResponseBytes); it was not read further. Raise \`maxResponseBytes\` for this server if its answers are legitimately this large.`,
    { serverName, cause },
  )
}

/** The longest part of a server's page cursor that an error message quotes. */
const CURSOR_SHOWN = 40

/** The server handed a list a page cursor it had returned before in the same list. */
export function repeatedCursorError(
  serverName: string,
  operation: Operation,
  cursor: string,
  cause: unknown,
): MCPClientError {
  const shown =
    cursor.length > CURSOR_SHOWN
      ? `${JSON.stringify(cursor.slice(0, CURSOR_SHOWN))}… (${cursor.length} characters)`
      : JSON.stringify(cursor)
  return new MCPClientError(
    'SERVER_ERROR',
    `Server "${serverName}": ${operation.what} failed: the server returned the page cursor ${shown} a second time in the same list, so its pagination would loop. Its list is broken; report it to the server's authors.`,
    { serverName, cause },
  )
}

/** A whole paginated list took longer than the server's `listTimeout`. */
export function listTimeoutError(
  serverName: string,
  operation: Operation,
  ms: number,
  cause: unknown,
): MCPClientError {
  return new MCPClientError(
    'REQUEST_TIMEOUT',
    `Server "${serverName}": ${operation.what} did not complete within ${ms} ms for all its pages (listTimeout); the server's pagination may not end.`,
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

function listMaxPagesOf(error: SdkError): string {
  const pages = (error.data as { listMaxPages?: unknown } | undefined)?.listMaxPages
  return typeof pages === 'number' ? String(pages) : 'the allowed'
}

function eraName(era: ProtocolEra | undefined): string {
  return era === 'modern' ? '2026-07-28 protocol' : 'legacy (2025) protocol'
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
