/**
 * What the OAuth client tests run against, all on 127.0.0.1:
 * - a real authorization server: `oidc-provider` with dynamic registration, PKCE, refresh
 *   tokens, resource indicators (RFC 8707, JWT access tokens per resource) and the
 *   client_credentials grant; logins and consents are completed by `browse()` (a headless
 *   browser with a cookie jar) through a tiny interaction route, so runs are deterministic;
 * - protected MCP servers (`MCPServer` with a `whoami` tool) that verify each bearer token's
 *   signature, issuer, audience and expiry, and publish RFC 9728 metadata.
 */
import { generateKeyPairSync, type KeyObject, verify } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createMCPTool, MCPServer } from '@mcpkit/mcp-server-core'
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import { z } from 'zod'

// ── oidc-provider, typed as far as these tests use it ───────────────────────────────────────

interface OidcGrant {
  addOIDCScope(scope: string): void
  addResourceScope(resource: string, scope: string): void
  save(): Promise<string>
}

interface OidcInteraction {
  prompt: { name: string; details: Record<string, unknown> }
  params: Record<string, unknown>
  grantId?: string
  session?: { accountId?: string }
}

interface OidcContext {
  method: string
  path: string
  oidc?: { route?: string; params?: Record<string, unknown> }
}

interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void
  use(middleware: (ctx: OidcContext, next: () => Promise<void>) => Promise<void>): void
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<OidcInteraction>
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>
  Grant: {
    new (properties: { accountId: string; clientId: string }): OidcGrant
    find(id: string): Promise<OidcGrant | undefined>
  }
}

interface OidcModule {
  default: new (issuer: string, configuration: Record<string, unknown>) => OidcProvider
  errors: { InvalidTarget: new (description?: string) => Error }
}

// A variable specifier: the package ships no types, and these tests need only the above.
const OIDC_PROVIDER = 'oidc-provider'

/** One request the authorization server handled, with its parsed OAuth parameters. */
export interface RecordedRequest {
  route: string
  method: string
  params: Record<string, unknown>
}

export interface AuthorizationServer {
  readonly issuer: string
  /** What the server handled, in order (authorization, token, registration, …). */
  readonly requests: RecordedRequest[]
  /** Public key the access tokens are signed with. */
  readonly publicKey: KeyObject
  /** Access token lifetime, in seconds, for tokens issued from now on. */
  accessTokenTtl: number
  /** Resource indicators this server issues tokens for. */
  readonly resources: Set<string>
  /** `client_id` / `client_secret` of a pre-registered client_credentials client. */
  readonly machineClient: { clientId: string; clientSecret: string }
  requestsTo(route: string): RecordedRequest[]
  close(): Promise<void>
}

const MACHINE_CLIENT = { clientId: 'machine-client', clientSecret: 'machine-secret-0123456789' }
const SCOPE = 'mcp:tools'

export async function startAuthorizationServer(): Promise<AuthorizationServer> {
  const { default: Provider, errors } = (await import(OIDC_PROVIDER)) as OidcModule
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'ES256', use: 'sig' }
  const requests: RecordedRequest[] = []
  const resources = new Set<string>()
  const state = { accessTokenTtl: 300 }

  const http = createServer()
  await listen(http)
  const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: MACHINE_CLIENT.clientId,
        client_secret: MACHINE_CLIENT.clientSecret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
      },
    ],
    jwks: { keys: [jwk] },
    clientDefaults: {
      id_token_signed_response_alg: 'ES256',
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
    cookies: { keys: ['mcpkit-oauth-client-tests'] },
    scopes: ['openid', 'offline_access', SCOPE],
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => undefined,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: unknown, resourceIndicator: string) => {
          if (!resources.has(resourceIndicator)) {
            throw new errors.InvalidTarget(`unknown resource ${resourceIndicator}`)
          }
          return {
            scope: SCOPE,
            audience: resourceIndicator,
            accessTokenTTL: state.accessTokenTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          }
        },
      },
    },
    // Every client that may use refresh tokens gets them; `offline_access` is an OIDC notion.
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    pkce: { required: () => true },
    ttl: {
      AccessToken: () => state.accessTokenTtl,
      ClientCredentials: () => state.accessTokenTtl,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      RefreshToken: 3600,
    },
    findAccount: async (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: async () => ({ sub }),
    }),
    interactions: {
      url: async (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
  })
  provider.use(async (ctx, next) => {
    try {
      await next()
    } finally {
      // Refused requests too: a test must see a second use of a refresh token.
      const route = ctx.oidc?.route
      if (route) {
        requests.push({ route, method: ctx.method, params: { ...(ctx.oidc?.params ?? {}) } })
      }
    }
  })

  const oidc = provider.callback()
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/interaction/')) {
      completeInteraction(provider, req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(error))
      })
      return
    }
    oidc(req, res)
  })

  return {
    issuer,
    requests,
    publicKey,
    resources,
    machineClient: MACHINE_CLIENT,
    get accessTokenTtl() {
      return state.accessTokenTtl
    },
    set accessTokenTtl(seconds: number) {
      state.accessTokenTtl = seconds
    },
    requestsTo: (route) => requests.filter((request) => request.route === route),
    close: () => closeServer(http),
  }
}

/**
 * The login and consent pages, answered at once: the user is whoever the browser says it is
 * (`x-test-user`), and consent grants every scope asked for.
 */
async function completeInteraction(
  provider: OidcProvider,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const details = await provider.interactionDetails(req, res)
  if (details.prompt.name === 'login') {
    const accountId = String(req.headers['x-test-user'] ?? '')
    if (!accountId) {
      res.writeHead(400).end('no x-test-user header')
      return
    }
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId } },
      {
        mergeWithLastSubmission: false,
      },
    )
    return
  }
  if (details.prompt.name === 'consent') {
    const accountId = details.session?.accountId ?? ''
    const clientId = String(details.params.client_id)
    const grant = details.grantId
      ? ((await provider.Grant.find(details.grantId)) ??
        new provider.Grant({ accountId, clientId }))
      : new provider.Grant({ accountId, clientId })
    const missing = details.prompt.details as {
      missingOIDCScope?: string[]
      missingResourceScopes?: Record<string, string[]>
    }
    if (missing.missingOIDCScope?.length) grant.addOIDCScope(missing.missingOIDCScope.join(' '))
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(resource, scopes.join(' '))
    }
    const grantId = await grant.save()
    await provider.interactionFinished(
      req,
      res,
      { consent: { grantId } },
      {
        mergeWithLastSubmission: true,
      },
    )
    return
  }
  res.writeHead(400).end(`unexpected prompt ${details.prompt.name}`)
}

// ── the browser ─────────────────────────────────────────────────────────────────────────────

/** Where `browse()` ended: the URL it stopped at, and the response there if it fetched it. */
export interface BrowseResult {
  url: URL
  status?: number
  text?: string
}

/**
 * Follows an authorization URL the way a browser would (cookies, redirects) as `user`, and
 * stops at the first URL for which `stopAt` is true without fetching it, or at the first
 * response that is not a redirect.
 */
export async function browse(
  start: URL,
  options: { user: string; stopAt?: (url: URL) => boolean; maxSteps?: number },
): Promise<BrowseResult> {
  const cookies = new Map<string, string>()
  let url = start
  for (let step = 0; step < (options.maxSteps ?? 20); step++) {
    if (options.stopAt?.(url)) return { url }
    const response = await fetch(url, {
      redirect: 'manual',
      headers: {
        'x-test-user': options.user,
        cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
      },
    })
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const separator = pair?.indexOf('=') ?? -1
      if (!pair || separator < 1) continue
      cookies.set(pair.slice(0, separator).trim(), pair.slice(separator + 1).trim())
    }
    const location = response.headers.get('location')
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel()
      url = new URL(location, url)
      continue
    }
    return { url, status: response.status, text: await response.text() }
  }
  throw new Error(`browse(): more than ${options.maxSteps ?? 20} redirects from ${start.href}`)
}

// ── protected MCP servers ───────────────────────────────────────────────────────────────────

export interface ProtectedServer {
  /** The MCP endpoint, also the resource indicator its tokens are minted for. */
  readonly url: URL
  /** Tokens answered 401 from now on, as if revoked. */
  readonly revoked: Set<string>
  /** Bearer tokens seen, in order, with whether they were accepted. */
  readonly seen: { token: string; accepted: boolean }[]
  close(): Promise<void>
}

const whoami = createMCPTool({
  id: 'whoami',
  description: 'Returns the caller as the server sees it',
  inputSchema: z.object({}),
  execute: async (_input, { extra }) => ({
    subject: (extra.authInfo?.extra?.subject as string | undefined) ?? null,
    clientId: extra.authInfo?.clientId ?? null,
    scopes: extra.authInfo?.scopes ?? [],
  }),
})

/**
 * An `MCPServer` at `/mcp` that accepts a bearer token only if it is an ES256 JWT signed by
 * `authorizationServer`, issued by it, for this server's URL (audience), not expired, with
 * the scope `mcp:tools`. Anything else gets 401 with `WWW-Authenticate` pointing at the RFC
 * 9728 metadata, which names the authorization server. The server registers its URL as a
 * resource with the authorization server.
 */
export async function startProtectedServer(
  authorizationServer: AuthorizationServer,
  options: { scopesSupported?: string[] } = {},
): Promise<ProtectedServer> {
  const server = new MCPServer({ name: 'protected', version: '1.0.0', tools: { whoami } })
  const revoked = new Set<string>()
  const seen: { token: string; accepted: boolean }[] = []
  const http = createServer()
  await listen(http)
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  const url = new URL(`${origin}/mcp`)
  const metadataUrl = `${origin}/.well-known/oauth-protected-resource/mcp`
  authorizationServer.resources.add(url.href)

  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const requestUrl = new URL(req.url ?? '/', origin)
    if (requestUrl.pathname === '/.well-known/oauth-protected-resource/mcp') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          resource: url.href,
          authorization_servers: [authorizationServer.issuer],
          scopes_supported: options.scopesSupported ?? [SCOPE],
          bearer_methods_supported: ['header'],
        }),
      )
      return
    }
    if (requestUrl.pathname !== '/mcp') {
      res.writeHead(404).end()
      return
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    const authInfo =
      token && !revoked.has(token)
        ? verifyAccessToken(token, {
            publicKey: authorizationServer.publicKey,
            issuer: authorizationServer.issuer,
            audience: url.href,
          })
        : undefined
    if (token) seen.push({ token, accepted: authInfo !== undefined })
    if (!authInfo) {
      res
        .writeHead(401, {
          'www-authenticate': `Bearer resource_metadata="${metadataUrl}"${token ? ', error="invalid_token"' : ''}`,
          'content-type': 'application/json',
        })
        .end(JSON.stringify({ error: 'invalid_token' }))
      return
    }
    ;(req as IncomingMessage & { auth?: AuthInfo }).auth = authInfo
    server.startHTTP({ url: requestUrl, httpPath: '/mcp', req, res }).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error))
    })
  })

  return {
    url,
    revoked,
    seen,
    close: async () => {
      authorizationServer.resources.delete(url.href)
      await server.close()
      await closeServer(http)
    },
  }
}

/** The checks a resource server makes; `undefined` when any fails. */
function verifyAccessToken(
  token: string,
  expected: { publicKey: KeyObject; issuer: string; audience: string },
): AuthInfo | undefined {
  const [header, payload, signature] = token.split('.')
  if (!header || !payload || !signature) return undefined
  try {
    const { alg } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: string }
    if (alg !== 'ES256') return undefined
    const valid = verify(
      'sha256',
      Buffer.from(`${header}.${payload}`),
      { key: expected.publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature, 'base64url'),
    )
    if (!valid) return undefined
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
      iss?: string
      aud?: string | string[]
      exp?: number
      sub?: string
      client_id?: string
      scope?: string
    }
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
    if (claims.iss !== expected.issuer || !audiences.includes(expected.audience)) return undefined
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) return undefined
    const scopes = (claims.scope ?? '').split(' ').filter(Boolean)
    if (!scopes.includes(SCOPE)) return undefined
    return {
      token,
      clientId: claims.client_id ?? '',
      scopes,
      expiresAt: claims.exp,
      resource: new URL(expected.audience),
      extra: { subject: claims.sub ?? null },
    }
  } catch {
    return undefined
  }
}

/** Decodes a JWT's claims without checking it (for assertions on what a client holds). */
export function jwtClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? ''
  return JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>
}

// ── plumbing ────────────────────────────────────────────────────────────────────────────────

export function listen(server: Server, port = 0): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: '127.0.0.1', port }, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

/** A small JSON/text HTTP server on 127.0.0.1 for bad-metadata cases. */
export async function startStaticServer(
  routes: (
    origin: string,
  ) => Record<string, { status?: number; body: unknown; headers?: Record<string, string> }>,
): Promise<{ origin: string; hits: string[]; close(): Promise<void> }> {
  const http = createServer()
  await listen(http)
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  const table = routes(origin)
  const hits: string[] = []
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', origin).pathname
    hits.push(`${req.method} ${path}`)
    const route = table[path]
    if (!route) {
      res.writeHead(404).end()
      return
    }
    const body = typeof route.body === 'string' ? route.body : JSON.stringify(route.body)
    res.writeHead(route.status ?? 200, { 'content-type': 'application/json', ...route.headers })
    res.end(body)
  })
  return { origin, hits, close: () => closeServer(http) }
}
