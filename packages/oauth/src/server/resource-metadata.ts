import { getOAuthProtectedResourceMetadataUrl } from '@modelcontextprotocol/server'
import { configurationError } from './configuration-error.js'
import { scopeList } from './tool-scopes.js'

/** The RFC 9728 protected-resource metadata document this server publishes. */
export interface ProtectedResourceMetadata {
  resource: string
  authorization_servers: string[]
  bearer_methods_supported: string[]
  scopes_supported?: string[]
  resource_name?: string
  resource_documentation?: string
  [field: string]: unknown
}

/** RFC 9728 §2 fields an extra `metadata` may set, by the type each must have. */
const FIELD_TYPES: Record<string, 'url' | 'strings' | 'boolean'> = {
  jwks_uri: 'url',
  resource_policy_uri: 'url',
  resource_tos_uri: 'url',
  resource_signing_alg_values_supported: 'strings',
  authorization_details_types_supported: 'strings',
  dpop_signing_alg_values_supported: 'strings',
  tls_client_certificate_bound_access_tokens: 'boolean',
  dpop_bound_access_tokens_required: 'boolean',
}

/**
 * `value` as a resource indicator (RFC 8707): an absolute http(s) URL without query or
 * fragment. Throws `INVALID_CONFIGURATION` otherwise.
 */
export function resourceUrl(value: unknown): URL {
  let url: URL
  try {
    url = new URL(value as string | URL)
  } catch {
    throw configurationError(
      `\`resource\` must be the absolute URL clients reach this MCP server at (e.g. "https://mcp.example.com/mcp"), got ${JSON.stringify(String(value))}.`,
    )
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw configurationError(`\`resource\` must be an http(s) URL, got ${url.protocol}.`)
  }
  if (url.hash !== '' || url.search !== '' || String(value).includes('#')) {
    throw configurationError(
      '`resource` must not have a query or a fragment: it is a resource indicator (RFC 8707).',
    )
  }
  return url
}

/**
 * Where the metadata of `resource` lives: the path-aware well-known URL of RFC 9728
 * (`https://mcp.example.com/mcp` → `/.well-known/oauth-protected-resource/mcp`), exactly as the
 * SDK computes it for its own servers and clients.
 */
export function metadataLocation(resource: URL): { url: string; path: string } {
  const url = getOAuthProtectedResourceMetadataUrl(resource)
  return { url, path: new URL(url).pathname }
}

/** The metadata document, checked; throws `INVALID_CONFIGURATION` naming what is wrong. */
export function buildMetadata(options: {
  /** `resource` as the user gave it, to publish it without a slash they did not write. */
  given: string | URL
  resource: URL
  authorizationServers: unknown
  /** `scopes_supported` as given, or `undefined` for `defaultScopes`. */
  scopesSupported: unknown
  defaultScopes: readonly string[]
  resourceName: string | undefined
  resourceDocumentation: string | URL | undefined
  metadata: unknown
}): ProtectedResourceMetadata {
  const servers = options.authorizationServers
  if (!Array.isArray(servers) || servers.length === 0) {
    throw configurationError(
      '`authorizationServers` must list at least one authorization server (its issuer URL), so clients know where to get a token.',
    )
  }
  const authorizationServers = servers.map((server: unknown) => {
    try {
      return new URL(server as string | URL).href.replace(/\/$/, '')
    } catch {
      throw configurationError(
        `\`authorizationServers\` entry ${JSON.stringify(String(server))} is not a URL.`,
      )
    }
  })
  const scopesSupported =
    options.scopesSupported === undefined
      ? [...options.defaultScopes]
      : scopeList('scopesSupported', options.scopesSupported)
  const extra = extraFields(options.metadata)
  return {
    ...extra,
    resource: resourceIdentifier(options.given, options.resource),
    authorization_servers: authorizationServers,
    bearer_methods_supported: ['header'],
    ...(scopesSupported.length > 0 ? { scopes_supported: scopesSupported } : {}),
    ...(options.resourceName === undefined ? {} : { resource_name: options.resourceName }),
    ...(options.resourceDocumentation === undefined
      ? {}
      : { resource_documentation: String(options.resourceDocumentation) }),
  }
}

/** The answer to a request for the metadata document: GET/HEAD, CORS preflight, or 405. */
export function metadataDocumentResponse(request: Request, body: string): Response {
  const cors = { 'access-control-allow-origin': '*' }
  if (request.method === 'OPTIONS') {
    return new Response(null, {
      status: 204,
      headers: {
        ...cors,
        'access-control-allow-methods': 'GET, HEAD, OPTIONS',
        'access-control-allow-headers': 'mcp-protocol-version',
        'access-control-max-age': '86400',
      },
    })
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return new Response(null, { status: 405, headers: { ...cors, allow: 'GET, HEAD, OPTIONS' } })
  }
  return new Response(request.method === 'HEAD' ? null : body, {
    status: 200,
    headers: {
      ...cors,
      'content-type': 'application/json',
      'cache-control': 'public, max-age=3600',
    },
  })
}

/** The extra RFC 9728 fields of `metadata`, each of the type the RFC gives it. */
function extraFields(metadata: unknown): Record<string, unknown> {
  if (metadata === undefined) return {}
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw configurationError('`metadata` must be an object of RFC 9728 fields.')
  }
  const problems: string[] = []
  for (const [field, value] of Object.entries(metadata)) {
    const expected = FIELD_TYPES[field]
    if (expected === 'url' && !(typeof value === 'string' && URL.canParse(value))) {
      problems.push(`${field}: must be an absolute URL`)
    } else if (
      expected === 'strings' &&
      !(Array.isArray(value) && value.every((entry) => typeof entry === 'string'))
    ) {
      problems.push(`${field}: must be an array of strings`)
    } else if (expected === 'boolean' && typeof value !== 'boolean') {
      problems.push(`${field}: must be true or false`)
    }
  }
  if (problems.length > 0) {
    throw configurationError(`The protected-resource metadata is invalid: ${problems.join('; ')}.`)
  }
  return { ...metadata }
}

/** The resource as published: the URL's canonical form, without a slash the user did not write. */
function resourceIdentifier(given: string | URL, resource: URL): string {
  const href = resource.href
  if (resource.pathname === '/' && !String(given).endsWith('/')) return href.slice(0, -1)
  return href
}
