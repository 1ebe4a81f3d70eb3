// Scope step-up after 403 insufficient_scope, end to end against oidc-provider: the scope asked
// for is the union of what the token holds and what the challenge requires; a command-line
// program gets one new (loopback) authorization and its call goes through; a machine client
// gets a wider token by itself; a service gets an InsufficientScopeClientError with the scope,
// and widens the authorization through its own UI with authorizationUrl().
import { MCPOAuthClientProvider } from '@mcpkit/oauth'
import { InsufficientScopeClientError, isMCPKitError } from '@mcpkit/types'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { expectMCPError } from '../support/helpers.js'
import {
  ADMIN_SCOPE,
  type AuthorizationServer,
  browse,
  callProtected,
  cliProvider,
  jwtClaims,
  type ProtectedServer,
  startAuthorizationServer,
  startProtectedServer,
  testClients,
  WEB_REDIRECT_URL,
  webProvider,
} from './client-fixtures.js'

let authorizationServer: AuthorizationServer
let server: ProtectedServer
const tests = testClients('oauth-step-up-test')
const clientFor = (authProvider: MCPOAuthClientProvider) => tests.clientFor(server, authProvider)

beforeAll(async () => {
  authorizationServer = await startAuthorizationServer()
  // `purge` needs mcp:admin on top of mcp:tools; the challenge and the metadata ask for
  // mcp:tools only, so every first token lacks it.
  server = await startProtectedServer(authorizationServer, {
    challengeScope: 'mcp:tools',
    toolScopes: { purge: [ADMIN_SCOPE] },
  })
})

afterEach(tests.cleanUp)

afterAll(async () => {
  await server?.close()
  await authorizationServer?.close()
})

/** The authorization requests the authorization server received since `from`. */
function authorizationsSince(from: number) {
  return authorizationServer.requests
    .slice(from)
    .filter((request) => request.route === 'authorization')
}

async function scopesOf(provider: MCPOAuthClientProvider): Promise<string[]> {
  const token = (await provider.tokens())!.access_token
  return String(jwtClaims(token).scope).split(' ')
}

describe('step-up on 403 insufficient_scope', () => {
  it('gives a command-line program one new authorization for the union of scopes, and the call goes through', async () => {
    const { provider, visits } = cliProvider({ user: 'hal' })
    const client = clientFor(provider)
    await client.authenticate('protected')
    expect(await scopesOf(provider)).not.toContain(ADMIN_SCOPE)
    const before = authorizationServer.requests.length

    // One call: 403, one browser authorization, the same call again.
    expect(await callProtected(client, 'purge')).toEqual({ purgedBy: 'hal' })

    expect(visits).toHaveLength(2)
    const requested = visits[1]!.searchParams.get('scope')?.split(' ') ?? []
    expect(requested).toEqual(expect.arrayContaining(['mcp:tools', ADMIN_SCOPE]))
    expect(authorizationsSince(before)).toHaveLength(1)
    // The widened token keeps what the first one could do.
    expect(await scopesOf(provider)).toEqual(expect.arrayContaining(['mcp:tools', ADMIN_SCOPE]))
    expect(await callProtected(client, 'whoami')).toMatchObject({ subject: 'hal' })
    expect(visits).toHaveLength(2)
  })

  it('gets a machine client a wider token by itself', async () => {
    const machine = MCPOAuthClientProvider.clientCredentials({
      clientId: authorizationServer.machineClient.clientId,
      clientSecret: authorizationServer.machineClient.clientSecret,
      expectedIssuer: authorizationServer.issuer,
    })
    const client = clientFor(machine)
    expect(await callProtected(client, 'whoami')).toMatchObject({
      clientId: authorizationServer.machineClient.clientId,
    })
    expect(await scopesOf(machine)).not.toContain(ADMIN_SCOPE)
    expect(await callProtected(client, 'purge')).toHaveProperty('purgedBy')
    expect(await scopesOf(machine)).toEqual(expect.arrayContaining(['mcp:tools', ADMIN_SCOPE]))
  })

  it('gives a service a typed error with the scope, nothing sent, then widens through authorizationUrl()', async () => {
    const web = webProvider({ user: 'ivy' })
    const client = clientFor(web.provider)
    await expectMCPError(client.listTools(), 'UNAUTHORIZED')
    await web.finish()
    const before = authorizationServer.requests.length
    const purge = (await client.listToolsets()).protected!.purge!

    const error = await expectMCPError(purge.execute({}), 'INSUFFICIENT_SCOPE')
    expect(error).toBeInstanceOf(InsufficientScopeClientError)
    const scoped = error as InsufficientScopeClientError
    expect(scoped.serverName).toBe('protected')
    expect(scoped.requiredScope?.split(' ')).toEqual(['mcp:tools', ADMIN_SCOPE])
    expect(scoped.scope?.split(' ')).toEqual(expect.arrayContaining(['mcp:tools', ADMIN_SCOPE]))
    expect(scoped.message).toMatch(/authorizationUrl/)
    // No browser, no request to the authorization server.
    expect(web.visits).toHaveLength(1)
    expect(authorizationServer.requests.length).toBe(before)

    // The service's own UI: the user agrees, is sent to the authorization server, comes back.
    const authorizationUrl = await web.provider.authorizationUrl({ scope: scoped.scope! })
    expect(authorizationUrl.searchParams.get('scope')?.split(' ')).toEqual(
      expect.arrayContaining(['mcp:tools', ADMIN_SCOPE]),
    )
    const landed = await browse(authorizationUrl, {
      user: 'ivy',
      stopAt: (url) => url.href.startsWith(WEB_REDIRECT_URL),
    })
    await web.provider.finishAuthorization(landed.url)
    expect(await purge.execute({})).toMatchObject({
      content: [{ type: 'text', text: JSON.stringify({ purgedBy: 'ivy' }) }],
    })
  })

  it('stops after one step-up when the authorization server does not grant the scope', async () => {
    const stingy = await startProtectedServer(authorizationServer, {
      challengeScope: 'mcp:tools',
      // A scope the authorization server never grants.
      toolScopes: { purge: ['mcp:root'] },
    })
    try {
      const { provider, visits } = cliProvider({ user: 'jo' })
      const client = tests.clientFor(stingy, provider)
      await client.authenticate('protected')
      const purge = (await client.listToolsets()).protected!.purge!
      const error = await purge.execute({}).catch((caught: unknown) => caught)
      expect(isMCPKitError(error, 'INSUFFICIENT_SCOPE')).toBe(true)
      // The first authorization, and exactly one step-up.
      expect(visits).toHaveLength(2)
    } finally {
      await stingy.close()
    }
  })
})
