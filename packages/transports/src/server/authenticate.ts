import { type Log, MCPServerError } from '@mcpkit/types'
import type { AuthInfo } from '@modelcontextprotocol/server'
import { JsonRpcErrorCode, jsonRpcErrorResponse } from './json-rpc.js'

/**
 * Decides who a request is from, before any session sees it: the verified credentials, or the
 * answer to send instead (a 401 or 403 with `WWW-Authenticate`). `request` carries the method,
 * URL and headers (its body is already read: `body` is the parsed JSON of a POST, `undefined`
 * otherwise, and not yet checked to be JSON-RPC). `@mcpkit/oauth`'s protected resource's
 * `authenticate` fits here.
 */
export type RequestAuthenticator = (
  request: Request,
  body: unknown,
) => Promise<AuthInfo | Response> | AuthInfo | Response

/** What an authenticator decided: credentials to go on with, or the answer to send. */
export type AuthenticationOutcome = { authInfo: AuthInfo } | { response: Response }

/**
 * Runs `authenticate`. A throwing authenticator refuses the request (500, logged): failing open
 * would let an unverified request through.
 */
export async function runAuthenticator(
  authenticate: RequestAuthenticator,
  request: Request,
  body: unknown,
  log: Log,
): Promise<AuthenticationOutcome> {
  try {
    const decided = await authenticate(request, body)
    if (decided instanceof Response) return { response: decided }
    if (decided === null || typeof decided !== 'object' || typeof decided.token !== 'string') {
      throw new TypeError('the authenticator returned neither AuthInfo nor a Response')
    }
    return { authInfo: decided }
  } catch (error) {
    log(
      'error',
      `authentication failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        method: request.method,
      },
    )
    return {
      response: jsonRpcErrorResponse(
        500,
        JsonRpcErrorCode.InternalError,
        'Internal server error: the request could not be authenticated.',
      ),
    }
  }
}

/** The `authenticate` option, checked at construction so a typo fails at startup. */
export function validAuthenticator(value: unknown): RequestAuthenticator | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'function') {
    throw new MCPServerError(
      'INVALID_CONFIGURATION',
      "`authenticate` must be a function `(request, body) => AuthInfo | Response` (for example a protected resource's `authenticate`).",
    )
  }
  return value as RequestAuthenticator
}
