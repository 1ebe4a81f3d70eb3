import type { AuthInfo } from '@modelcontextprotocol/server'
import { configurationError } from './configuration-error.js'

/** Default leeway for `exp` and `nbf`, in seconds: clocks drift. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5

/** What a verifier is told besides the token: the resource it must have been issued for. */
export interface TokenVerificationContext {
  /** The canonical URL of this protected resource (RFC 8707), the token's expected audience. */
  resource: URL
  /**
   * Every spelling of `resource` a token's `aud` may use: with and without one trailing slash
   * (authorization servers differ), plus any `audience` configured on the verifier.
   */
  audiences: readonly string[]
}

/**
 * Checks an access token and says who it belongs to. Throw `InvalidTokenError` (exported by
 * `@mcpkit/oauth`), or any SDK `OAuthError` with code `invalid_token`, with a reason for a bad
 * token: the client gets 401 `invalid_token` with that reason. Throw
 * `TemporarilyUnavailableError` (code `temporarily_unavailable`) when the token cannot be checked
 * right now (an unreachable key set or introspection endpoint): 503. Anything else thrown is a
 * 500; no error ever lets the request through.
 */
export interface TokenVerifier {
  verify(token: string, context: TokenVerificationContext): Promise<AuthInfo>
}

/** The MCP SDK's verifier shape (`OAuthTokenVerifier`), accepted as it is. */
export interface SdkTokenVerifier {
  verifyAccessToken(token: string): Promise<AuthInfo>
}

/** `verifier` (either shape) as one function of the token; throws at startup without one. */
export function verifierFunction(
  verifier: unknown,
  context: TokenVerificationContext,
): (token: string) => Promise<AuthInfo> {
  if (verifier !== null && typeof verifier === 'object') {
    const candidate = verifier as Partial<TokenVerifier & SdkTokenVerifier>
    if (typeof candidate.verify === 'function') {
      const verify = candidate.verify.bind(verifier)
      return (token) => verify(token, context)
    }
    if (typeof candidate.verifyAccessToken === 'function') {
      return candidate.verifyAccessToken.bind(verifier)
    }
  }
  throw configurationError(
    'createProtectedResource: `verifier` is required: jwtVerifier({ jwksUrl, issuer }), introspectionVerifier({ endpoint, clientId, clientSecret }), or your own { verify(token, context) }. mcpkit never accepts a token it has not verified.',
  )
}
