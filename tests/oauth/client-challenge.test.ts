// `MCPClient.authenticate()` follows the server's challenge (metadata advertised only in
// `WWW-Authenticate`, a scope given only there), the provider takes its server URL from the
// definition it is put in, and a failed flow never steers the next one, in memory or in a
// storage that outlives the provider. Against oidc-provider and MCP servers that verify every
// token, all on 127.0.0.1.
import { MCPClient } from '@mcpkit/mcp-client-core'
import { MCPOAuthClientProvider, MemoryOAuthStorage, oauthStorageKey } from '@mcpkit/oauth'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { expectMCPError } from '../support/helpers.js'
import {
  type AuthorizationServer,
  callProtected,
  cliProvider,
  type ProtectedServerOptions,
  startAuthorizationServer,
  startProtectedServer,
  startStaticServer,
  storedEntry,
  testClients,
  webProvider,
} from './client-fixtures.js'

let authorizationServer: AuthorizationServer
const { clientFor, keep, nextId, cleanUp } = testClients('oauth-challenge-test')

beforeAll(async () => {
  authorizationServer = await startAuthorizationServer()
})

afterEach(cleanUp)

afterAll(async () => {
  await authorizationServer?.close()
})

/** A protected server whose metadata only its challenge advertises, and which names a scope. */
async function challengeOnlyServer(options: ProtectedServerOptions = {}) {
  return keep(
    await startProtectedServer(authorizationServer, {
      metadataPath: '/meta/protected-resource.json',
      scopesSupported: null,
      challengeScope: 'mcp:tools',
      ...options,
    }),
  )
}

const entry = storedEntry

/** An authorization server that publishes another one's metadata: its issuer does not match. */
async function impostor() {
  const real: unknown = await fetch(
    `${authorizationServer.issuer}/.well-known/openid-configuration`,
  ).then((response) => response.json())
  const fake = await startStaticServer(() => ({
    '/.well-known/oauth-authorization-server': { body: real },
    '/.well-known/openid-configuration': { body: real },
  }))
  return {
    ...fake,
    asAuthorizationServer: {
      ...authorizationServer,
      issuer: fake.origin,
      resources: new Set<string>(),
    } as AuthorizationServer,
  }
}

describe('authenticate() as the first call', () => {
  it('follows resource_metadata and scope that only the challenge gives, with the seed’s provider options', async () => {
    const server = await challengeOnlyServer()
    // No serverUrl: the server definition gives it.
    const { provider, visits } = cliProvider({ user: 'ana' })
    const client = clientFor(server, provider)
    expect(provider.serverUrl).toBe(server.url.href)
    const registrationsBefore = authorizationServer.registrations.length

    await client.authenticate('protected')

    // One request without credentials, then the metadata the challenge named; never the
    // well-known URLs (nothing is there), and no registration attempt at the MCP server.
    expect(server.hits.slice(0, 2)).toEqual(['POST /mcp', 'GET /meta/protected-resource.json'])
    expect(server.hits.filter((hit) => /well-known|register/.test(hit))).toEqual([])
    expect(visits).toHaveLength(1)
    const authorization = visits[0]!
    expect(authorization.origin).toBe(authorizationServer.issuer)
    expect(authorization.searchParams.get('scope')?.split(' ')).toContain('mcp:tools')
    expect(authorization.searchParams.get('resource')).toBe(server.url.href)
    // Registered dynamically as a native app (SEP-837: the redirect is loopback).
    expect(authorizationServer.registrations.length).toBe(registrationsBefore + 1)
    expect(authorizationServer.registrations.at(-1)).toMatchObject({
      application_type: 'native',
      grant_types: ['authorization_code', 'refresh_token'],
    })

    expect(await callProtected(client, 'whoami')).toMatchObject({ subject: 'ana' })
    expect((await callProtected(client, 'whoami')).scopes).toContain('mcp:tools')
  })

  it('asks for the challenge’s scope even when the metadata lists others', async () => {
    const server = await challengeOnlyServer({ scopesSupported: ['mcp:tools', 'mcp:admin'] })
    const { provider, visits } = cliProvider({ user: 'bo' })
    const client = clientFor(server, provider)
    await client.authenticate('protected')
    const scope = visits[0]?.searchParams.get('scope')?.split(' ') ?? []
    expect(scope).toContain('mcp:tools')
    expect(scope).not.toContain('mcp:admin')
    expect(await callProtected(client, 'whoami')).toMatchObject({ subject: 'bo' })
  })

  it('works the same when a request comes first (the transport’s 401)', async () => {
    const server = await challengeOnlyServer()
    const web = webProvider({ user: 'cy' })
    const client = clientFor(server, web.provider)
    await expectMCPError(client.listTools(), 'UNAUTHORIZED')
    expect(web.visits[0]?.searchParams.get('scope')?.split(' ')).toContain('mcp:tools')
    await web.finish()
    expect(await callProtected(client, 'whoami')).toMatchObject({ subject: 'cy' })
  })
})

describe('the server URL', () => {
  it('comes from the server definition; a provider on its own must be given one, and says so', async () => {
    const server = await challengeOnlyServer()
    const alone = new MCPOAuthClientProvider({ redirectUrl: 'http://127.0.0.1/callback' })
    const error = await expectMCPError(() => alone.tokens(), 'INVALID_CONFIGURATION')
    expect(error.message).toMatch(/put it in a server definition/)
    expect(error.message).toMatch(/pass `serverUrl`/)
    expect(() => alone.serverUrl).toThrow(/serverUrl/)

    clientFor(server, alone)
    expect(alone.serverUrl).toBe(server.url.href)
    expect(await alone.tokens()).toBeUndefined()

    // One provider, one server: a second server definition with another URL is refused.
    const other = await challengeOnlyServer()
    const refused = await expectMCPError(
      () =>
        new MCPClient({
          id: nextId(),
          servers: { other: { url: other.url, authProvider: alone } },
        }),
      'INVALID_CONFIGURATION',
    )
    expect(refused.message).toMatch(/Server "other"/)
    // The same URL again (another client of the same user) is fine.
    clientFor(server, alone)
  })
})

describe('a failed flow never poisons the provider', () => {
  it('recovers on the same provider and storage after discovery led to an impostor', async () => {
    const server = await challengeOnlyServer()
    const fake = await impostor()
    try {
      const storage = new MemoryOAuthStorage()
      const { provider, visits } = cliProvider({ user: 'dee', storage })
      const client = clientFor(server, provider)
      const real = server.authorizationServer
      server.authorizationServer = fake.asAuthorizationServer
      const failed = await expectMCPError(client.authenticate('protected'), 'UNAUTHORIZED')
      expect(failed.message).toMatch(/names issuer/)
      // Refused before anything was sent to it (RFC 8414 §3.3), and nothing kept.
      expect(fake.hits.filter((hit) => !hit.startsWith('GET /.well-known/'))).toEqual([])
      expect(visits).toEqual([])
      expect(storage.size).toBe(0)

      server.authorizationServer = real
      await client.authenticate('protected')
      expect(await callProtected(client, 'whoami')).toMatchObject({ subject: 'dee' })
      expect(entry(storage, server, 'dee', 'discovery')).toMatchObject({
        authorizationServerMetadata: { issuer: authorizationServer.issuer },
      })
      expect(entry(storage, server, 'dee', 'pending-authorization')).toBeUndefined()
    } finally {
      await fake.close()
    }
  })

  it('recovers through a new provider on the storage the failed one left behind', async () => {
    const server = await challengeOnlyServer()
    const fake = await impostor()
    try {
      const storage = new MemoryOAuthStorage()
      const real = server.authorizationServer
      server.authorizationServer = fake.asAuthorizationServer
      const first = webProvider({ user: 'eve', storage })
      await expectMCPError(clientFor(server, first.provider).listTools(), 'UNAUTHORIZED')
      expect(first.visits).toEqual([])

      // A restart: a new provider, the same storage, the server fixed; the request comes first.
      server.authorizationServer = real
      const second = webProvider({ user: 'eve', storage })
      const client = clientFor(server, second.provider)
      await expectMCPError(client.listTools(), 'UNAUTHORIZED')
      expect(second.visits[0]?.origin).toBe(authorizationServer.issuer)
      await second.finish()
      expect(await callProtected(client, 'whoami')).toMatchObject({ subject: 'eve' })
    } finally {
      await fake.close()
    }
  })

  it('recovers after the user refused, and from a discovery an earlier version left behind', async () => {
    const server = await challengeOnlyServer()
    const storage = new MemoryOAuthStorage()
    // What earlier versions stored before a flow that then failed: a discovery result pointing
    // nowhere, without tokens.
    storage.set(
      oauthStorageKey({ serverUrl: server.url, principal: 'fay', entry: 'discovery' }),
      JSON.stringify({ authorizationServerUrl: 'http://127.0.0.1:9/' }),
    )
    const { provider } = cliProvider({ user: 'fay', storage })
    const client = clientFor(server, provider)
    const refused = await expectMCPError(
      client.authenticate('protected', {
        onAuthorizationUrl: async (authorizationUrl) => {
          const callback = new URL(authorizationUrl.searchParams.get('redirect_uri')!)
          callback.searchParams.set('error', 'access_denied')
          callback.searchParams.set('state', authorizationUrl.searchParams.get('state')!)
          callback.searchParams.set('iss', authorizationServer.issuer)
          await (await fetch(callback)).body?.cancel()
        },
      }),
      'UNAUTHORIZED',
    )
    expect(refused.message).toMatch(/access_denied/)
    expect(entry(storage, server, 'fay', 'pending-authorization')).toBeUndefined()
    expect(entry(storage, server, 'fay', 'code-verifier')).toBeUndefined()

    await client.authenticate('protected')
    expect(await callProtected(client, 'whoami')).toMatchObject({ subject: 'fay' })
  })

  it('re-discovers when the server refuses a token it holds, and never reuses a stale discovery', async () => {
    const server = await challengeOnlyServer()
    const storage = new MemoryOAuthStorage()
    const web = webProvider({ user: 'gil', storage })
    const client = clientFor(server, web.provider)
    await expectMCPError(client.listTools(), 'UNAUTHORIZED')
    await web.finish()
    const { subject } = await callProtected(client, 'whoami')
    expect(subject).toBe('gil')
    // The token is revoked: the next request's 401 runs a fresh flow from the challenge.
    const held = (await web.provider.tokens())!.access_token
    server.revoked.add(held)
    const metadataReads = server.hits.filter((hit) => hit.includes('/meta/')).length
    await client.disconnect()
    const again = clientFor(server, web.provider)
    // The refresh token gets a new access token at once: no browser.
    expect(await callProtected(again, 'whoami')).toMatchObject({ subject: 'gil' })
    expect(server.hits.filter((hit) => hit.includes('/meta/')).length).toBeGreaterThan(
      metadataReads,
    )
    expect((await web.provider.tokens())!.access_token).not.toBe(held)
    expect(web.visits).toHaveLength(1)
  })
})
