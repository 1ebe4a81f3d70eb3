// Authorization servers outside https (loopback excepted) are refused when discovery finds them.
import { isMCPKitError } from '@mcpkit/types'
import { describe, expect, it } from 'vitest'
import { errorOf } from '../test-support.js'
import { MCPOAuthClientProvider } from './oauth-client-provider.js'
import { MemoryOAuthStorage, oauthStorageKey } from './oauth-storage.js'

const SERVER = 'https://mcp.example.com/mcp'

function provider(storage = new MemoryOAuthStorage()) {
  return new MCPOAuthClientProvider({
    serverUrl: SERVER,
    redirectUrl: 'https://app.example.com/callback',
    storage,
  })
}

/** The discovery result kept with the tokens (what renewals use). */
function storedDiscovery(storage: MemoryOAuthStorage): unknown {
  const value = storage.get(
    oauthStorageKey({ serverUrl: SERVER, principal: 'default', entry: 'discovery' }),
  )
  return value === undefined ? undefined : JSON.parse(value)
}

const TOKENS = { access_token: 'a', token_type: 'Bearer' }

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
    const storage = new MemoryOAuthStorage()
    const built = provider(storage)
    for (const authorizationServerUrl of [
      'https://login.example.com',
      'http://localhost:8080',
      'http://127.0.0.1:9000/tenant',
    ]) {
      await built.saveDiscoveryState({ authorizationServerUrl })
      await built.saveTokens(TOKENS)
      expect(storedDiscovery(storage)).toEqual({ authorizationServerUrl })
    }
  })

  it('stores the discovery state verbatim, resourceMetadataUrl included, once it led to tokens', async () => {
    const storage = new MemoryOAuthStorage()
    const built = provider(storage)
    const state = {
      authorizationServerUrl: 'https://login.example.com',
      authorizationServerMetadata: metadata,
      resourceMetadataUrl: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
    }
    await built.saveDiscoveryState(state)
    expect(storedDiscovery(storage)).toBeUndefined()
    await built.saveTokens(TOKENS)
    expect(storedDiscovery(storage)).toEqual(state)
  })
})
