import type { ResourceAuth, ResourceAuthDenial } from '@mcpkit/types'
import type { AuthInfo } from '@modelcontextprotocol/server'
import { sameUrlUpToTrailingSlash } from '../shared/canonical-url.js'
import { type Challenge, challengeResponse, errorResponse } from './challenge.js'
import { configurationError } from './configuration-error.js'
import { verifierRefusal } from './oauth-errors.js'
import { peekJson } from './request-body.js'
import {
  buildMetadata,
  metadataDocumentResponse,
  metadataLocation,
  type ProtectedResourceMetadata,
  resourceUrl,
} from './resource-metadata.js'
import { audienceSpellings } from './token-claims.js'
import {
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  type SdkTokenVerifier,
  type TokenVerifier,
  verifierFunction,
} from './token-verifier.js'
import { missingScopes, ToolScopes } from './tool-scopes.js'

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

const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
/** RFC 6750 `b64token`, the only credential syntax a Bearer header may carry. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

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
  readonly #scopes: ToolScopes
  readonly #toleranceSeconds: number
  readonly #maxBodyBytes: number
  readonly #metadataBody: string

  constructor(options: ProtectedResourceOptions) {
    if (options === null || typeof options !== 'object') {
      throw configurationError('createProtectedResource(options): options must be an object.')
    }
    this.resource = resourceUrl(options.resource)
    const location = metadataLocation(this.resource)
    this.metadataPath = location.path
    this.resourceMetadataUrl = location.url
    this.#verify = verifierFunction(options.verifier, {
      resource: this.resource,
      audiences: audienceSpellings(this.resource),
    })
    this.#scopes = new ToolScopes(options)
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
    this.metadata = buildMetadata({
      given: options.resource,
      resource: this.resource,
      authorizationServers: options.authorizationServers,
      scopesSupported: options.scopesSupported,
      defaultScopes: this.#scopes.all,
      resourceName: options.resourceName,
      resourceDocumentation: options.resourceDocumentation,
      metadata: options.metadata,
    })
    this.#metadataBody = JSON.stringify(this.metadata)
  }

  /** Answers a request for the metadata document: GET/HEAD with the JSON, CORS preflight, 405. */
  readonly metadataResponse = (request: Request): Response =>
    metadataDocumentResponse(request, this.#metadataBody)

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
    const required = this.#scopes.required
    const header = request.headers.get('authorization')
    if (header === null || header.trim() === '') {
      return this.#refuse({
        status: 401,
        description: `This MCP server needs an OAuth access token: send \`Authorization: Bearer <token>\`. The metadata at ${this.resourceMetadataUrl} names the authorization server to get one from.`,
        scopes: required,
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
      const refusal = verifierRefusal(error)
      if (!refusal) throw error
      if (refusal.status === 503) {
        return errorResponse(503, refusal.error, refusal.description, { 'retry-after': '5' })
      }
      if (refusal.status === 403) {
        return this.#refuse({ ...refusal, scopes: required })
      }
      return this.#invalid(refusal.description)
    }

    const problem = this.#credentialsProblem(authInfo)
    if (problem) return this.#invalid(problem)

    const missingRequired = missingScopes(required, authInfo.scopes)
    if (missingRequired.length > 0) {
      return this.#refuse({
        status: 403,
        error: 'insufficient_scope',
        description: `This MCP server needs the scopes ${required.join(' ')}; the access token lacks ${missingRequired.join(' ')}.`,
        scopes: required,
      })
    }
    return this.authorizeBody(request, body, authInfo) ?? authInfo
  }

  /**
   * The scope check of a POST's body for credentials `authenticate()` already verified: the
   * `toolScopes` of every `tools/call` in `body`. `undefined` when they are granted, else the
   * 403 `insufficient_scope` to answer. The transports call it once the body is read, after
   * `authenticate(request)` verified the token from the headers alone, so an unauthenticated
   * client never makes the server read its upload.
   */
  readonly authorizeBody = (
    _request: Request,
    body: unknown,
    authInfo: AuthInfo,
  ): Response | undefined => {
    const denial = this.#scopes.denialForBody(body, authInfo)
    if (!denial) return undefined
    return this.#refuse({
      status: 403,
      error: 'insufficient_scope',
      description: denial.message,
      scopes: denial.requiredScopes,
    })
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
  }): ResourceAuthDenial | undefined => this.#scopes.authorize(request)

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
    if (
      authInfo.resource !== undefined &&
      !sameUrlUpToTrailingSlash(authInfo.resource, this.resource)
    ) {
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
