// Authorization servers outside https (loopback excepted) are refused when discovery finds them.
import { isMCPKitError } from '@mcpkit/types'
import { describe, expect, it } from 'vitest'
import { errorOf } from '../test-support.js'
import { MCPOAuthClientProvider } from './oauth-client-provider.js'

function provider() {
  return new MCPOAuthClientProvider({
    serverUrl: 'https://mcp.example.com/mcp',
    redirectUrl: 'https://app.example.com/callback',
  })
}

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

  it('stores the discovery state verbatim, resourceMetadataUrl included', async () => {
    const built = provider()
    const state = {
      authorizationServerUrl: 'https://login.example.com',
      authorizationServerMetadata: metadata,
      resourceMetadataUrl: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
    }
    await built.saveDiscoveryState(state)
    expect(await built.discoveryState()).toEqual(state)
  })
})
