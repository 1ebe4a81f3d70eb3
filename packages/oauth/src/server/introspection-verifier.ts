import { configurationError } from './configuration-error.js'
import { InvalidTokenError, TemporarilyUnavailableError } from './oauth-errors.js'
import {
  audienceMatches,
  authInfoFromClaims,
  describeAudience,
  type TokenClaims,
} from './token-claims.js'
import { DEFAULT_CLOCK_TOLERANCE_SECONDS, type TokenVerifier } from './token-verifier.js'

/** `introspectionVerifier(options)`. */
export interface IntrospectionVerifierOptions {
  /** The authorization server's RFC 7662 endpoint (its `introspection_endpoint`). */
  endpoint: string | URL
  /** This resource server's client credentials at the authorization server. */
  clientId: string
  clientSecret: string
  /** How the credentials are sent. Default `'client_secret_basic'` (the RFC 6749 default). */
  clientAuthentication?: 'client_secret_basic' | 'client_secret_post'
  /** Expected `iss` in the response, when the server includes it. Default: not checked. */
  issuer?: string | string[]
  /**
   * Expected `aud`. Default: this resource's URL (RFC 8707). A response without `aud` is
   * refused: nothing else shows the token was meant for this server.
   */
  audience?: string | string[]
  /** Milliseconds before the introspection request is abandoned (503). Default 5000. */
  timeoutMs?: number
  /** Leeway for `exp` and `nbf`, in seconds. Default 5. */
  clockToleranceSeconds?: number
  /** The `fetch` to call the endpoint with. Default: the global one. */
  fetch?: (input: string | URL, init?: RequestInit) => Promise<Response>
}

/**
 * Verifies opaque (or any) access tokens by asking the authorization server (RFC 7662 token
 * introspection) on every request: the token must be `active`, be an access token, be issued
 * for this resource (`aud`), and not be expired.
 */
export function introspectionVerifier(options: IntrospectionVerifierOptions): TokenVerifier {
  if (options === null || typeof options !== 'object') {
    throw configurationError('introspectionVerifier(options): options must be an object.')
  }
  let endpoint: URL
  try {
    endpoint = new URL(options.endpoint)
  } catch {
    throw configurationError(
      `introspectionVerifier: \`endpoint\` ${String(options.endpoint)} is not a URL (use the authorization server’s introspection_endpoint).`,
    )
  }
  const { clientId, clientSecret } = options
  if (typeof clientId !== 'string' || clientId === '' || typeof clientSecret !== 'string') {
    throw configurationError(
      'introspectionVerifier: `clientId` and `clientSecret` (this server’s credentials at the authorization server) are required.',
    )
  }
  const method = options.clientAuthentication ?? 'client_secret_basic'
  if (method !== 'client_secret_basic' && method !== 'client_secret_post') {
    throw configurationError(
      "introspectionVerifier: `clientAuthentication` must be 'client_secret_basic' or 'client_secret_post'.",
    )
  }
  const timeoutMs = options.timeoutMs ?? 5000
  const tolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS
  const issuers =
    options.issuer === undefined
      ? undefined
      : Array.isArray(options.issuer)
        ? options.issuer
        : [options.issuer]
  const fetchFunction = options.fetch ?? globalThis.fetch

  return {
    async verify(token, context) {
      const form = new URLSearchParams({ token, token_type_hint: 'access_token' })
      const headers: Record<string, string> = {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      }
      if (method === 'client_secret_basic') {
        headers.authorization = `Basic ${basicCredentials(clientId, clientSecret)}`
      } else {
        form.set('client_id', clientId)
        form.set('client_secret', clientSecret)
      }
      let response: Response
      try {
        response = await fetchFunction(endpoint, {
          method: 'POST',
          headers,
          body: form.toString(),
          signal: AbortSignal.timeout(timeoutMs),
        })
      } catch (error) {
        throw new TemporarilyUnavailableError(
          `The token introspection endpoint could not be reached (${error instanceof Error ? error.message : String(error)}); retry later.`,
        )
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => {})
        throw new TemporarilyUnavailableError(
          `The token introspection endpoint answered HTTP ${response.status}; retry later.`,
        )
      }
      let claims: TokenClaims & { active?: unknown; token_type?: unknown; aud?: unknown }
      try {
        claims = (await response.json()) as typeof claims
      } catch {
        throw new TemporarilyUnavailableError(
          'The token introspection endpoint answered with something other than JSON; retry later.',
        )
      }
      if (claims === null || typeof claims !== 'object' || claims.active !== true) {
        throw new InvalidTokenError(
          'The access token is not active: it expired, was revoked, or was never issued.',
        )
      }
      if (
        typeof claims.token_type === 'string' &&
        claims.token_type.toLowerCase() !== 'bearer' &&
        claims.token_type !== 'access_token'
      ) {
        throw new InvalidTokenError(
          `The token is not a bearer access token (token_type ${claims.token_type}).`,
        )
      }
      const now = Date.now() / 1000
      if (typeof claims.exp === 'number' && claims.exp + tolerance < now) {
        throw new InvalidTokenError(
          `The access token expired at ${new Date(claims.exp * 1000).toISOString()}. Get a new one.`,
        )
      }
      if (typeof claims.nbf === 'number' && claims.nbf - tolerance > now) {
        throw new InvalidTokenError('The access token is not valid yet (nbf is in the future).')
      }
      const expectedAudience =
        options.audience === undefined
          ? context.audiences
          : Array.isArray(options.audience)
            ? options.audience
            : [options.audience]
      if (!audienceMatches(claims.aud, expectedAudience)) {
        throw new InvalidTokenError(
          `The access token was issued for another audience (${describeAudience(claims.aud)}), not for this resource (${describeAudience(options.audience ?? context.resource.href)}).`,
        )
      }
      if (issuers && !(typeof claims.iss === 'string' && issuers.includes(claims.iss))) {
        throw new InvalidTokenError(
          `The access token was issued by an untrusted issuer (${typeof claims.iss === 'string' ? claims.iss : '(none)'}); this resource trusts ${issuers.join(', ')}.`,
        )
      }
      return authInfoFromClaims(token, claims, context)
    },
  }
}

/** RFC 6749 §2.3.1: each part form-encoded, then base64. */
function basicCredentials(clientId: string, clientSecret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+')
  return btoa(`${encode(clientId)}:${encode(clientSecret)}`)
}
