// The whole OAuth stack for end-to-end tests, on 127.0.0.1: oidc-provider issuing JWT access
// tokens for the MCP resource (short-lived, with refresh tokens), an MCPServer protected by
// @mcpkit/oauth, and MCPClients with MCPOAuthClientProvider signing users in headlessly.
import { MCPClient } from '@mcpkit/mcp-client-core'
import { MCPServer } from '@mcpkit/mcp-server-core'
import {
  createProtectedResource,
  jwtVerifier,
  MCPOAuthClientProvider,
  type OAuthStorage,
} from '@mcpkit/oauth'
import { refusedPort } from './helpers.js'
import { startLateBoundHttp } from './oauth-host.js'
import { hostProtected, notesTools, type ProtectedHost, type SeenCaller } from './oauth-server.js'
import { type OidcIssuer, startOidcIssuer, userAgent } from './oidc-issuer.js'

/** Another resource the issuer mints tokens for (never this MCP server). */
export const OTHER_RESOURCE = 'https://other.example/api'
/** The pre-registered public client MCP clients use (authorization code + PKCE, refresh). */
export const CLI_CLIENT = 'notes-cli'
/** A confidential machine client (client_credentials) for the other resource. */
export const MACHINE = { clientId: 'other-job', clientSecret: 'other-job-secret' }

/** The running stack. */
export interface OAuthStack {
  issuer: OidcIssuer
  host: ProtectedHost
  /** The MCP server's URL, which is also its resource identifier. */
  resource: string
  /** Where the authorization server sends users back (the CLI client's loopback callback). */
  redirectUri: string
  /** A provider for `user`, pre-registered as the CLI client. */
  providerFor(user: string, storage?: OAuthStorage): MCPOAuthClientProvider
  /** An MCPClient reaching the protected server with `provider`. */
  clientWith(provider: MCPOAuthClientProvider, id: string): MCPClient
  /**
   * `MCPClient.authenticate()` as a CLI runs it, the user's "browser" being a headless user
   * agent that goes through login and consent and then hits the loopback callback. Resolves
   * with the authorization URL the client produced.
   */
  signIn(client: MCPClient, user: string): Promise<URL>
  close(): Promise<void>
}

/**
 * Starts oidc-provider and the protected MCPServer; access tokens live `accessTokenTtl` s.
 * `registration` opens dynamic client registration, for clients nobody registered beforehand.
 */
export async function startOAuthStack(
  options: { accessTokenTtl?: number; registration?: boolean } = {},
): Promise<OAuthStack> {
  const http = await startLateBoundHttp()
  const resource = http.url('/mcp')
  const redirectUri = `http://127.0.0.1:${await refusedPort()}/callback`
  const issuer = await startOidcIssuer({
    registration: options.registration === true,
    resources: {
      [resource]: {
        scope: 'notes:read notes:write',
        accessTokenTTL: options.accessTokenTtl ?? 300,
      },
      [OTHER_RESOURCE]: { scope: 'other:read' },
    },
    clients: [
      {
        client_id: CLI_CLIENT,
        token_endpoint_auth_method: 'none',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
      {
        client_id: MACHINE.clientId,
        client_secret: MACHINE.clientSecret,
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
  })
  const host = await hostProtected(
    () =>
      new MCPServer({
        name: 'notes',
        version: '1.0.0',
        tools: notesTools,
        auth: createProtectedResource({
          resource,
          authorizationServers: [issuer.issuer],
          verifier: jwtVerifier({
            jwksUrl: issuer.jwksUri,
            issuer: issuer.issuer,
            type: 'at+jwt',
            // No leeway, so an expired token is refused the moment it expires.
            clockToleranceSeconds: 0,
          }),
          requiredScopes: ['notes:read'],
          toolScopes: { delete_note: ['notes:write'] },
        }),
      }),
    'node',
    http,
  )
  const clients: MCPClient[] = []

  return {
    issuer,
    host,
    resource,
    redirectUri,
    providerFor(user, storage) {
      return new MCPOAuthClientProvider({
        serverUrl: resource,
        redirectUrl: redirectUri,
        principal: user,
        clientInformation: { client_id: CLI_CLIENT },
        scope: 'notes:read notes:write',
        ...(storage ? { storage } : {}),
      })
    },
    clientWith(provider, id) {
      const client = new MCPClient({
        id,
        servers: { notes: { url: resource, authProvider: provider } },
      })
      clients.push(client)
      return client
    },
    async signIn(client, user) {
      let authorizationUrl: URL | undefined
      let browser: Promise<unknown> | undefined
      await client.authenticate('notes', {
        timeout: 20_000,
        onAuthorizationUrl: (url) => {
          authorizationUrl = url
          // Not awaited: the loopback server answers the browser only after the code exchange.
          browser = userAgent(user)
            .authorize(url, redirectUri)
            .then((callback) => fetch(callback))
            .then((response) => response.text())
        },
      })
      await browser
      if (!authorizationUrl) throw new Error('no authorization URL was produced')
      return authorizationUrl
    },
    async close() {
      await Promise.all(clients.map((client) => client.disconnect().catch(() => {})))
      await host.close()
      await issuer.close()
    },
  }
}

/** Calls the `whoami` tool through MCPClient's tool list and returns what the server saw. */
export async function whoamiThrough(client: MCPClient): Promise<SeenCaller> {
  const tools = await client.listTools()
  const whoami = tools.notes_whoami
  if (!whoami) throw new Error(`no notes_whoami tool among ${Object.keys(tools).join(', ')}`)
  const result = await whoami.execute({}, {})
  const structured = (result as { structuredContent?: unknown }).structuredContent
  if (structured && typeof structured === 'object') return structured as SeenCaller
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content
  if (Array.isArray(content)) return JSON.parse(content.map((part) => part.text ?? '').join(''))
  return JSON.parse(String(result)) as SeenCaller
}
