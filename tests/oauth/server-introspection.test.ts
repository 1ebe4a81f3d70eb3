// RFC 7662 introspection against a real authorization server (oidc-provider on 127.0.0.1) issuing
// opaque access tokens for the MCP resource: active tokens reach tools as authInfo; tokens for
// another resource, unknown or revoked tokens get 401 with the reason; an introspection endpoint
// that refuses us fails closed (503).
import { MCPServer } from '@mcpkit/mcp-server-core'
import { createProtectedResource, introspectionVerifier } from '@mcpkit/oauth'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearerChallenge, type LateBoundHttp, startLateBoundHttp } from '../support/oauth-host.js'
import { hostProtected, notesTools, type ProtectedHost, whoami } from '../support/oauth-server.js'
import { type OidcIssuer, startOidcIssuer } from '../support/oidc-issuer.js'
import { initializeBody, mcpPostHeaders, rawRequest } from '../support/server-host.js'

const OTHER_RESOURCE = 'https://other.example/api'
const MACHINE = { clientId: 'reporting-job', clientSecret: 'reporting-secret' }
const RESOURCE_SERVER = { clientId: 'notes-api', clientSecret: 'notes-api-secret' }

describe('introspection verifier against oidc-provider', () => {
  let http: LateBoundHttp
  let issuer: OidcIssuer
  let host: ProtectedHost
  let resource: string
  let wronglyConfigured: ProtectedHost

  beforeAll(async () => {
    http = await startLateBoundHttp()
    resource = http.url('/mcp')
    issuer = await startOidcIssuer({
      resources: {
        [resource]: { scope: 'notes:read notes:write', format: 'opaque' },
        [OTHER_RESOURCE]: { scope: 'other:read', format: 'opaque' },
      },
      clients: [
        {
          client_id: RESOURCE_SERVER.clientId,
          client_secret: RESOURCE_SERVER.clientSecret,
          token_endpoint_auth_method: 'client_secret_basic',
        },
        {
          client_id: MACHINE.clientId,
          client_secret: MACHINE.clientSecret,
          grant_types: ['client_credentials'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
    })
    const protect = (clientSecret: string) =>
      createProtectedResource({
        resource,
        authorizationServers: [issuer.issuer],
        verifier: introspectionVerifier({
          endpoint: issuer.introspectionEndpoint,
          clientId: RESOURCE_SERVER.clientId,
          clientSecret,
          issuer: issuer.issuer,
        }),
        toolScopes: { delete_note: ['notes:write'] },
      })
    host = await hostProtected(
      () =>
        new MCPServer({
          name: 'notes',
          version: '1.0.0',
          tools: notesTools,
          auth: protect(RESOURCE_SERVER.clientSecret),
        }),
      'node',
      http,
    )
    wronglyConfigured = await hostProtected(
      () =>
        new MCPServer({
          name: 'notes',
          version: '1.0.0',
          tools: notesTools,
          auth: protect('wrong-secret'),
        }),
      'fetch',
    )
  })

  afterAll(async () => {
    await host?.close()
    await wronglyConfigured?.close()
    await issuer?.close()
  })

  const machineToken = (options: { resource?: string; scope?: string } = {}) =>
    issuer.clientCredentialsToken({
      ...MACHINE,
      resource: options.resource ?? resource,
      scope: options.scope ?? 'notes:read',
    })

  const initialize = (url: URL, token: string) =>
    rawRequest(url, {
      headers: { ...mcpPostHeaders(), authorization: `Bearer ${token}` },
      body: initializeBody(),
    })

  it('accepts an active token for this resource and hands it to tools', async () => {
    const { access_token: token } = await machineToken()
    expect(token.split('.').length, 'an opaque token, not a JWT').not.toBe(3)
    const client = new Client({ name: 'introspection-test', version: '1.0.0' })
    await client.connect(
      new StreamableHTTPClientTransport(host.mcpUrl, {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    )
    try {
      const seen = await whoami(client)
      expect(seen).toMatchObject({
        clientId: MACHINE.clientId,
        scopes: ['notes:read'],
        token,
        resource,
      })
      expect(seen.expiresAt).toBeGreaterThan(Date.now() / 1000)
      // Scopes from introspection drive the tool check as well.
      await expect(
        client.callTool({ name: 'delete_note', arguments: { id: 'n1' } }),
      ).rejects.toThrow(/insufficient_scope.*notes:write/)
    } finally {
      await client.close()
    }
  })

  it('refuses a token issued for another resource: 401 naming the audience', async () => {
    const { access_token: token } = await machineToken({
      resource: OTHER_RESOURCE,
      scope: 'other:read',
    })
    const response = await initialize(host.mcpUrl, token)
    expect(response.status).toBe(401)
    const challenge = bearerChallenge(response.headers['www-authenticate'])
    expect(challenge.error).toBe('invalid_token')
    expect(challenge.error_description).toMatch(
      /another audience \(https:\/\/other\.example\/api\)/,
    )
  })

  it('refuses unknown and revoked tokens as not active', async () => {
    const unknown = await initialize(host.mcpUrl, 'definitely-not-issued')
    expect(unknown.status).toBe(401)
    expect(bearerChallenge(unknown.headers['www-authenticate']).error_description).toMatch(
      /not active/,
    )

    const { access_token: token } = await machineToken()
    expect((await initialize(host.mcpUrl, token)).status).toBe(200)
    const revoked = await fetch(`${issuer.issuer}/token/revocation`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${MACHINE.clientId}:${MACHINE.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token }).toString(),
    })
    expect(revoked.status).toBe(200)
    const after = await initialize(host.mcpUrl, token)
    expect(after.status).toBe(401)
    expect(bearerChallenge(after.headers['www-authenticate']).error_description).toMatch(
      /not active/,
    )
  })

  it('fails closed when the introspection endpoint refuses the resource server', async () => {
    const { access_token: token } = await machineToken()
    const response = await initialize(wronglyConfigured.mcpUrl, token)
    expect(response.status).toBe(503)
    expect(response.json).toMatchObject({ error: 'temporarily_unavailable' })
  })
})
