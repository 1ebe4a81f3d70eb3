// A real authorization server for OAuth tests: oidc-provider on 127.0.0.1 with resource
// indicators (RFC 8707: access tokens whose audience is the MCP resource), PKCE, refresh tokens,
// client credentials and introspection. Login and consent are completed by the test's user agent
// without a browser: the interaction route logs in the user named by the `x-test-user` header
// and grants every scope asked for.
import { generateKeyPairSync } from 'node:crypto'
import http from 'node:http'
import { errors, Provider } from 'oidc-provider'

/** A resource server (API) the issuer mints tokens for. */
export interface ResourceServerConfig {
  /** Space-separated scopes it accepts. */
  scope: string
  /** `jwt` (verifiable with the JWKS) or `opaque` (introspection only). Default `jwt`. */
  format?: 'jwt' | 'opaque'
  /** Access token lifetime, seconds. Default 300. */
  accessTokenTTL?: number
}

/** A client registered with the issuer beforehand. */
export interface RegisteredClient {
  client_id: string
  client_secret?: string
  redirect_uris?: string[]
  grant_types?: string[]
  response_types?: string[]
  token_endpoint_auth_method?: string
}

/** The running issuer. */
export interface OidcIssuer {
  /** Issuer identifier, e.g. `http://127.0.0.1:40123`. */
  issuer: string
  jwksUri: string
  tokenEndpoint: string
  introspectionEndpoint: string
  provider: Provider
  /** Token endpoint requests by `grant_type`, to see refreshes happen. */
  grants: Record<string, number>
  /** A `client_credentials` token for `resource` (the client must allow that grant). */
  clientCredentialsToken(options: {
    clientId: string
    clientSecret: string
    resource: string
    scope: string
  }): Promise<{ access_token: string; expires_in: number; token_type: string }>
  close(): Promise<void>
}

/** Resource indicators compare without one trailing slash. */
const trimSlash = (value: string) => value.replace(/\/$/, '')

/** Starts oidc-provider on a free 127.0.0.1 port. */
export async function startOidcIssuer(options: {
  resources: Record<string, ResourceServerConfig>
  clients: RegisteredClient[]
  /** Open dynamic client registration (RFC 7591), as an app's unknown clients need. */
  registration?: boolean
}): Promise<OidcIssuer> {
  const resources = new Map(
    Object.entries(options.resources).map(([indicator, config]) => [trimSlash(indicator), config]),
  )
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve))
  const address = server.address()
  if (address === null || typeof address !== 'object') throw new Error('no address')
  const issuer = `http://127.0.0.1:${address.port}`

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const signingJwk = {
    ...privateKey.export({ format: 'jwk' }),
    kid: 'issuer-key',
    alg: 'RS256',
    use: 'sig',
  }

  // The scopes a dynamically registered client may ask for: OpenID's and the resources'.
  const scopes = new Set(['openid', 'offline_access'])
  for (const config of resources.values()) {
    for (const scope of config.scope.split(' ')) scopes.add(scope)
  }
  const provider = new Provider(issuer, {
    scopes: [...scopes],
    clients: options.clients.map((client) => ({
      response_types: [],
      grant_types: [],
      redirect_uris: [],
      ...client,
    })) as never,
    jwks: { keys: [signingJwk] } as never,
    cookies: { keys: ['mcpkit-test-cookie-key'] },
    findAccount: async (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: async () => ({ sub: id }),
    }),
    interactions: {
      url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: options.registration === true },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx: unknown, _client: unknown, oneOf?: string[]) => oneOf,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: unknown, indicator: string) => {
          const config = resources.get(trimSlash(indicator))
          if (!config) throw new errors.InvalidTarget(`unknown resource ${indicator}`)
          return {
            scope: config.scope,
            accessTokenFormat: config.format ?? 'jwt',
            accessTokenTTL: config.accessTokenTTL ?? 300,
            ...(config.format === 'opaque' ? {} : { jwt: { sign: { alg: 'RS256' } } }),
          }
        },
      },
    },
    pkce: { required: () => true },
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    clientBasedCORS: () => true,
  } as never)

  const grants: Record<string, number> = {}
  provider.on('grant.success', (ctx: { oidc: { params?: { grant_type?: string } } }) => {
    const type = ctx.oidc.params?.grant_type ?? '?'
    grants[type] = (grants[type] ?? 0) + 1
  })
  const callback = provider.callback()
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', issuer)
    if (url.pathname.startsWith('/interaction/')) {
      void finishInteraction(provider, req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(error))
      })
      return
    }
    callback(req, res)
  })

  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    tokenEndpoint: `${issuer}/token`,
    introspectionEndpoint: `${issuer}/token/introspection`,
    provider,
    grants,
    async clientCredentialsToken({ clientId, clientSecret, resource, scope }) {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }).toString(),
      })
      const body = (await response.json()) as Record<string, unknown>
      if (!response.ok) throw new Error(`client_credentials failed: ${JSON.stringify(body)}`)
      return body as { access_token: string; expires_in: number; token_type: string }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** Logs in the user the user agent names (`x-test-user`) and grants what the client asked for. */
async function finishInteraction(
  provider: Provider,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const details = await provider.interactionDetails(req, res)
  const user = req.headers['x-test-user']
  const accountId = typeof user === 'string' && user !== '' ? user : undefined
  if (details.prompt.name === 'login') {
    if (!accountId) {
      await provider.interactionFinished(req, res, {
        error: 'access_denied',
        error_description: 'no test user named',
      })
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
  const { grantId, params, session } = details
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session?.accountId, clientId: params.client_id as string })
  if (!grant) throw new Error('grant not found')
  const missing = details.prompt.details as {
    missingOIDCScope?: string[]
    missingOIDCClaims?: string[]
    missingResourceScopes?: Record<string, string[]>
  }
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '))
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims)
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '))
  }
  const saved = await grant.save()
  await provider.interactionFinished(
    req,
    res,
    { consent: { grantId: saved } },
    {
      mergeWithLastSubmission: true,
    },
  )
}

/** Cookies per origin, as a browser would keep them (paths ignored: one test user agent). */
class CookieJar {
  readonly #cookies = new Map<string, Map<string, string>>()

  header(url: URL): string {
    return [...(this.#cookies.get(url.origin) ?? new Map<string, string>())]
      .map(([name, value]) => `${name}=${value}`)
      .join('; ')
  }

  store(url: URL, setCookies: string[]): void {
    const jar = this.#cookies.get(url.origin) ?? new Map<string, string>()
    this.#cookies.set(url.origin, jar)
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';')
      const separator = pair.indexOf('=')
      const name = pair.slice(0, separator).trim()
      const value = pair.slice(separator + 1).trim()
      const expired = attributes.some((attribute) => {
        const [key = '', raw = ''] = attribute.split('=')
        const lower = key.trim().toLowerCase()
        return (
          (lower === 'max-age' && Number(raw) <= 0) ||
          (lower === 'expires' && Date.parse(raw) < Date.now())
        )
      })
      if (expired || value === '') jar.delete(name)
      else jar.set(name, value)
    }
  }
}

/**
 * A headless browser for one user: follows the authorization URL through login and consent
 * (cookies kept, redirects followed by hand) until the authorization server redirects to
 * `redirectUri`, and returns that callback URL (with `code` and `state`).
 */
export function userAgent(user: string) {
  const jar = new CookieJar()
  return {
    async authorize(authorizationUrl: URL | string, redirectUri: string): Promise<URL> {
      let current = new URL(authorizationUrl)
      for (let hop = 0; hop < 20; hop++) {
        if (current.href.startsWith(redirectUri)) return current
        const response = await fetch(current, {
          redirect: 'manual',
          headers: { cookie: jar.header(current), 'x-test-user': user },
        })
        jar.store(current, response.headers.getSetCookie())
        const location = response.headers.get('location')
        if (response.status >= 300 && response.status < 400 && location) {
          await response.body?.cancel()
          current = new URL(location, current)
          continue
        }
        throw new Error(
          `the authorization stopped at ${current.href} with HTTP ${response.status}: ${(await response.text()).slice(0, 500)}`,
        )
      }
      throw new Error('the authorization did not reach the redirect URI in 20 redirects')
    },
  }
}
