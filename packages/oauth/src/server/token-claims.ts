import type { AuthInfo } from '@modelcontextprotocol/server'
import type { TokenVerificationContext } from './token-verifier.js'

/** Claims of a verified token (a JWT payload, or an RFC 7662 introspection response). */
export type TokenClaims = Record<string, unknown> & {
  sub?: unknown
  scope?: unknown
  scp?: unknown
  client_id?: unknown
  azp?: unknown
  exp?: unknown
  iss?: unknown
}

/** Scopes from `scope` (space-separated, RFC 9068 / RFC 7662) or `scp` (array or string). */
export function scopesOf(claims: TokenClaims): string[] {
  const raw = claims.scope ?? claims.scp
  if (typeof raw === 'string') return raw.split(' ').filter((scope) => scope !== '')
  if (Array.isArray(raw)) return raw.filter((scope): scope is string => typeof scope === 'string')
  return []
}

/**
 * The SDK `AuthInfo` for verified claims: `extra.sub` is the principal sessions are bound to,
 * `extra.claims` everything the token said.
 */
export function authInfoFromClaims(
  token: string,
  claims: TokenClaims,
  context: TokenVerificationContext,
): AuthInfo {
  const clientId =
    typeof claims.client_id === 'string'
      ? claims.client_id
      : typeof claims.azp === 'string'
        ? claims.azp
        : ''
  const extra: Record<string, unknown> = { claims }
  if (typeof claims.sub === 'string' && claims.sub !== '') extra.sub = claims.sub
  if (typeof claims.iss === 'string') extra.issuer = claims.iss
  return {
    token,
    clientId,
    scopes: scopesOf(claims),
    ...(typeof claims.exp === 'number' ? { expiresAt: claims.exp } : {}),
    resource: context.resource,
    extra,
  }
}

/**
 * The spellings of a resource URL an audience may use: as given, and with one trailing slash
 * added or removed (`https://mcp.example.com` and `https://mcp.example.com/` name one resource).
 */
export function audienceSpellings(resource: URL): string[] {
  const href = resource.href
  const trimmed = href.endsWith('/') ? href.slice(0, -1) : href
  return [...new Set([href, trimmed, `${trimmed}/`])]
}

/** Whether `audience` (a string or an array, as `aud` is) names one of `expected`. */
export function audienceMatches(audience: unknown, expected: readonly string[]): boolean {
  const values = typeof audience === 'string' ? [audience] : Array.isArray(audience) ? audience : []
  return values.some((value) => typeof value === 'string' && expected.includes(value))
}

/** `aud` as text for an error message. */
export function describeAudience(audience: unknown): string {
  if (typeof audience === 'string') return audience
  if (Array.isArray(audience)) return audience.map(String).join(', ')
  return '(none)'
}
