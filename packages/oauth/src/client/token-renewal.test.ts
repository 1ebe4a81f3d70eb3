// Expiry and renewal: never an expired token, renewal ahead of expiry, once per storage, and
// what a refused refresh means. The authorization server is `fakeNetwork()`; the flows against
// a real one are in tests/oauth/client-*.test.ts.
import { isMCPKitError } from '@mcpkit/types'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  errorOf,
  type FakeTokenResponse,
  fakeNetwork,
  ISSUER,
  machineProvider,
  RESOURCE,
} from '../test-support.js'
import { MCPOAuthClientProvider } from './oauth-client-provider.js'
import { MemoryOAuthStorage, oauthStorageKey } from './oauth-storage.js'

const SERVER = 'https://mcp.example.com/mcp'
const REDIRECT = 'https://app.example.com/callback'

function provider(options: Partial<ConstructorParameters<typeof MCPOAuthClientProvider>[0]> = {}) {
  return new MCPOAuthClientProvider({ serverUrl: SERVER, redirectUrl: REDIRECT, ...options })
}

afterEach(() => {
  vi.useRealTimers()
})

describe('expiry', () => {
  it('counts expires_in down and never returns an access token past its refresh margin', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const built = provider({ refreshBeforeExpiry: 0 })
    await built.saveTokens({ access_token: 'short', token_type: 'Bearer', expires_in: 1 })
    const fresh = await built.tokens()
    expect(fresh?.access_token).toBe('short')
    expect(fresh?.expires_in).toBeLessThanOrEqual(1)
    expect(await built.hasValidTokens()).toBe(true)
    vi.advanceTimersByTime(999)
    expect(await built.hasValidTokens(), 'still valid just before expires_in').toBe(true)
    vi.advanceTimersByTime(101)
    // No refresh token: nothing to renew it with.
    expect(await built.tokens()).toBeUndefined()
    expect(await built.hasValidTokens()).toBe(false)
  })

  it('renews no earlier than half a token’s lifetime before it expires', async () => {
    const built = provider({ refreshBeforeExpiry: 60_000 })
    await built.saveTokens({ access_token: 'hour', token_type: 'Bearer', expires_in: 3600 })
    expect((await built.tokens())?.access_token).toBe('hour')
    // A 2-minute token is renewed after one minute, not at once.
    await built.saveTokens({ access_token: 'two-minutes', token_type: 'Bearer', expires_in: 120 })
    expect((await built.tokens())?.access_token).toBe('two-minutes')
  })

  it('returns tokens without a lifetime as they are', async () => {
    const built = provider()
    await built.saveTokens({ access_token: 'forever', token_type: 'Bearer' })
    expect(await built.tokens()).toEqual({ access_token: 'forever', token_type: 'Bearer' })
  })

  it('round-trips the SDK’s issuer stamp verbatim', async () => {
    const built = provider()
    await built.saveTokens({ access_token: 'stamped', token_type: 'Bearer', issuer: ISSUER })
    expect(await built.tokens()).toEqual({
      access_token: 'stamped',
      token_type: 'Bearer',
      issuer: ISSUER,
    })
  })
})

/** Two providers of one (server, principal) on one storage, signed in, token about to expire. */
async function signedIn(token?: (params: URLSearchParams) => FakeTokenResponse) {
  const network = fakeNetwork(token ? { token } : {})
  const storage = new MemoryOAuthStorage()
  const make = () => provider({ storage, principal: 'erin', fetch: network.fetchFn })
  const first = make()
  await first.saveDiscoveryState({
    authorizationServerUrl: ISSUER,
    authorizationServerMetadata: {
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/authorize`,
      token_endpoint: `${ISSUER}/token`,
      response_types_supported: ['code'],
    },
    resourceMetadata: { resource: RESOURCE, authorization_servers: [ISSUER] },
  })
  await first.saveClientInformation({ client_id: 'app', issuer: ISSUER })
  // Tokens keep the discovery that led to them (overwritten below with tokens about to expire).
  await first.saveTokens({ access_token: 'first', token_type: 'Bearer', issuer: ISSUER })
  const now = Date.now()
  const tokensKey = oauthStorageKey({ serverUrl: SERVER, principal: 'erin', entry: 'tokens' })
  storage.set(
    tokensKey,
    JSON.stringify({
      tokens: { access_token: 'old', token_type: 'Bearer', refresh_token: 'r0', issuer: ISSUER },
      savedAt: now - 3_590_000,
      expiresAt: now + 10_000,
    }),
  )
  return { network, storage, tokensKey, first, second: make() }
}

describe('renewal with a refresh token', () => {
  it('refreshes once for every provider on the storage, sending `resource` and keeping the stamp', async () => {
    const { network, first, second } = await signedIn()
    const [mine, theirs] = await Promise.all([first.tokens(), second.tokens()])
    expect(mine?.access_token).toBe('access-1')
    expect(theirs?.access_token).toBe('access-1')
    expect(mine?.issuer).toBe(ISSUER)
    expect(network.tokenRequests()).toHaveLength(1)
    expect(network.tokenRequests()[0]?.params).toMatchObject({
      grant_type: 'refresh_token',
      refresh_token: 'r0',
      resource: RESOURCE,
      client_id: 'app',
    })
  })

  it('uses the tokens another process rotated in meanwhile', async () => {
    const context: { storage?: MemoryOAuthStorage; key?: string } = {}
    const { storage, tokensKey, first } = await signedIn(() => {
      // The other process won the race: its new tokens are in the shared storage already.
      context.storage?.set(
        context.key ?? '',
        JSON.stringify({
          tokens: { access_token: 'theirs', token_type: 'Bearer', refresh_token: 'r1' },
          savedAt: Date.now(),
          expiresAt: Date.now() + 3_600_000,
        }),
      )
      return { status: 400, body: { error: 'invalid_grant', error_description: 'used' } }
    })
    context.storage = storage
    context.key = tokensKey
    expect((await first.tokens())?.access_token).toBe('theirs')
  })

  it('forgets a refresh token the authorization server refused for good', async () => {
    const { storage, tokensKey, first } = await signedIn(() => ({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'revoked' },
    }))
    expect(await first.tokens()).toBeUndefined()
    expect(storage.get(tokensKey)).toBeUndefined()
  })

  it('reports a failing authorization server, keeping the tokens', async () => {
    const { storage, tokensKey, first } = await signedIn(() => ({
      status: 500,
      body: { error: 'server_error', error_description: 'down' },
    }))
    const error = await errorOf(() => first.tokens())
    expect(isMCPKitError(error, 'UNAUTHORIZED')).toBe(true)
    expect(error.message).toMatch(/Refreshing the access token .* server_error/)
    expect(storage.get(tokensKey)).toBeDefined()
    expect(await first.hasValidTokens()).toBe(false)
  })
})

describe('renewal of a client_credentials token', () => {
  it('gets a new token through the SDK, with the scope of the server’s metadata', async () => {
    const network = fakeNetwork()
    const machine = machineProvider({ fetch: network.fetchFn })
    await machine.saveTokens({ access_token: 'expired', token_type: 'Bearer', expires_in: 0 })
    expect((await machine.tokens())?.access_token).toBe('access-1')
    expect(network.tokenRequests()).toHaveLength(1)
    expect(network.tokenRequests()[0]?.params).toMatchObject({
      grant_type: 'client_credentials',
      scope: 'mcp',
      resource: RESOURCE,
    })
  })
})
