// End to end with a real authorization server: oidc-provider on 127.0.0.1 issues JWT access
// tokens for the MCP resource (RFC 8707), an MCPServer protected by @mcpkit/oauth verifies them
// against the issuer's JWKS, and MCPClient with MCPOAuthClientProvider completes authorization
// code + PKCE without a browser (MCPClient.authenticate() with its loopback callback, driven by a
// headless user agent), calls a tool that sees the user's authInfo, refreshes an expired access
// token (4 s TTL), and is refused with a token minted for another audience.
import { MCPClient } from '@mcpkit/mcp-client-core'
import { createSimpleTokenProvider } from '@mcpkit/oauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectMCPError } from '../support/helpers.js'
import {
  CLI_CLIENT,
  MACHINE,
  type OAuthStack,
  OTHER_RESOURCE,
  startOAuthStack,
  whoamiThrough,
} from '../support/oauth-e2e.js'
import { bearerChallenge } from '../support/oauth-host.js'
import { initializeBody, mcpPostHeaders, rawRequest } from '../support/server-host.js'

describe('OAuth end to end: oidc-provider, protected MCPServer, MCPClient', () => {
  let stack: OAuthStack
  const extraClients: MCPClient[] = []

  beforeAll(async () => {
    stack = await startOAuthStack({ accessTokenTtl: 4 })
  })

  afterAll(async () => {
    await Promise.all(extraClients.map((client) => client.disconnect().catch(() => {})))
    await stack?.close()
  })

  it('completes authorization code + PKCE headlessly and the tool sees the user', async () => {
    const client = stack.clientWith(stack.providerFor('alice'), 'e2e-alice')
    const authorizationUrl = await stack.signIn(client, 'alice')
    expect(authorizationUrl.origin).toBe(stack.issuer.issuer)
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256')
    expect(authorizationUrl.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/)
    expect(authorizationUrl.searchParams.get('resource')).toBe(stack.resource)
    expect(authorizationUrl.searchParams.get('state')).toBeTruthy()
    expect(authorizationUrl.searchParams.get('client_id')).toBe(CLI_CLIENT)

    const seen = await whoamiThrough(client)
    expect(seen).toMatchObject({ sub: 'alice', clientId: CLI_CLIENT, resource: stack.resource })
    expect(seen.scopes).toEqual(expect.arrayContaining(['notes:read']))
    expect(stack.issuer.grants.authorization_code).toBeGreaterThanOrEqual(1)
  })

  it('refreshes an expired access token with the refresh token', async () => {
    const client = stack.clientWith(stack.providerFor('erin'), 'e2e-erin')
    await stack.signIn(client, 'erin')
    const first = await whoamiThrough(client)
    expect(first.sub).toBe('erin')
    const refreshesBefore = stack.issuer.grants.refresh_token ?? 0

    // Wait until the first access token has expired, and show the server refuses it now.
    const waitMs = (first.expiresAt! + 1) * 1000 - Date.now()
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, waitMs)))
    const stale = await rawRequest(new URL(stack.resource), {
      headers: { ...mcpPostHeaders(), authorization: `Bearer ${first.token}` },
      body: initializeBody(),
    })
    expect(stale.status).toBe(401)
    expect(bearerChallenge(stale.headers['www-authenticate']).error_description).toMatch(/expired/)

    const second = await whoamiThrough(client)
    expect(second.sub).toBe('erin')
    expect(second.token).not.toBe(first.token)
    expect(second.expiresAt!).toBeGreaterThan(first.expiresAt!)
    expect((stack.issuer.grants.refresh_token ?? 0) - refreshesBefore).toBeGreaterThanOrEqual(1)
  })

  it('is refused with a token the issuer minted for another audience', async () => {
    const { access_token: token } = await stack.issuer.clientCredentialsToken({
      ...MACHINE,
      resource: OTHER_RESOURCE,
      scope: 'other:read',
    })
    expect(token.split('.').length, 'a JWT from the same issuer, signed with the same keys').toBe(3)

    const raw = await rawRequest(new URL(stack.resource), {
      headers: { ...mcpPostHeaders(), authorization: `Bearer ${token}` },
      body: initializeBody(),
    })
    expect(raw.status).toBe(401)
    const challenge = bearerChallenge(raw.headers['www-authenticate'])
    expect(challenge.error).toBe('invalid_token')
    expect(challenge.error_description).toMatch(
      /another audience \(https:\/\/other\.example\/api\)/,
    )

    const client = new MCPClient({
      id: 'e2e-wrong-audience',
      servers: { notes: { url: stack.resource, authProvider: createSimpleTokenProvider(token) } },
    })
    extraClients.push(client)
    await expectMCPError(client.listTools(), 'UNAUTHORIZED')
  })
})
