// Option checks and defaults of MCPOAuthClientProvider (both grants).
import { isMCPKitError } from '@mcpkit/types'
import { describe, expect, it } from 'vitest'
import { errorOf } from '../test-support.js'
import { MCPOAuthClientProvider } from './oauth-client-provider.js'

const SERVER = 'https://mcp.example.com/mcp'
const REDIRECT = 'https://app.example.com/callback'

function provider(options: Partial<ConstructorParameters<typeof MCPOAuthClientProvider>[0]> = {}) {
  return new MCPOAuthClientProvider({ serverUrl: SERVER, redirectUrl: REDIRECT, ...options })
}

describe('options', () => {
  it('refuses what cannot work, with INVALID_CONFIGURATION', async () => {
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
      expect(isMCPKitError(error, 'INVALID_CONFIGURATION'), error.message).toBe(true)
    }
  })

  it('defaults to a public client registered for its redirect URL; `scope` sets the metadata scope', () => {
    const built = provider({ scope: 'files:read' })
    expect(built.clientMetadata).toMatchObject({
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      scope: 'files:read',
    })
    // As the SDK registers it (SEP-837): a web application unless the redirect is loopback.
    expect(built.clientMetadata.application_type).toBe('web')
    expect(built.clientMetadata.grant_types).toEqual(['authorization_code', 'refresh_token'])
    expect(built.principal).toBe('default')
    expect(built.redirectUrl).toBe(REDIRECT)
    // A loopback redirect is a native app's (RFC 8252).
    const cli = provider({ redirectUrl: 'http://127.0.0.1/callback' })
    expect(cli.clientMetadata).toMatchObject({ application_type: 'native' })
  })

  it('keeps clientMetadata as given, completed as the SDK registers it, and makes a client_credentials provider without redirect', () => {
    const metadata = { client_name: 'mine', redirect_uris: [REDIRECT] }
    // The fields given stay as they are; grant_types (refresh tokens wanted) and
    // application_type are added as the SDK adds them to the registration.
    expect(provider({ clientMetadata: metadata }).clientMetadata).toEqual({
      ...metadata,
      grant_types: ['authorization_code', 'refresh_token'],
      application_type: 'web',
    })
    const own = { ...metadata, grant_types: ['authorization_code'], application_type: 'native' }
    expect(provider({ clientMetadata: own }).clientMetadata).toEqual(own)
    const machine = MCPOAuthClientProvider.clientCredentials({
      serverUrl: `${SERVER}#fragment`,
      clientId: 'machine',
    })
    expect(machine.isClientCredentials).toBe(true)
    expect(machine.redirectUrl).toBeUndefined()
    expect(machine.serverUrl).toBe(SERVER)
    expect(machine.clientMetadata.grant_types).toEqual(['client_credentials'])
  })
})
