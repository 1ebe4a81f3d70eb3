import { type Log, MCPServerError } from '@mcpkit/types'
import type { AuthInfo } from '@modelcontextprotocol/server'
import { JsonRpcErrorCode, jsonRpcErrorResponse } from './json-rpc.js'

/**
 * Decides who a request is from, before any session sees it and before its body is read: the
 * verified credentials, or the answer to send instead (a 401 or 403 with `WWW-Authenticate`).
 * `request` carries the method, URL and headers; `body` is `undefined` (an unauthenticated
 * client must not make the server buffer its upload; checks of the body go in
 * `authorizeBody`). `@mcpkit/oauth`'s protected resource's `authenticate` fits here.
 */
export type RequestAuthenticator = (
  request: Request,
  body: unknown,
) => Promise<AuthInfo | Response> | AuthInfo | Response

/**
 * Checks a POST's parsed body against the credentials `authenticate` verified (e.g. the scopes
 * of the tools it calls): `undefined` to go on, or the answer to send instead (403).
 * `@mcpkit/oauth`'s protected resource's `authorizeBody` fits here.
 */
export type BodyAuthorizer = (
  request: Request,
  body: unknown,
  authInfo: AuthInfo,
) => Promise<Response | undefined> | Response | undefined

/**
 * Runs `authorizeBody`; a throwing one refuses the request (500, logged), as a throwing
 * authenticator does.
 */
export async function runBodyAuthorizer(
  authorize: BodyAuthorizer,
  request: Request,
  body: unknown,
  authInfo: AuthInfo,
  log: Log,
): Promise<Response | undefined> {
  try {
    const decided = await authorize(request, body, authInfo)
    return decided instanceof Response ? decided : undefined
  } catch (error) {
    log(
      'error',
      `body authorization failed: ${error instanceof Error ? error.message : String(error)}`,
      { method: request.method },
    )
    return jsonRpcErrorResponse(
      500,
      JsonRpcErrorCode.InternalError,
      'Internal server error: the request could not be authorized.',
    )
  }
}

/** The `authorizeBody` option, checked at construction. */
export function validBodyAuthorizer(value: unknown): BodyAuthorizer | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'function') {
    throw new MCPServerError(
      'INVALID_CONFIGURATION',
      '`authorizeBody` must be a function `(request, body, authInfo) => Response | undefined`.',
    )
  }
  return value as BodyAuthorizer
}

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
