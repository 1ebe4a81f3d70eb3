// What MCPOAuthClientProvider decides on its own, without a network: option checks, storage
// keys, expiry, client information precedence, state checks, refusal of unsafe discovery
// results. The flows against a real authorization server are in tests/oauth/client-*.test.ts.
import { isMCPKitError } from '@mcpkit/types'
import { describe, expect, it } from 'vitest'
import { MCPOAuthClientProvider } from './oauth-client-provider.js'
import { MemoryOAuthStorage, oauthStorageKey } from './oauth-storage.js'
import { createSimpleTokenProvider } from './simple-token-provider.js'

const SERVER = 'https://mcp.example.com/mcp'
const REDIRECT = 'https://app.example.com/callback'

function provider(options: Partial<ConstructorParameters<typeof MCPOAuthClientProvider>[0]> = {}) {
  return new MCPOAuthClientProvider({ serverUrl: SERVER, redirectUrl: REDIRECT, ...options })
}

async function errorOf(action: () => unknown): Promise<Error & { code?: string }> {
  try {
    await action()
  } catch (error) {
    return error as Error & { code?: string }
  }
  throw new Error('expected an error')
}

describe('options', () => {
  it('refuses what cannot work, with INVALID_DEFINITION', async () => {
    const cases = [
      () => provider({ serverUrl: 'not a url' }),
      () => provider({ redirectUrl: '/relative' }),
      () => provider({ principal: '' }),
      () => provider({ clientMetadata: { redirect_uris: ['https://elsewhere.example.com/cb'] } }),
      () => provider({ storage: { get: () => undefined } as never }),
      () => provider({ refreshBeforeExpiry: -1 }),
      () => MCPOAuthClientProvider.clientCredentials({ serverUrl: SERVER, clientId: '' }),
    ]
    for (const build of cases) {
      const error = await errorOf(build)
      expect(isMCPKitError(error, 'INVALID_DEFINITION'), error.message).toBe(true)
    }
  })

  it('defaults to a public client registered for its redirect URL; `scope` sets the metadata scope', () => {
    const built = provider({ scope: 'files:read' })
    expect(built.clientMetadata).toMatchObject({
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      scope: 'files:read',
    })
    expect(built.clientMetadata.application_type).toBeUndefined()
    expect(built.principal).toBe('default')
    expect(built.redirectUrl).toBe(REDIRECT)
    // A loopback redirect is a native app's (RFC 8252).
    const cli = provider({ redirectUrl: 'http://127.0.0.1/callback' })
    expect(cli.clientMetadata).toMatchObject({ application_type: 'native' })
  })
})

describe('storage keys', () => {
  it('never collide across servers and principals, whatever characters they hold', () => {
    const pairs = [
      ['https://a.example.com/mcp', 'alice'],
      ['https://a.example.com/mcp', 'bob'],
      ['https://a.example.com/mcp:alice', 'x'],
      ['https://a.example.com/mcp', 'x:tokens'],
      ['https://a.example.com/mcp', 'alice:'],
      ['https://b.example.com/mcp', 'alice'],
    ] as const
    const keys = pairs.map(([serverUrl, principal]) =>
      oauthStorageKey({ serverUrl, principal, entry: 'tokens' }),
    )
    expect(new Set(keys).size).toBe(pairs.length)
    // One URL spelled two ways is one server.
    expect(
      oauthStorageKey({
        serverUrl: 'HTTPS://A.example.com:443/mcp#x',
        principal: 'p',
        entry: 'state',
      }),
    ).toBe(
      oauthStorageKey({ serverUrl: 'https://a.example.com/mcp', principal: 'p', entry: 'state' }),
    )
  })

  it('keeps each principal’s tokens apart in one storage', async () => {
    const storage = new MemoryOAuthStorage()
    const alice = provider({ storage, principal: 'alice' })
    const bob = provider({ storage, principal: 'bob' })
    await alice.saveTokens({ access_token: 'alice-token', token_type: 'Bearer' })
    expect((await alice.tokens())?.access_token).toBe('alice-token')
    expect(await bob.tokens()).toBeUndefined()
    expect(storage.keys()).toEqual([
      oauthStorageKey({ serverUrl: SERVER, principal: 'alice', entry: 'tokens' }),
    ])
  })
})

describe('expiry', () => {
  it('counts expires_in down and never returns an access token past its refresh margin', async () => {
    const built = provider({ refreshBeforeExpiry: 0 })
    await built.saveTokens({ access_token: 'short', token_type: 'Bearer', expires_in: 1 })
    const fresh = await built.tokens()
    expect(fresh?.access_token).toBe('short')
    expect(fresh?.expires_in).toBeLessThanOrEqual(1)
    expect(await built.hasValidTokens()).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 1100))
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
})

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

describe('finishAuthorization()', () => {
  it('refuses a callback when nothing is pending, or when its state differs', async () => {
    const built = provider()
    const nothingPending = await errorOf(() =>
      built.finishAuthorization(`${REDIRECT}?code=c&state=s`),
    )
    expect(isMCPKitError(nothingPending, 'UNAUTHORIZED')).toBe(true)
    const state = await built.state()
    const wrong = await errorOf(() => built.finishAuthorization({ code: 'c', state: `${state}x` }))
    expect(wrong.message).toMatch(/state/)
    const garbage = await errorOf(() => built.finishAuthorization('just-a-code'))
    expect(isMCPKitError(garbage, 'UNAUTHORIZED')).toBe(true)
  })

  it('reports an error callback with the matching state', async () => {
    const built = provider()
    const state = await built.state()
    const denied = await errorOf(() =>
      built.finishAuthorization(`${REDIRECT}?error=access_denied&state=${state}`),
    )
    expect(denied.message).toMatch(/access_denied/)
    // The state is used up.
    const again = await errorOf(() => built.finishAuthorization({ code: 'c', state }))
    expect(again.message).toMatch(/No authorization is pending/)
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
})

describe('saveDiscoveryState()', () => {
  const metadata = {
    issuer: 'https://login.example.com',
    authorization_endpoint: 'https://login.example.com/authorize',
    token_endpoint: 'https://login.example.com/token',
    response_types_supported: ['code'],
  }

  it('refuses authorization servers on plain http outside loopback, naming the URL', async () => {
    const built = provider()
    for (const state of [
      { authorizationServerUrl: 'http://login.example.com' },
      {
        authorizationServerUrl: 'https://login.example.com',
        authorizationServerMetadata: { ...metadata, issuer: 'http://login.example.com' },
      },
      {
        authorizationServerUrl: 'https://login.example.com',
        authorizationServerMetadata: { ...metadata, token_endpoint: 'http://evil.example/token' },
      },
    ]) {
      const error = await errorOf(() => built.saveDiscoveryState(state))
      expect(isMCPKitError(error, 'UNAUTHORIZED')).toBe(true)
      expect(error.message).toMatch(/http:\/\/(login|evil)\.example/)
    }
    expect(await built.discoveryState()).toBeUndefined()
  })

  it('accepts https, and http on localhost and 127.0.0.1', async () => {
    const built = provider()
    for (const authorizationServerUrl of [
      'https://login.example.com',
      'http://localhost:8080',
      'http://127.0.0.1:9000/tenant',
    ]) {
      await built.saveDiscoveryState({ authorizationServerUrl })
      expect((await built.discoveryState())?.authorizationServerUrl).toBe(authorizationServerUrl)
    }
  })
})

describe('createSimpleTokenProvider()', () => {
  it('hands out its token and refuses any authorization flow with UNAUTHORIZED', async () => {
    const simple = createSimpleTokenProvider('abc', { label: 'docs server' })
    expect(await simple.tokens()).toEqual({ access_token: 'abc', token_type: 'Bearer' })
    const error = await errorOf(() => simple.discoveryState?.())
    expect(isMCPKitError(error, 'UNAUTHORIZED')).toBe(true)
    expect(error.message).toMatch(/docs server/)
    const empty = await errorOf(() => createSimpleTokenProvider(''))
    expect(isMCPKitError(empty, 'INVALID_DEFINITION')).toBe(true)
  })
})
