// What discoveryState() offers the SDK's auth(): a discovery result is kept only once it led
// somewhere (an authorization URL handed out, tokens), and reused only for the code exchange of
// the pending authorization or the renewal of the tokens it led to.
import type { OAuthDiscoveryState } from '@modelcontextprotocol/client'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ISSUER } from '../test-support.js'
import { PENDING_AUTHORIZATION_TTL_MS } from './discovery-record.js'
import { MCPOAuthClientProvider } from './oauth-client-provider.js'
import { MemoryOAuthStorage, type OAuthStorageEntry, oauthStorageKey } from './oauth-storage.js'

const SERVER = 'https://mcp.example.com/mcp'
const DISCOVERY: OAuthDiscoveryState = { authorizationServerUrl: ISSUER }
const OTHER: OAuthDiscoveryState = { authorizationServerUrl: 'https://other.example.com' }

function setup() {
  const storage = new MemoryOAuthStorage()
  const make = () =>
    new MCPOAuthClientProvider({
      serverUrl: SERVER,
      redirectUrl: 'https://app.example.com/callback',
      storage,
      onRedirectToAuthorization: () => {},
    })
  const entry = (name: OAuthStorageEntry) => {
    const value = storage.get(
      oauthStorageKey({ serverUrl: SERVER, principal: 'default', entry: name }),
    )
    return value === undefined ? undefined : JSON.parse(value)
  }
  return { storage, make, entry }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('discoveryState()', () => {
  it('keeps nothing of a run that led nowhere', async () => {
    const { make, storage } = setup()
    const provider = make()
    expect(await provider.discoveryState()).toBeUndefined()
    await provider.saveDiscoveryState(DISCOVERY)
    expect(storage.size).toBe(0)
    // The next run, in this provider or another on the storage, discovers afresh.
    expect(await provider.discoveryState()).toBeUndefined()
    expect(await make().discoveryState()).toBeUndefined()
  })

  it('records the pending authorization when the user is sent away, and offers it for the exchange', async () => {
    const { make, entry } = setup()
    const provider = make()
    await provider.discoveryState()
    await provider.saveDiscoveryState(DISCOVERY)
    await provider.redirectToAuthorization(
      new URL('https://login.example.com/authorize?scope=a%20b'),
    )
    expect(entry('pending-authorization')).toMatchObject({ discovery: DISCOVERY, scope: 'a b' })
    // The callback comes to another provider (a web app's callback route).
    const callbackRoute = make()
    expect(await callbackRoute.discoveryState()).toEqual(DISCOVERY)
    await callbackRoute.saveTokens({ access_token: 't', token_type: 'Bearer', expires_in: 3600 })
    expect(entry('pending-authorization')).toBeUndefined()
    expect(entry('discovery')).toEqual(DISCOVERY)
    expect(entry('tokens')).toMatchObject({ requestedScope: 'a b' })
  })

  it('forgets a pending authorization nobody came back from', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { make } = setup()
    const provider = make()
    await provider.discoveryState()
    await provider.saveDiscoveryState(OTHER)
    await provider.redirectToAuthorization(new URL('https://other.example.com/authorize'))
    vi.setSystemTime(Date.now() + PENDING_AUTHORIZATION_TTL_MS + 1)
    expect(await make().discoveryState()).toBeUndefined()
  })

  it('offers the discovery the tokens came from only when they are due for renewal', async () => {
    const { make } = setup()
    const provider = make()
    await provider.discoveryState()
    await provider.saveDiscoveryState(DISCOVERY)
    await provider.saveTokens({ access_token: 't', token_type: 'Bearer', expires_in: 3600 })
    // A run while the token is good means the server refused it: discover afresh.
    expect(await provider.discoveryState()).toBeUndefined()
    await provider.saveTokens({ access_token: 'old', token_type: 'Bearer', expires_in: 0 })
    expect(await make().discoveryState()).toEqual(DISCOVERY)
  })

  it('never keeps a discovery from a run that failed, even when a later run refreshes', async () => {
    const { make, entry } = setup()
    const provider = make()
    await provider.discoveryState()
    await provider.saveDiscoveryState(DISCOVERY)
    await provider.saveTokens({ access_token: 'a', token_type: 'Bearer', expires_in: 0 })
    // A run discovers a wrong server and fails before any redirect or token.
    await provider.discoveryState()
    await provider.saveDiscoveryState(OTHER)
    // The next run refreshes with the stored discovery.
    expect(await provider.discoveryState()).toEqual(DISCOVERY)
    await provider.saveTokens({ access_token: 'b', token_type: 'Bearer', expires_in: 3600 })
    expect(entry('discovery')).toEqual(DISCOVERY)
  })
})
