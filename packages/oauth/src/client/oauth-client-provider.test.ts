// What MCPOAuthClientProvider decides on its own: client information precedence, the
// client_credentials issuer binding, the redirect hook, state, credential invalidation. Option
// checks, storage keys, renewal, the callback and discovery checks have their own test files;
// the flows against a real authorization server are in tests/oauth/client-*.test.ts.
import { isMCPKitError } from '@mcpkit/types'
import { auth } from '@modelcontextprotocol/client'
import { describe, expect, it } from 'vitest'
import { errorOf, fakeNetwork, ISSUER, RESOURCE } from '../test-support.js'
import { MCPOAuthClientProvider } from './oauth-client-provider.js'
import { MemoryOAuthStorage } from './oauth-storage.js'

const SERVER = 'https://mcp.example.com/mcp'
const REDIRECT = 'https://app.example.com/callback'

function provider(options: Partial<ConstructorParameters<typeof MCPOAuthClientProvider>[0]> = {}) {
  return new MCPOAuthClientProvider({ serverUrl: SERVER, redirectUrl: REDIRECT, ...options })
}

describe('client information', () => {
  it('prefers the stored (issuer-stamped) copy of the configured client, until the client changes', async () => {
    const storage = new MemoryOAuthStorage()
    const configured = { client_id: 'app', client_secret: 's1' }
    const built = provider({ storage, clientInformation: configured })
    expect(await built.clientInformation()).toEqual(configured)
    await built.saveClientInformation({ ...configured, issuer: 'https://login.example.com' })
    expect(await built.clientInformation()).toMatchObject({ issuer: 'https://login.example.com' })
    const rotated = provider({
      storage,
      clientInformation: { client_id: 'app', client_secret: 's2' },
    })
    expect(await rotated.clientInformation()).toEqual({ client_id: 'app', client_secret: 's2' })
  })

  it('keeps registrations per authorization server and shows each only to its issuer', async () => {
    const built = provider()
    await built.saveClientInformation({ client_id: 'at-a', issuer: ISSUER }, { issuer: ISSUER })
    await built.saveClientInformation(
      { client_id: 'at-b', issuer: 'https://b.example.com' },
      { issuer: 'https://b.example.com' },
    )
    expect((await built.clientInformation({ issuer: ISSUER }))?.client_id).toBe('at-a')
    expect((await built.clientInformation({ issuer: 'https://b.example.com' }))?.client_id).toBe(
      'at-b',
    )
    expect(await built.clientInformation({ issuer: 'https://c.example.com' })).toBeUndefined()
  })

  it('binds a pre-registered client to the first authorization server it is used with', async () => {
    const built = provider({ clientInformation: { client_id: 'app' } })
    // The SDK stamps it with the issuer on first use and saves it.
    expect(await built.clientInformation({ issuer: ISSUER })).toEqual({ client_id: 'app' })
    await built.saveClientInformation({ client_id: 'app', issuer: ISSUER }, { issuer: ISSUER })
    const error = await errorOf(() =>
      built.clientInformation({ issuer: 'https://elsewhere.example.com' }),
    )
    expect(isMCPKitError(error, 'UNAUTHORIZED')).toBe(true)
    expect(error.message).toMatch(/pre-registered client belongs to https:\/\/login\.example\.com/)
  })

  it('forgets a registration whose secret expired', async () => {
    const built = provider()
    await built.saveClientInformation({
      client_id: 'registered',
      client_secret: 'old',
      client_secret_expires_at: Math.floor(Date.now() / 1000) - 10,
    })
    expect(await built.clientInformation()).toBeUndefined()
  })
})

describe('clientCredentials() and expectedIssuer', () => {
  function machine(expectedIssuer: string) {
    const network = fakeNetwork()
    const built = MCPOAuthClientProvider.clientCredentials({
      serverUrl: SERVER,
      clientId: 'machine',
      clientSecret: 'secret',
      expectedIssuer,
      fetch: network.fetchFn,
    })
    return { network, built }
  }

  it('presents its secret to the expected issuer only', async () => {
    const { built } = machine(ISSUER)
    expect(await built.clientInformation({ issuer: `${ISSUER}/` })).toMatchObject({
      client_id: 'machine',
      issuer: ISSUER,
    })
    const error = await errorOf(() =>
      built.clientInformation({ issuer: 'https://elsewhere.example.com' }),
    )
    expect(isMCPKitError(error, 'UNAUTHORIZED')).toBe(true)
    expect(error.message).toContain('https://elsewhere.example.com')
    expect(error.message).toContain(ISSUER)
  })

  it('sends nothing (no token request, no registration) to another authorization server', async () => {
    const { network, built } = machine('https://other-login.example.com')
    const error = await errorOf(() =>
      auth(built, { serverUrl: RESOURCE, fetchFn: network.fetchFn }),
    )
    expect(isMCPKitError(error, 'UNAUTHORIZED')).toBe(true)
    expect(error.message).toContain('other-login.example.com')
    expect(network.requests.filter((request) => request.method !== 'GET')).toEqual([])
  })

  it('asks for the configured scope, else the scopes of the server’s metadata', async () => {
    const { built } = machine(ISSUER)
    expect(String(await built.prepareTokenRequest('a b'))).toBe(
      'grant_type=client_credentials&scope=a+b',
    )
    expect(String(await built.prepareTokenRequest())).toBe('grant_type=client_credentials')
    expect(await provider().prepareTokenRequest('x')).toBeUndefined()
  })
})

describe('redirectToAuthorization()', () => {
  it('without a hook, fails naming the URL to open', async () => {
    const error = await errorOf(() =>
      provider().redirectToAuthorization(new URL('https://login.example.com/authorize?x=1')),
    )
    expect(isMCPKitError(error, 'UNAUTHORIZED')).toBe(true)
    expect(error.message).toContain('https://login.example.com/authorize?x=1')
  })

  it('a client_credentials provider never sends anyone to a browser', async () => {
    const machine = MCPOAuthClientProvider.clientCredentials({ serverUrl: SERVER, clientId: 'm' })
    const error = await errorOf(() =>
      machine.redirectToAuthorization(new URL('https://login.example.com/authorize')),
    )
    expect(isMCPKitError(error, 'UNAUTHORIZED')).toBe(true)
  })
})

describe('the server URL', () => {
  it('comes from the server definition it is attached to, once; another URL is refused', () => {
    const seed = new MCPOAuthClientProvider({ redirectUrl: REDIRECT })
    expect(() => seed.serverUrl).toThrow(/put it in a server definition/)
    seed.attachToServer({ serverName: 'docs', url: new URL(`${SERVER}#top`) })
    expect(seed.serverUrl).toBe(SERVER)
    seed.attachToServer({ serverName: 'again', url: `${SERVER}/` })
    expect(() =>
      seed.attachToServer({ serverName: 'other', url: 'https://x.example.com/mcp' }),
    ).toThrow(
      /Server "other": its authProvider is the MCPOAuthClientProvider of https:\/\/mcp\.example\.com\/mcp/,
    )
    const given = provider()
    expect(() =>
      given.attachToServer({ serverName: 'other', url: 'https://x.example.com' }),
    ).toThrow(/give each server definition its own provider/)
  })

  it('is needed before anything is stored, and the error says where it comes from', async () => {
    const seed = new MCPOAuthClientProvider({ redirectUrl: REDIRECT })
    for (const action of [
      () => seed.tokens(),
      () => seed.saveTokens({ access_token: 't', token_type: 'Bearer' }),
      () => seed.finishAuthorization({ code: 'c', state: 's' }),
      () => seed.authorizationUrl(),
    ]) {
      const error = await errorOf(action)
      expect(isMCPKitError(error, 'INVALID_CONFIGURATION')).toBe(true)
      expect(error.message).toMatch(/pass `serverUrl`/)
    }
  })
})

describe('state and invalidation', () => {
  it('makes a new random state per request and forgets only what the SDK names', async () => {
    const storage = new MemoryOAuthStorage()
    const built = provider({ storage })
    const [one, two] = [await built.state(), await built.state()]
    expect(one).toMatch(/^[\w-]{43}$/)
    expect(two).not.toBe(one)
    await built.saveTokens({ access_token: 't', token_type: 'Bearer' })
    await built.saveClientInformation({ client_id: 'c' })
    await built.saveCodeVerifier('v')
    await built.invalidateCredentials('client')
    await built.invalidateCredentials('tokens')
    expect(await built.clientInformation()).toBeUndefined()
    expect(await built.tokens()).toBeUndefined()
    expect(await built.codeVerifier()).toBe('v')
    await built.clear()
    expect(storage.size).toBe(0)
  })
})
