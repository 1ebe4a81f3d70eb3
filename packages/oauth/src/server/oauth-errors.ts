import { OAuthError, OAuthErrorCode } from '@modelcontextprotocol/server'
import { isOAuthError } from '../sdk-contract.js'

/**
 * Throw from a verifier for a token that is malformed, expired, revoked, or not for this
 * resource: the client gets 401 `invalid_token` with the message as `error_description`. The
 * SDK v1 class of this name, kept: an SDK v2 `OAuthError` with code `invalid_token`.
 */
export class InvalidTokenError extends OAuthError {
  constructor(message: string, errorUri?: string) {
    super(OAuthErrorCode.InvalidToken, message, errorUri)
    this.name = 'InvalidTokenError'
  }
}

/**
 * Throw from a verifier for a valid token that lacks a scope this server requires: 403
 * `insufficient_scope`, naming `requiredScopes`. The SDK v1 class of this name, kept: an SDK v2
 * `OAuthError` with code `insufficient_scope` (not the client's transport-level
 * `InsufficientScopeError`).
 */
export class InsufficientScopeError extends OAuthError {
  constructor(message: string, errorUri?: string) {
    super(OAuthErrorCode.InsufficientScope, message, errorUri)
    this.name = 'InsufficientScopeError'
  }
}

/**
 * Throw from a verifier when the token cannot be checked right now (the key set or the
 * introspection endpoint unreachable): 503 `temporarily_unavailable` with `Retry-After`, never
 * a pass. The SDK v1 class of this name, kept: an SDK v2 `OAuthError` with code
 * `temporarily_unavailable`.
 */
export class TemporarilyUnavailableError extends OAuthError {
  constructor(message: string, errorUri?: string) {
    super(OAuthErrorCode.TemporarilyUnavailable, message, errorUri)
    this.name = 'TemporarilyUnavailableError'
  }
}

/** How a verifier's refusal is answered, by the OAuth error code it carries. */
export type VerifierRefusal =
  | { status: 401; error: 'invalid_token'; description: string }
  | { status: 403; error: 'insufficient_scope'; description: string }
  | { status: 503; error: 'temporarily_unavailable'; description: string }

/**
 * What a verifier's error means for the request: any SDK `OAuthError` — the classes above,
 * `new OAuthError(OAuthErrorCode.InvalidToken, …)` from this package's SDK or from the app's own
 * copy of `@modelcontextprotocol/server` — is classified by its `code`: `insufficient_scope` is
 * 403, `temporarily_unavailable` 503, `server_error` a failure (`undefined`), any other code 401
 * `invalid_token`. Anything else is a failure (`undefined`): the request gets 500, never a pass.
 */
export function verifierRefusal(error: unknown): VerifierRefusal | undefined {
  if (!isOAuthError(error)) return undefined
  const description = error.message
  switch (error.code) {
    case OAuthErrorCode.ServerError:
      return undefined
    case OAuthErrorCode.InsufficientScope:
      return { status: 403, error: 'insufficient_scope', description }
    case OAuthErrorCode.TemporarilyUnavailable:
      return { status: 503, error: 'temporarily_unavailable', description }
    default:
      return { status: 401, error: 'invalid_token', description }
  }
}
