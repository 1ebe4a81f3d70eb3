import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose'
import { configurationError } from './configuration-error.js'
import { InvalidTokenError, TemporarilyUnavailableError } from './oauth-errors.js'
import { authInfoFromClaims, describeAudience, type TokenClaims } from './token-claims.js'
import { DEFAULT_CLOCK_TOLERANCE_SECONDS, type TokenVerifier } from './token-verifier.js'

/**
 * Asymmetric signature algorithms accepted by default. Symmetric (`HS*`) ones are left out: a
 * resource server that shares a secret with the issuer could mint tokens itself.
 */
export const DEFAULT_JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const

/** `jwtVerifier(options)`. */
export interface JwtVerifierOptions {
  /** The issuer's JWKS URL (its `jwks_uri`); keys are fetched when needed and cached. */
  jwksUrl?: string | URL
  /**
   * The issuer's public keys, when you have them at hand instead of a URL: a JWK Set
   * (`{ keys: [...] }`, RFC 7517). Typed here, not with jose's type, so CommonJS typings of this
   * package do not import the ESM-only jose.
   */
  jwks?: { keys: Array<Record<string, unknown>> }
  /** Expected `iss`: the authorization server's issuer identifier. Required. */
  issuer: string | string[]
  /**
   * Expected `aud`. Default: this resource's URL (RFC 8707), which is what MCP clients request
   * tokens for. Set it when your authorization server uses another audience value.
   */
  audience?: string | string[]
  /** Accepted signature algorithms. Default: the asymmetric ones (RS*, PS*, ES*, EdDSA). */
  algorithms?: string[]
  /** Leeway for `exp` and `nbf`, in seconds. Default 5. */
  clockToleranceSeconds?: number
  /** Expected `typ` header, e.g. `'at+jwt'` (RFC 9068). Default: not checked. */
  type?: string
  /** Remote key set: milliseconds before a JWKS fetch is abandoned. Default 5000. */
  jwksTimeoutMs?: number
  /** Remote key set: milliseconds keys are kept before they are fetched again. Default 10 minutes. */
  jwksCacheMaxAgeMs?: number
}

/**
 * Verifies JWT access tokens with `jose`: the signature against the issuer's keys (a remote JWKS,
 * cached, or a local one), `iss`, `aud` (this resource unless `audience` says otherwise), and
 * `exp`/`nbf` with a small leeway. Each failure is a 401 whose `error_description` says which
 * check failed.
 */
export function jwtVerifier(options: JwtVerifierOptions): TokenVerifier {
  if (options === null || typeof options !== 'object') {
    throw configurationError('jwtVerifier(options): options must be an object.')
  }
  const { jwksUrl, jwks, issuer, audience, type } = options
  if ((jwksUrl === undefined) === (jwks === undefined)) {
    throw configurationError(
      'jwtVerifier: give exactly one of `jwksUrl` (the issuer’s jwks_uri) and `jwks` (its public keys).',
    )
  }
  if (
    issuer === undefined ||
    (typeof issuer === 'string' ? issuer === '' : !Array.isArray(issuer) || issuer.length === 0)
  ) {
    throw configurationError(
      'jwtVerifier: `issuer` is required (the authorization server’s issuer identifier); tokens from any other issuer are refused.',
    )
  }
  const clockTolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS
  if (typeof clockTolerance !== 'number' || !(clockTolerance >= 0)) {
    throw configurationError('jwtVerifier: `clockToleranceSeconds` must be a number ≥ 0.')
  }
  const algorithms = options.algorithms ?? [...DEFAULT_JWT_ALGORITHMS]
  if (!Array.isArray(algorithms) || algorithms.length === 0 || algorithms.includes('none')) {
    throw configurationError(
      'jwtVerifier: `algorithms` must list signature algorithms (not "none").',
    )
  }

  let keys: JWTVerifyGetKey
  if (jwksUrl !== undefined) {
    let url: URL
    try {
      url = new URL(jwksUrl)
    } catch {
      throw configurationError(`jwtVerifier: \`jwksUrl\` ${String(jwksUrl)} is not a URL.`)
    }
    keys = createRemoteJWKSet(url, {
      timeoutDuration: options.jwksTimeoutMs ?? 5000,
      cacheMaxAge: options.jwksCacheMaxAgeMs ?? 10 * 60 * 1000,
    })
  } else {
    try {
      keys = createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0])
    } catch (error) {
      throw configurationError(
        `jwtVerifier: \`jwks\` is not a JSON Web Key Set (${describe(error)}).`,
      )
    }
  }

  return {
    async verify(token, context) {
      if (token.split('.').length !== 3) {
        throw new InvalidTokenError(
          'The access token is malformed: it is not a signed JWT (three dot-separated parts).',
        )
      }
      try {
        const { payload } = await jwtVerify(token, keys, {
          issuer,
          audience: audience ?? [...context.audiences],
          algorithms,
          clockTolerance,
          requiredClaims: ['exp'],
          ...(type === undefined ? {} : { typ: type }),
        })
        return authInfoFromClaims(token, payload as TokenClaims, context)
      } catch (error) {
        throw jwtFailure(error, { issuer, audience: audience ?? context.resource.href })
      }
    },
  }
}

/** The `InvalidTokenError` (or 503) that says which check a JWT failed. */
function jwtFailure(
  error: unknown,
  expected: { issuer: string | string[]; audience: string | readonly string[] },
): Error {
  if (error instanceof errors.JWTExpired) {
    const exp = error.payload.exp
    const when = typeof exp === 'number' ? ` at ${new Date(exp * 1000).toISOString()}` : ''
    return new InvalidTokenError(`The access token expired${when}. Get a new one.`)
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const { claim, payload } = error
    if (claim === 'aud') {
      return new InvalidTokenError(
        `The access token was issued for another audience (${describeAudience(payload.aud)}), not for this resource (${describeAudience(expected.audience)}).`,
      )
    }
    if (claim === 'iss') {
      return new InvalidTokenError(
        `The access token was issued by an untrusted issuer (${payload.iss ?? '(none)'}); this resource trusts ${describeAudience(expected.issuer)}.`,
      )
    }
    if (claim === 'nbf') {
      return new InvalidTokenError('The access token is not valid yet (nbf is in the future).')
    }
    if (claim === 'typ') {
      return new InvalidTokenError('The access token has the wrong type (typ header).')
    }
    return new InvalidTokenError(
      `The access token's \`${claim}\` claim is invalid: ${error.message}.`,
    )
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new InvalidTokenError('The access token signature is invalid.')
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new InvalidTokenError(
      'The access token signature is invalid: it was not signed by any key of the trusted issuer.',
    )
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new InvalidTokenError(
      'The access token is signed with an algorithm this resource does not accept.',
    )
  }
  if (
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSENotSupported
  ) {
    return new InvalidTokenError(`The access token is malformed: ${error.message}.`)
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return new TemporarilyUnavailableError(
      `The issuer's signing keys could not be loaded (${error.message}); retry later.`,
    )
  }
  if (error instanceof errors.JOSEError) {
    return new InvalidTokenError(`The access token could not be verified: ${error.message}.`)
  }
  // Network failures of the remote key set surface as plain errors.
  return new TemporarilyUnavailableError(
    `The issuer's signing keys could not be loaded (${describe(error)}); retry later.`,
  )
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
