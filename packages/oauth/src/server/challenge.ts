/**
 * RFC 6750 bearer challenges and the 401/403 answers that carry them. Every refusal names the
 * RFC 9728 metadata URL, so a client that knows nothing about this server can find out where to
 * get a token.
 */

/** What a refusal says: an OAuth error code (none for a request without credentials). */
export interface Challenge {
  status: 401 | 403
  error?: 'invalid_token' | 'insufficient_scope'
  description: string
  /** Scopes the request needs (space-joined into `scope`). */
  scopes?: readonly string[]
  resourceMetadataUrl: string
}

/**
 * A `WWW-Authenticate` parameter value: RFC 6750 allows printable ASCII except `"` and `\` in
 * quoted values, so anything else is replaced rather than escaped (clients differ on escapes).
 */
export function quotable(value: string): string {
  return value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, "'")
}

/** The `WWW-Authenticate` header of a refusal. */
export function challengeHeader(challenge: Challenge): string {
  const parameters: string[] = []
  if (challenge.error) {
    parameters.push(`error="${challenge.error}"`)
    parameters.push(`error_description="${quotable(challenge.description)}"`)
  }
  if (challenge.scopes && challenge.scopes.length > 0) {
    parameters.push(`scope="${quotable(challenge.scopes.join(' '))}"`)
  }
  parameters.push(`resource_metadata="${quotable(challenge.resourceMetadataUrl)}"`)
  return `Bearer ${parameters.join(', ')}`
}

/** The answer to a refused request: the challenge header and a JSON body saying the same. */
export function challengeResponse(challenge: Challenge): Response {
  const body: Record<string, string> = {
    error: challenge.error ?? 'invalid_token',
    error_description: challenge.description,
  }
  if (challenge.scopes && challenge.scopes.length > 0) body.scope = challenge.scopes.join(' ')
  return new Response(JSON.stringify(body), {
    status: challenge.status,
    headers: {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'www-authenticate': challengeHeader(challenge),
      // Browser-based MCP clients must be able to read the challenge on a cross-origin answer.
      'access-control-expose-headers': 'WWW-Authenticate',
    },
  })
}

/** A JSON error answer without a challenge (the token could not be checked at all). */
export function errorResponse(
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ error, error_description: description }), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  })
}
