// Clients without a user: MCPOAuthClientProvider.clientCredentials() (the client_credentials
// grant, renewed before expiry) and createSimpleTokenProvider() (a token you already have,
// refused cleanly), against oidc-provider and a protected MCP server that verifies tokens.
import { MCPClient } from '@mcpkit/mcp-client-core'
import { createSimpleTokenProvider, MCPOAuthClientProvider } from '@mcpkit/oauth'
import type { AuthProvider } from '@mcpkit/types'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { expectMCPError, textOf } from '../support/helpers.js'
import {
  type AuthorizationServer,
  jwtClaims,
  type ProtectedServer,
  startAuthorizationServer,
  startProtectedServer,
} from './client-fixtures.js'

let authorizationServer: AuthorizationServer
let server: ProtectedServer
let otherServer: ProtectedServer
const clients: MCPClient[] = []
let clientCount = 0

beforeAll(async () => {
  authorizationServer = await startAuthorizationServer()
  server = await startProtectedServer(authorizationServer)
  otherServer = await startProtectedServer(authorizationServer)
})

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.disconnect()))
  authorizationServer.accessTokenTtl = 300
})

afterAll(async () => {
  await server?.close()
  await otherServer?.close()
  await authorizationServer?.close()
})

function clientWith(authProvider: AuthProvider, target: ProtectedServer = server): MCPClient {
  const client = new MCPClient({
    id: `oauth-machine-test-${++clientCount}`,
    timeout: 15_000,
    servers: { protected: { url: target.url, authProvider } },
  })
  clients.push(client)
  return client
}

async function whoami(client: MCPClient) {
  const tool = (await client.listToolsets()).protected?.whoami
  if (!tool) throw new Error('no whoami tool')
  return JSON.parse(textOf(await tool.execute({}))) as {
    subject: string | null
    clientId: string | null
  }
}

function machineProvider(options: { refreshBeforeExpiry?: number; expectedIssuer?: string } = {}) {
  return MCPOAuthClientProvider.clientCredentials({
    serverUrl: server.url,
    clientId: authorizationServer.machineClient.clientId,
    clientSecret: authorizationServer.machineClient.clientSecret,
    expectedIssuer: options.expectedIssuer ?? authorizationServer.issuer,
    ...(options.refreshBeforeExpiry === undefined
      ? {}
      : { refreshBeforeExpiry: options.refreshBeforeExpiry }),
  })
}

function clientCredentialGrants() {
  return authorizationServer
    .requestsTo('token')
    .filter((request) => request.params.grant_type === 'client_credentials')
}

describe('MCPOAuthClientProvider.clientCredentials()', () => {
  it('gets a token for this server on the first 401, with no user and no redirect', async () => {
    const before = authorizationServer.requests.length
    const provider = machineProvider()
    expect(provider.redirectUrl).toBeUndefined()
    const client = clientWith(provider)

    expect(await whoami(client)).toMatchObject({ clientId: 'machine-client' })

    const routes = authorizationServer.requests.slice(before).map((request) => request.route)
    expect(routes).not.toContain('authorization')
    expect(routes).not.toContain('registration')
    // No scope configured: the one the server's metadata lists.
    expect(clientCredentialGrants().at(-1)?.params).toMatchObject({
      resource: server.url.href,
      scope: 'mcp:tools',
    })
    const tokens = await provider.tokens()
    expect(jwtClaims(tokens!.access_token)).toMatchObject({ aud: server.url.href })
  })

  it('fetches a new token before the old one expires', async () => {
    authorizationServer.accessTokenTtl = 3
    const provider = machineProvider({ refreshBeforeExpiry: 1000 })
    const client = clientWith(provider)
    await whoami(client)
    const first = (await provider.tokens())!.access_token
    const grantsBefore = clientCredentialGrants().length

    await new Promise((resolve) => setTimeout(resolve, 2200))
    expect(await whoami(client)).toMatchObject({ clientId: 'machine-client' })
    expect(clientCredentialGrants()).toHaveLength(grantsBefore + 1)
    expect((await provider.tokens())!.access_token).not.toBe(first)
    // The expiring token was never presented.
    expect(server.seen.filter((entry) => entry.token === first).every((e) => e.accepted)).toBe(true)
  })

  it('authenticate() gets the token without a browser', async () => {
    const provider = machineProvider()
    const client = clientWith(provider)
    await client.authenticate('protected')
    expect(await provider.hasValidTokens()).toBe(true)
    expect(await whoami(client)).toMatchObject({ clientId: 'machine-client' })
  })

  it('never sends its secret to an authorization server other than the expected issuer', async () => {
    const grantsBefore = clientCredentialGrants().length
    const provider = machineProvider({ expectedIssuer: 'https://login.example.com' })
    const client = clientWith(provider)
    const error = await expectMCPError(client.listTools(), 'UNAUTHORIZED')
    expect(error.message).toMatch(/login\.example\.com/)
    expect(clientCredentialGrants()).toHaveLength(grantsBefore)
  })
})

describe('createSimpleTokenProvider()', () => {
  async function machineToken(target: ProtectedServer): Promise<string> {
    const provider = MCPOAuthClientProvider.clientCredentials({
      serverUrl: target.url,
      clientId: authorizationServer.machineClient.clientId,
      clientSecret: authorizationServer.machineClient.clientSecret,
      expectedIssuer: authorizationServer.issuer,
    })
    await clientWith(provider, target).authenticate('protected')
    return (await provider.tokens())!.access_token
  }

  it('sends the token it was given', async () => {
    const token = await machineToken(server)
    const client = clientWith(
      createSimpleTokenProvider(token, {
        redirectUrl: 'http://localhost:3000/callback',
        clientMetadata: { client_name: 'Test', redirect_uris: ['http://localhost:3000/callback'] },
      }),
    )
    expect(await whoami(client)).toMatchObject({ clientId: 'machine-client' })
    expect(server.seen.at(-1)).toEqual({ token, accepted: true })
  })

  it('fails with UNAUTHORIZED, without discovery or redirect, when the server refuses the token', async () => {
    const wrongAudience = await machineToken(otherServer)
    for (const token of ['not-a-real-token', wrongAudience]) {
      const before = authorizationServer.requests.length
      const client = clientWith(createSimpleTokenProvider(token))
      const error = await expectMCPError(client.listTools(), 'UNAUTHORIZED')
      expect(error.message).toMatch(/refused the access token given to createSimpleTokenProvider/)
      expect(authorizationServer.requests.length).toBe(before)
      expect(server.seen.filter((entry) => entry.token === token)).toEqual([
        { token, accepted: false },
      ])
    }
  })
})
