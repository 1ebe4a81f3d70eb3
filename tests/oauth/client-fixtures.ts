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
import { MCPClient } from '@mcpkit/mcp-client-core'
import { createMCPTool, MCPServer } from '@mcpkit/mcp-server-core'
import {
  MCPOAuthClientProvider,
  type OAuthStorage,
  type OAuthStorageEntry,
  oauthStorageKey,
} from '@mcpkit/oauth'
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import { z } from 'zod'

// ── oidc-provider, typed as far as these tests use it ───────────────────────────────────────

interface OidcGrant {
  addOIDCScope(scope: string): void
  addResourceScope(resource: string, scope: string): void
  save(): Promise<string>
}

interface OidcClient {
  clientId: string
  metadata(): Record<string, unknown>
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
  on(
    event: 'registration_create.success',
    listener: (ctx: unknown, client: OidcClient) => void,
  ): void
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
  /** The metadata of every client registered dynamically, in order. */
  readonly registrations: Record<string, unknown>[]
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
/** A scope some tools need on top of `mcp:tools` (see `toolScopes`); granted when asked for. */
export const ADMIN_SCOPE = 'mcp:admin'

export async function startAuthorizationServer(): Promise<AuthorizationServer> {
  const { default: Provider, errors } = (await import(OIDC_PROVIDER)) as OidcModule
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'ES256', use: 'sig' }
  const requests: RecordedRequest[] = []
  const registrations: Record<string, unknown>[] = []
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
            scope: `${SCOPE} ${ADMIN_SCOPE}`,
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
  provider.on('registration_create.success', (_ctx, client) => {
    registrations.push(client.metadata())
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
    registrations,
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
  /** Where its RFC 9728 metadata is served. */
  readonly metadataUrl: string
  /**
   * The authorization server its metadata names, and the only one whose tokens it accepts.
   * Set it to move the resource to another authorization server.
   */
  authorizationServer: AuthorizationServer
  /** Tokens answered 401 from now on, as if revoked. */
  readonly revoked: Set<string>
  /** Bearer tokens seen, in order, with whether they were accepted. */
  readonly seen: { token: string; accepted: boolean }[]
  /** `METHOD path` of every request, in order. */
  readonly hits: string[]
  close(): Promise<void>
}

export interface ProtectedServerOptions {
  /** `scopes_supported` of its metadata. Default `['mcp:tools']`; `null` leaves it out. */
  scopesSupported?: string[] | null
  /**
   * Where the metadata is served. Default the path-aware well-known URL; any other path is
   * found only through the challenge's `resource_metadata` (nothing is served at the
   * well-known URLs then).
   */
  metadataPath?: string
  /** `scope` of the 401 challenge; default none. */
  challengeScope?: string
  /** The `resource` the metadata names. Default the server's own URL. */
  resource?: string
  /**
   * Scopes a tool needs on top of `mcp:tools`: a `tools/call` whose token lacks them is
   * answered 403 `insufficient_scope` with `scope` listing every scope the call needs.
   */
  toolScopes?: Record<string, string[]>
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

const purge = createMCPTool({
  id: 'purge',
  description: 'Deletes everything (tests give it a scope of its own)',
  inputSchema: z.object({}),
  execute: async (_input, { extra }) => ({ purgedBy: extra.authInfo?.extra?.subject ?? null }),
})

/**
 * An `MCPServer` at `/mcp` that accepts a bearer token only if it is an ES256 JWT signed by
 * its authorization server, issued by it, for this server's URL (audience), not expired, with
 * the scope `mcp:tools` (and a tool's `toolScopes` for calls of that tool, else 403
 * `insufficient_scope`). Anything else gets 401 with `WWW-Authenticate` pointing at the RFC
 * 9728 metadata, which names the authorization server. The server registers its URL as a
 * resource with the authorization server.
 */
export async function startProtectedServer(
  authorizationServer: AuthorizationServer,
  options: ProtectedServerOptions = {},
): Promise<ProtectedServer> {
  const server = new MCPServer({ name: 'protected', version: '1.0.0', tools: { whoami, purge } })
  const revoked = new Set<string>()
  const seen: { token: string; accepted: boolean }[] = []
  const hits: string[] = []
  const http = createServer()
  await listen(http)
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  const url = new URL(`${origin}/mcp`)
  const metadataPath = options.metadataPath ?? '/.well-known/oauth-protected-resource/mcp'
  const metadataUrl = `${origin}${metadataPath}`
  const state = { authorizationServer }
  authorizationServer.resources.add(url.href)
  const challenge = (parameters: Record<string, string | undefined>) =>
    `Bearer ${Object.entries({ ...parameters, resource_metadata: metadataUrl })
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => `${name}="${value}"`)
      .join(', ')}`

  http.on('request', async (req: IncomingMessage, res: ServerResponse) => {
    const requestUrl = new URL(req.url ?? '/', origin)
    hits.push(`${req.method} ${requestUrl.pathname}`)
    if (requestUrl.pathname === metadataPath) {
      const scopes = options.scopesSupported === undefined ? [SCOPE] : options.scopesSupported
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          resource: options.resource ?? url.href,
          authorization_servers: [state.authorizationServer.issuer],
          ...(scopes === null ? {} : { scopes_supported: scopes }),
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
    const current = state.authorizationServer
    const authInfo =
      token && !revoked.has(token)
        ? verifyAccessToken(token, {
            publicKey: current.publicKey,
            issuer: current.issuer,
            audience: url.href,
          })
        : undefined
    if (token) seen.push({ token, accepted: authInfo !== undefined })
    if (!authInfo) {
      await drain(req)
      res
        .writeHead(401, {
          'www-authenticate': challenge({
            error: token ? 'invalid_token' : undefined,
            scope: options.challengeScope,
          }),
          'content-type': 'application/json',
        })
        .end(JSON.stringify({ error: 'invalid_token' }))
      return
    }
    if (options.toolScopes && req.method === 'POST') {
      const body = await readJson(req)
      ;(req as IncomingMessage & { body?: unknown }).body = body
      const call = body as { method?: string; params?: { name?: string } } | undefined
      const needed =
        call?.method === 'tools/call' ? options.toolScopes[call.params?.name ?? ''] : []
      const missing = (needed ?? []).filter((scope) => !authInfo.scopes.includes(scope))
      if (missing.length > 0) {
        res
          .writeHead(403, {
            'www-authenticate': challenge({
              error: 'insufficient_scope',
              scope: [SCOPE, ...(needed ?? [])].join(' '),
              error_description: `needs ${missing.join(' ')}`,
            }),
            'content-type': 'application/json',
          })
          .end(JSON.stringify({ error: 'insufficient_scope' }))
        return
      }
    }
    ;(req as IncomingMessage & { auth?: AuthInfo }).auth = authInfo
    server.startHTTP({ url: requestUrl, httpPath: '/mcp', req, res }).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error))
    })
  })

  return {
    url,
    metadataUrl,
    get authorizationServer() {
      return state.authorizationServer
    },
    set authorizationServer(next: AuthorizationServer) {
      next.resources.add(url.href)
      state.authorizationServer = next
    },
    revoked,
    seen,
    hits,
    close: async () => {
      state.authorizationServer.resources.delete(url.href)
      authorizationServer.resources.delete(url.href)
      await server.close()
      await closeServer(http)
    },
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    return undefined
  }
}

async function drain(req: IncomingMessage): Promise<void> {
  for await (const _chunk of req) {
    // discard
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

// ── clients ─────────────────────────────────────────────────────────────────────────────────

/** Where a web app's authorization server sends users back; the browser stops there. */
export const WEB_REDIRECT_URL = 'http://127.0.0.1:9/oauth/callback'

/**
 * A command-line program's provider, with the options of `@mastra/mcp`'s documentation (no
 * `serverUrl` unless given: the server definition supplies it): a loopback redirect URL without
 * a port (`MCPClient.authenticate()` listens on an ephemeral one), and a "browser" that logs in
 * as `user` and lands on the loopback callback. `visits` lists the authorization URLs it was
 * sent to.
 */
export function cliProvider(options: { user: string; serverUrl?: URL; storage?: OAuthStorage }) {
  const visits: URL[] = []
  const provider = new MCPOAuthClientProvider({
    ...(options.serverUrl ? { serverUrl: options.serverUrl } : {}),
    redirectUrl: 'http://127.0.0.1/callback',
    principal: options.user,
    ...(options.storage ? { storage: options.storage } : {}),
    onRedirectToAuthorization: async (authorizationUrl) => {
      visits.push(authorizationUrl)
      await browse(authorizationUrl, { user: options.user })
    },
  })
  return { provider, visits }
}

/**
 * A web app's provider: the browser logs in as `user` and stops at the app's callback route
 * (`WEB_REDIRECT_URL`), whose URL `finish()` hands to `finishAuthorization()`, as the route
 * would. `visits` lists the authorization URLs.
 */
export function webProvider(options: { user: string; serverUrl?: URL; storage?: OAuthStorage }) {
  const visits: URL[] = []
  const callbacks: URL[] = []
  const provider = new MCPOAuthClientProvider({
    ...(options.serverUrl ? { serverUrl: options.serverUrl } : {}),
    redirectUrl: WEB_REDIRECT_URL,
    principal: options.user,
    ...(options.storage ? { storage: options.storage } : {}),
    onRedirectToAuthorization: async (authorizationUrl) => {
      visits.push(authorizationUrl)
      const landed = await browse(authorizationUrl, {
        user: options.user,
        stopAt: (url) => url.href.startsWith(WEB_REDIRECT_URL),
      })
      callbacks.push(landed.url)
    },
  })
  return {
    provider,
    visits,
    callbacks,
    /** The callback route: finishes the authorization the browser came back from. */
    async finish(): Promise<void> {
      const callback = callbacks.shift()
      if (!callback) throw new Error('the browser did not come back to the callback route')
      await provider.finishAuthorization(callback)
    },
  }
}

/** Calls a tool of server `protected` and returns its structured result. */
export async function callProtected(
  client: MCPClient,
  tool: 'whoami' | 'purge',
): Promise<Record<string, unknown>> {
  const found = (await client.listToolsets()).protected?.[tool]
  if (!found) throw new Error(`no ${tool} tool`)
  const result = (await found.execute({})) as { content?: { text?: string }[] }
  return JSON.parse(result.content?.map((part) => part.text ?? '').join('') ?? '{}')
}

/**
 * The `MCPClient`s (server `protected`) and protected servers of one test file, all closed by
 * `cleanUp()` after each test.
 */
export function testClients(idPrefix: string) {
  const clients: MCPClient[] = []
  const servers: ProtectedServer[] = []
  let count = 0
  return {
    /** A client of `server` whose definition has `authProvider`. */
    clientFor(server: ProtectedServer, authProvider: MCPOAuthClientProvider): MCPClient {
      const client = new MCPClient({
        id: `${idPrefix}-${++count}`,
        timeout: 15_000,
        servers: { protected: { url: server.url, authProvider } },
      })
      clients.push(client)
      return client
    },
    /** A unique client id, for clients a test builds itself. */
    nextId: () => `${idPrefix}-${++count}`,
    /** Closes `server` after the test. */
    keep<Server extends ProtectedServer>(server: Server): Server {
      servers.push(server)
      return server
    },
    async cleanUp(): Promise<void> {
      await Promise.all(clients.splice(0).map((client) => client.disconnect()))
      await Promise.all(servers.splice(0).map((server) => server.close()))
    },
  }
}

/** One entry of a provider's storage, parsed; `undefined` when absent. */
export function storedEntry(
  storage: OAuthStorage,
  server: ProtectedServer,
  user: string,
  entry: OAuthStorageEntry,
): Record<string, unknown> | undefined {
  const value = storage.get(oauthStorageKey({ serverUrl: server.url, principal: user, entry }))
  return typeof value === 'string' ? (JSON.parse(value) as Record<string, unknown>) : undefined
}
