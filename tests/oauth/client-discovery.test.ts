// Bad discovery documents: an authorization server outside https (loopback excepted) is refused
// before anything is registered or the user is redirected; an invalid metadata document is a
// clear error that names its URL. The MCP server and its authorization server here are small
// HTTP servers on 127.0.0.1 serving the documents under test.
import { MCPClient } from '@mcpkit/mcp-client-core'
import { MCPOAuthClientProvider } from '@mcpkit/oauth'
import { afterEach, describe, expect, it } from 'vitest'
import { expectMCPError } from '../support/helpers.js'
import { startStaticServer } from './client-fixtures.js'

const closers: (() => Promise<void>)[] = []
const clients: MCPClient[] = []
let clientCount = 0

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.disconnect()))
  await Promise.all(closers.splice(0).map((close) => close()))
})

/** An MCP endpoint that demands a token, with RFC 9728 metadata naming itself as the AS. */
async function protectedOrigin(
  authorizationServerMetadata: (origin: string) => Record<string, unknown>,
) {
  const served = await startStaticServer((origin) => ({
    '/mcp': {
      status: 401,
      body: { error: 'invalid_token' },
      headers: {
        'www-authenticate': `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`,
      },
    },
    '/.well-known/oauth-protected-resource/mcp': {
      body: { resource: `${origin}/mcp`, authorization_servers: [origin] },
    },
    '/.well-known/oauth-authorization-server': { body: authorizationServerMetadata(origin) },
  }))
  closers.push(served.close)
  return served
}

function clientFor(origin: string) {
  const redirects: URL[] = []
  const provider = new MCPOAuthClientProvider({
    serverUrl: `${origin}/mcp`,
    redirectUrl: 'http://127.0.0.1/callback',
    onRedirectToAuthorization: (url) => {
      redirects.push(url)
    },
  })
  const client = new MCPClient({
    id: `oauth-discovery-test-${++clientCount}`,
    timeout: 10_000,
    servers: { guarded: { url: `${origin}/mcp`, authProvider: provider } },
  })
  clients.push(client)
  return { client, provider, redirects }
}

function metadata(origin: string, overrides: Record<string, unknown> = {}) {
  return {
    issuer: origin,
    authorization_endpoint: `${origin}/authorize`,
    token_endpoint: `${origin}/token`,
    registration_endpoint: `${origin}/register`,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    ...overrides,
  }
}

describe('discovery documents', () => {
  it('refuses an authorization server whose issuer or endpoints are plain http outside loopback', async () => {
    const cases = [
      { issuer: 'http://login.example.com' },
      { authorization_endpoint: 'http://login.example.com/authorize' },
      { token_endpoint: 'http://login.example.com/token' },
    ]
    for (const override of cases) {
      const served = await protectedOrigin((origin) => metadata(origin, override))
      const { client, redirects } = clientFor(served.origin)
      const error = await expectMCPError(client.listTools(), 'UNAUTHORIZED')
      const value = Object.values(override)[0] as string
      expect(error.message).toContain(JSON.stringify(value))
      // An issuer other than the authorization server's own URL fails the SDK's RFC 8414 check
      // before the https one; endpoints fail the https check.
      expect(error.message).toMatch('issuer' in override ? /Issuer mismatch/ : /https/)
      expect(redirects).toEqual([])
      expect(served.hits.filter((hit) => hit.includes('/register'))).toEqual([])
    }
  })

  it('accepts http on loopback (development and tests)', async () => {
    const served = await startStaticServer((origin) => ({
      '/mcp': {
        status: 401,
        body: {},
        headers: {
          'www-authenticate': `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`,
        },
      },
      '/.well-known/oauth-protected-resource/mcp': {
        body: { resource: `${origin}/mcp`, authorization_servers: [origin] },
      },
      '/.well-known/oauth-authorization-server': { body: metadata(origin) },
      '/register': {
        status: 201,
        body: { client_id: 'registered', redirect_uris: ['http://127.0.0.1/callback'] },
      },
    }))
    closers.push(served.close)
    const { client, redirects } = clientFor(served.origin)
    await expectMCPError(client.listTools(), 'UNAUTHORIZED')
    // Discovery passed: the client registered and sent the user to the authorization endpoint.
    expect(served.hits).toContain('POST /register')
    expect(redirects).toHaveLength(1)
    expect(redirects[0]?.origin).toBe(served.origin)
  })

  it('names the URL of an invalid metadata document', async () => {
    const served = await protectedOrigin(() => ({ issuer: 'whatever', authorization_endpoint: 42 }))
    const { client, redirects } = clientFor(served.origin)
    const error = await expectMCPError(client.authenticate('guarded'), 'UNAUTHORIZED')
    expect(error.message).toContain(`${served.origin}/.well-known/oauth-authorization-server`)
    expect(error.message).toMatch(/invalid/)
    expect(redirects).toEqual([])
  })

  it('explains an invalid metadata document met during an ordinary call, field by field', async () => {
    const served = await protectedOrigin(() => ({ issuer: 'whatever', authorization_endpoint: 42 }))
    const { client, redirects } = clientFor(served.origin)
    const error = await expectMCPError(client.listTools(), 'CONNECTION_FAILED')
    expect(error.message).toContain('authorization_endpoint')
    expect(error.message).toMatch(/is invalid/)
    // The issues are listed, not dumped as JSON.
    expect(error.message).not.toContain('"code"')
    expect(redirects).toEqual([])
  })
})
