import type { ResourceAuth, ResourceAuthDenial } from '@mcpkit/types'
import { MCPServerError } from '@mcpkit/types'
import {
  InvalidTokenError,
  OAuthError,
  TemporarilyUnavailableError,
} from '@modelcontextprotocol/sdk/server/auth/errors.js'
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import { OAuthProtectedResourceMetadataSchema } from '@modelcontextprotocol/sdk/shared/auth.js'
import { type Challenge, challengeResponse, errorResponse } from './challenge.js'
import { DEFAULT_CLOCK_TOLERANCE_SECONDS } from './jwt-verifier.js'
import {
  audienceSpellings,
  type SdkTokenVerifier,
  type TokenVerificationContext,
  type TokenVerifier,
} from './token-verifier.js'

/** `createProtectedResource(options)`. */
export interface ProtectedResourceOptions {
  /**
   * The canonical URL of this MCP server, as clients reach it (e.g.
   * `https://mcp.example.com/mcp`): the audience tokens must be issued for (RFC 8707) and the
   * base of the metadata URL. No query, no fragment. When one server serves Streamable HTTP and
   * legacy SSE on different paths, use their common prefix (often the origin).
   */
  resource: string | URL
  /** Issuer URLs of the authorization servers clients get tokens from (RFC 9728). */
  authorizationServers: Array<string | URL>
  /**
   * How tokens are checked: `jwtVerifier(...)`, `introspectionVerifier(...)`, your own
   * `{ verify(token, context) }`, or an SDK `OAuthTokenVerifier`. Required: there is no mode that
   * accepts tokens unchecked.
   */
  verifier: TokenVerifier | SdkTokenVerifier
  /** Scopes every request needs. */
  requiredScopes?: string[]
  /** Scopes per tool name, needed (on top of `requiredScopes`) to call that tool. */
  toolScopes?: Record<string, string[]>
  /** `scopes_supported` in the metadata. Default: `requiredScopes` and every `toolScopes` scope. */
  scopesSupported?: string[]
  /** `resource_name` in the metadata: a name for people. */
  resourceName?: string
  /** `resource_documentation` in the metadata: a URL for people. */
  resourceDocumentation?: string | URL
  /** More RFC 9728 fields for the metadata (they cannot replace the ones above). */
  metadata?: Record<string, unknown>
  /** Leeway, in seconds, for the `expiresAt` a custom verifier returns. Default 5. */
  clockToleranceSeconds?: number
  /** Largest body `protect()` reads to find tool calls; larger ones are left to the transport. Default 4 MiB. */
  maxBodyBytes?: number
}

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

const WELL_KNOWN = '/.well-known/oauth-protected-resource'
const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
/** RFC 6750 `b64token`, the only credential syntax a Bearer header may carry. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/

/**
 * This MCP server as an OAuth 2.1 protected resource, per the MCP authorization spec: it
 * publishes its RFC 9728 metadata at the path-aware well-known URL, verifies bearer tokens (and
 * that they were issued for this resource), and answers 401/403 with `WWW-Authenticate`
 * challenges that point clients to the metadata. Give it to `MCPServer` as `auth`, or call
 * `protect(request)` in front of your own routes.
 */
export class ProtectedResource implements ResourceAuth {
  /** The canonical resource URL (fragment-free). */
  readonly resource: URL
  /** Path of the metadata document, e.g. `/.well-known/oauth-protected-resource/mcp`. */
  readonly metadataPath: string
  /** Absolute URL of the metadata document, as `resource_metadata` in every challenge. */
  readonly resourceMetadataUrl: string
  /** The metadata document. */
  readonly metadata: Readonly<ProtectedResourceMetadata>
  readonly #verify: (token: string) => Promise<AuthInfo>
  readonly #requiredScopes: readonly string[]
  readonly #toolScopes: ReadonlyMap<string, readonly string[]>
  readonly #toleranceSeconds: number
  readonly #maxBodyBytes: number
  readonly #metadataBody: string

  constructor(options: ProtectedResourceOptions) {
    if (options === null || typeof options !== 'object') {
      throw configurationError('createProtectedResource(options): options must be an object.')
    }
    this.resource = resourceUrl(options.resource)
    const path = this.resource.pathname === '/' ? '' : this.resource.pathname
    this.metadataPath = `${WELL_KNOWN}${path}`
    this.resourceMetadataUrl = new URL(this.metadataPath, this.resource.origin).href

    const context: TokenVerificationContext = {
      resource: this.resource,
      audiences: audienceSpellings(this.resource),
    }
    this.#verify = verifierFunction(options.verifier, context)
    this.#requiredScopes = scopeList('requiredScopes', options.requiredScopes ?? [])
    const toolScopes = new Map<string, readonly string[]>()
    if (options.toolScopes !== undefined) {
      if (options.toolScopes === null || typeof options.toolScopes !== 'object') {
        throw configurationError(
          '`toolScopes` must map tool names to scope arrays, e.g. { delete_note: ["notes:write"] }.',
        )
      }
      for (const [tool, scopes] of Object.entries(options.toolScopes)) {
        toolScopes.set(tool, scopeList(`toolScopes.${tool}`, scopes))
      }
    }
    this.#toolScopes = toolScopes
    const tolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS
    if (typeof tolerance !== 'number' || !(tolerance >= 0)) {
      throw configurationError('`clockToleranceSeconds` must be a number ≥ 0.')
    }
    this.#toleranceSeconds = tolerance
    const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
    if (typeof maxBodyBytes !== 'number' || !(maxBodyBytes > 0)) {
      throw configurationError('`maxBodyBytes` must be a positive number of bytes.')
    }
    this.#maxBodyBytes = maxBodyBytes
    this.metadata = buildMetadata(options, this.resource, this.#requiredScopes, toolScopes)
    this.#metadataBody = JSON.stringify(this.metadata)
  }

  /** Answers a request for the metadata document: GET/HEAD with the JSON, CORS preflight, 405. */
  readonly metadataResponse = (request: Request): Response => {
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
    return new Response(request.method === 'HEAD' ? null : this.#metadataBody, {
      status: 200,
      headers: {
        ...cors,
        'content-type': 'application/json',
        'cache-control': 'public, max-age=3600',
      },
    })
  }

  /**
   * Verifies a request's bearer token and checks its scopes (`requiredScopes`, and for a POST
   * the `toolScopes` of every `tools/call` in `body`). Resolves with the `AuthInfo` to hand to
   * the MCP transport, or with the 401/403 (503 when the token cannot be checked right now) to
   * answer instead. Rejects only when the verifier fails unexpectedly.
   */
  readonly authenticate = async (
    request: Request,
    body?: unknown,
  ): Promise<AuthInfo | Response> => {
    const header = request.headers.get('authorization')
    if (header === null || header.trim() === '') {
      return this.#refuse({
        status: 401,
        description: `This MCP server needs an OAuth access token: send \`Authorization: Bearer <token>\`. The metadata at ${this.resourceMetadataUrl} names the authorization server to get one from.`,
        scopes: this.#requiredScopes,
      })
    }
    const token = BEARER.exec(header)?.[1]
    if (token === undefined) {
      return this.#invalid(
        'The Authorization header is malformed: it must be `Bearer <access token>`.',
      )
    }

    let authInfo: AuthInfo
    try {
      authInfo = await this.#verify(token)
    } catch (error) {
      if (error instanceof InvalidTokenError) return this.#invalid(error.message)
      if (error instanceof TemporarilyUnavailableError) {
        return errorResponse(503, 'temporarily_unavailable', error.message, { 'retry-after': '5' })
      }
      if (error instanceof OAuthError && error.errorCode !== 'server_error') {
        return this.#invalid(error.message)
      }
      throw error
    }

    const problem = this.#credentialsProblem(authInfo)
    if (problem) return this.#invalid(problem)

    const missingRequired = missing(this.#requiredScopes, authInfo.scopes)
    if (missingRequired.length > 0) {
      return this.#refuse({
        status: 403,
        error: 'insufficient_scope',
        description: `This MCP server needs the scopes ${this.#requiredScopes.join(' ')}; the access token lacks ${missingRequired.join(' ')}.`,
        scopes: this.#requiredScopes,
      })
    }
    const denial = this.#toolCallsDenial(body, authInfo)
    if (denial) {
      return this.#refuse({
        status: 403,
        error: 'insufficient_scope',
        description: denial.message,
        scopes: denial.requiredScopes,
      })
    }
    return authInfo
  }

  /**
   * For routes you mount yourself: the metadata document for its URL, otherwise
   * `authenticate()`. For a POST without `options.body` it reads a copy of the body (up to
   * `maxBodyBytes`) to check the scopes of the tools it calls; the request stays readable.
   *
   * ```ts
   * const checked = await resource.protect(request)
   * if (checked instanceof Response) return checked
   * return mcpHandler.handleRequest(request, { authInfo: checked })
   * ```
   */
  readonly protect = async (
    request: Request,
    options: { body?: unknown } = {},
  ): Promise<AuthInfo | Response> => {
    if (new URL(request.url).pathname === this.metadataPath) return this.metadataResponse(request)
    const body =
      'body' in options
        ? options.body
        : request.method === 'POST'
          ? await peekJson(request, this.#maxBodyBytes)
          : undefined
    return this.authenticate(request, body)
  }

  /**
   * Whether `authInfo` may call `toolName`: `undefined`, or why not. `MCPServer` asks this for
   * every tool call, so a call that reached the server without the HTTP check (legacy SSE
   * mounted by hand, a custom transport) is refused too.
   */
  readonly authorizeToolCall = (request: {
    toolName: string
    authInfo: AuthInfo | undefined
  }): ResourceAuthDenial | undefined => {
    const needed = this.#scopesForTool(request.toolName)
    if (needed.length === 0) return undefined
    if (!request.authInfo) {
      return {
        message: `Tool \`${request.toolName}\` needs an OAuth access token with the scopes ${needed.join(' ')}; the request carried none.`,
        requiredScopes: needed,
      }
    }
    const lacking = missing(needed, request.authInfo.scopes)
    if (lacking.length === 0) return undefined
    return {
      message: `Tool \`${request.toolName}\` needs the scopes ${needed.join(' ')}; the access token lacks ${lacking.join(' ')}.`,
      requiredScopes: needed,
    }
  }

  /** `requiredScopes` plus the tool's own: what a token needs to call it. */
  #scopesForTool(toolName: string): string[] {
    const own = this.#toolScopes.get(toolName) ?? []
    return [...new Set([...this.#requiredScopes, ...own])]
  }

  /** The first tool call in a JSON-RPC body (or batch) the token may not make. */
  #toolCallsDenial(body: unknown, authInfo: AuthInfo): ResourceAuthDenial | undefined {
    if (this.#toolScopes.size === 0 || body === null || typeof body !== 'object') return undefined
    const messages: unknown[] = Array.isArray(body) ? body : [body]
    const needed = new Set<string>()
    const refused: ResourceAuthDenial[] = []
    for (const message of messages) {
      const toolName = toolCallName(message)
      if (toolName === undefined) continue
      const denial = this.authorizeToolCall({ toolName, authInfo })
      if (denial) {
        refused.push(denial)
        for (const scope of denial.requiredScopes) needed.add(scope)
      }
    }
    if (refused.length === 0) return undefined
    if (refused.length === 1) return refused[0]
    return {
      message: refused.map((denial) => denial.message).join(' '),
      requiredScopes: [...needed],
    }
  }

  /** Why verified credentials still cannot be used here, or `undefined`. */
  #credentialsProblem(authInfo: AuthInfo): string | undefined {
    if (
      authInfo === null ||
      typeof authInfo !== 'object' ||
      typeof authInfo.token !== 'string' ||
      typeof authInfo.clientId !== 'string' ||
      !Array.isArray(authInfo.scopes)
    ) {
      return 'The access token could not be verified: the verifier returned no valid credentials.'
    }
    const { expiresAt } = authInfo
    if (expiresAt !== undefined) {
      if (typeof expiresAt !== 'number' || Number.isNaN(expiresAt)) {
        return 'The access token has an invalid expiry time.'
      }
      if (expiresAt + this.#toleranceSeconds < Date.now() / 1000) {
        return `The access token expired at ${new Date(expiresAt * 1000).toISOString()}. Get a new one.`
      }
    }
    if (authInfo.resource !== undefined && !sameResource(authInfo.resource, this.resource)) {
      return `The access token was issued for another resource (${String(authInfo.resource)}), not for this one (${this.resource.href}).`
    }
    const sub = authInfo.extra?.sub
    if ((typeof sub !== 'string' || sub === '') && authInfo.clientId === '') {
      return 'The access token names neither a subject (sub) nor a client (client_id), so it cannot be tied to a session.'
    }
    return undefined
  }

  #invalid(description: string): Response {
    return this.#refuse({ status: 401, error: 'invalid_token', description })
  }

  #refuse(challenge: Omit<Challenge, 'resourceMetadataUrl'>): Response {
    return challengeResponse({ ...challenge, resourceMetadataUrl: this.resourceMetadataUrl })
  }
}

/**
 * Protects an MCP server with OAuth per the MCP authorization spec. Without a `verifier` it
 * throws: there is no mode that accepts tokens unchecked.
 *
 * ```ts
 * const auth = createProtectedResource({
 *   resource: 'https://mcp.example.com/mcp',
 *   authorizationServers: ['https://auth.example.com'],
 *   verifier: jwtVerifier({ jwksUrl: 'https://auth.example.com/jwks', issuer: 'https://auth.example.com' }),
 *   toolScopes: { delete_note: ['notes:write'] },
 * })
 * const server = new MCPServer({ name: 'notes', version: '1.0.0', tools, auth })
 * ```
 */
export function createProtectedResource(options: ProtectedResourceOptions): ProtectedResource {
  return new ProtectedResource(options)
}

function configurationError(message: string): MCPServerError {
  return new MCPServerError('INVALID_CONFIGURATION', message)
}

function resourceUrl(value: unknown): URL {
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

function verifierFunction(
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

function scopeList(name: string, scopes: unknown): string[] {
  if (!Array.isArray(scopes) || !scopes.every((scope) => typeof scope === 'string')) {
    throw configurationError(`\`${name}\` must be an array of scope strings.`)
  }
  for (const scope of scopes as string[]) {
    if (!SCOPE_TOKEN.test(scope)) {
      throw configurationError(
        `\`${name}\`: ${JSON.stringify(scope)} is not a scope (no spaces, quotes or backslashes).`,
      )
    }
  }
  return [...new Set(scopes as string[])]
}

function buildMetadata(
  options: ProtectedResourceOptions,
  resource: URL,
  requiredScopes: readonly string[],
  toolScopes: ReadonlyMap<string, readonly string[]>,
): ProtectedResourceMetadata {
  const servers = options.authorizationServers
  if (!Array.isArray(servers) || servers.length === 0) {
    throw configurationError(
      '`authorizationServers` must list at least one authorization server (its issuer URL), so clients know where to get a token.',
    )
  }
  const authorizationServers = servers.map((server) => {
    try {
      return new URL(server).href.replace(/\/$/, '')
    } catch {
      throw configurationError(
        `\`authorizationServers\` entry ${JSON.stringify(String(server))} is not a URL.`,
      )
    }
  })
  const scopesSupported =
    options.scopesSupported === undefined
      ? [...new Set([...requiredScopes, ...[...toolScopes.values()].flat()])]
      : scopeList('scopesSupported', options.scopesSupported)
  const metadata: ProtectedResourceMetadata = {
    ...options.metadata,
    resource: resourceIdentifier(options.resource, resource),
    authorization_servers: authorizationServers,
    bearer_methods_supported: ['header'],
    ...(scopesSupported.length > 0 ? { scopes_supported: scopesSupported } : {}),
    ...(options.resourceName === undefined ? {} : { resource_name: options.resourceName }),
    ...(options.resourceDocumentation === undefined
      ? {}
      : { resource_documentation: String(options.resourceDocumentation) }),
  }
  const checked = OAuthProtectedResourceMetadataSchema.safeParse(metadata)
  if (!checked.success) {
    throw configurationError(
      `The protected-resource metadata is invalid: ${checked.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}.`,
    )
  }
  return metadata
}

/** The resource as published: the URL's canonical form, without a slash the user did not write. */
function resourceIdentifier(given: string | URL, resource: URL): string {
  const href = resource.href
  if (resource.pathname === '/' && !String(given).endsWith('/')) return href.slice(0, -1)
  return href
}

/** RFC 8707 resources compare equal without fragment and without one trailing slash. */
function sameResource(reported: URL | string, expected: URL): boolean {
  const comparable = (value: string) => value.split('#')[0]!.replace(/\/$/, '')
  return comparable(String(reported)) === comparable(expected.href)
}

function missing(needed: readonly string[], granted: readonly string[]): string[] {
  const have = new Set(granted)
  return needed.filter((scope) => !have.has(scope))
}

/** The tool a JSON-RPC message calls, if it is a `tools/call` request. */
function toolCallName(message: unknown): string | undefined {
  if (message === null || typeof message !== 'object') return undefined
  const { method, params } = message as { method?: unknown; params?: unknown }
  if (method !== 'tools/call' || params === null || typeof params !== 'object') return undefined
  const name = (params as { name?: unknown }).name
  return typeof name === 'string' ? name : undefined
}

/** The JSON body of a POST, read from a copy so the original stays readable; `undefined` if unusable. */
async function peekJson(request: Request, maxBytes: number): Promise<unknown> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN)
  if (declared > maxBytes || request.bodyUsed || !request.body) return undefined
  let copy: Request
  try {
    copy = request.clone()
  } catch {
    return undefined
  }
  const reader = copy.body?.getReader()
  if (!reader) return undefined
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > maxBytes) {
        await reader.cancel().catch(() => {})
        return undefined
      }
      chunks.push(value)
    }
    const joined = new Uint8Array(size)
    let offset = 0
    for (const chunk of chunks) {
      joined.set(chunk, offset)
      offset += chunk.byteLength
    }
    return JSON.parse(new TextDecoder().decode(joined))
  } catch {
    return undefined
  }
}
