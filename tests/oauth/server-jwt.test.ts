// MCPServer protected by @mcpkit/oauth with JWT access tokens, over Streamable HTTP on node:http
// (startHTTP) and on the web-standard handler (createFetchHandler): the RFC 9728 metadata at the
// path-aware well-known URL, 401 challenges naming the reason, 403 insufficient_scope naming the
// scopes, authInfo reaching tools, and sessions bound to the token's subject.
import { MCPServer } from '@mcpkit/mcp-server-core'
import { createProtectedResource, jwtVerifier } from '@mcpkit/oauth'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearerChallenge } from '../support/oauth-host.js'
import { hostProtected, notesTools, type ProtectedHost, whoami } from '../support/oauth-server.js'
import { createSigningKey, startTestIssuer, type TestIssuer } from '../support/oauth-tokens.js'
import { mcpPostHeaders, openRawSession, rawRequest } from '../support/server-host.js'

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

const toolCall = (name: string, args: Record<string, unknown> = {}, id = 7) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } })

describe.each(['node', 'fetch'] as const)('JWT-protected Streamable HTTP (%s)', (mount) => {
  let issuer: TestIssuer
  let host: ProtectedHost
  let resource: string
  let metadataUrl: string
  const clients: Client[] = []

  /** A token for this resource with the given scopes. */
  const tokenFor = (sub: string, scope = 'notes:read', extra: Record<string, unknown> = {}) =>
    issuer.mint({ sub, audience: resource, scope, ...extra })

  async function connect(token: string): Promise<Client> {
    const client = new Client({ name: 'oauth-test', version: '1.0.0' })
    await client.connect(
      new StreamableHTTPClientTransport(host.mcpUrl, { requestInit: { headers: bearer(token) } }),
    )
    clients.push(client)
    return client
  }

  beforeAll(async () => {
    issuer = await startTestIssuer()
    host = await hostProtected((origin) => {
      resource = `${origin}/mcp`
      metadataUrl = `${origin}/.well-known/oauth-protected-resource/mcp`
      return new MCPServer({
        name: 'notes',
        version: '1.0.0',
        tools: notesTools,
        auth: createProtectedResource({
          resource,
          authorizationServers: [issuer.issuer],
          verifier: jwtVerifier({ jwksUrl: issuer.jwksUrl, issuer: issuer.issuer }),
          requiredScopes: ['notes:read'],
          toolScopes: { delete_note: ['notes:write'] },
          resourceName: 'Notes',
        }),
      })
    }, mount)
  })

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => {})))
    await host?.close()
    await issuer?.close()
  })

  it('serves the RFC 9728 metadata at the path-aware well-known URL', async () => {
    const response = await rawRequest(new URL(metadataUrl), { method: 'GET' })
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toContain('application/json')
    expect(response.headers['access-control-allow-origin']).toBe('*')
    expect(response.json).toEqual({
      resource,
      authorization_servers: [issuer.issuer],
      scopes_supported: ['notes:read', 'notes:write'],
      bearer_methods_supported: ['header'],
      resource_name: 'Notes',
    })
    const preflight = await rawRequest(new URL(metadataUrl), {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' },
    })
    expect(preflight.status).toBe(204)
    const root = await rawRequest(new URL('/.well-known/oauth-protected-resource', host.mcpUrl), {
      method: 'GET',
    })
    expect(root.status, 'only the path-aware URL names this resource').toBe(404)
  })

  it('answers a request without a token 401 with a challenge naming the metadata URL', async () => {
    const response = await rawRequest(host.mcpUrl, {
      headers: mcpPostHeaders(),
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    })
    expect(response.status).toBe(401)
    const challenge = bearerChallenge(response.headers['www-authenticate'])
    expect(challenge.resource_metadata).toBe(metadataUrl)
    expect(challenge.scope).toBe('notes:read')
    expect(challenge.error, 'no error code when no credentials were sent (RFC 6750 §3.1)').toBe(
      undefined,
    )
    expect(response.json).toMatchObject({ error: 'invalid_token' })
    // GET (the stream) and DELETE are protected too.
    for (const method of ['GET', 'DELETE']) {
      const other = await rawRequest(host.mcpUrl, {
        method,
        headers: { accept: 'text/event-stream', 'mcp-session-id': 'x' },
      })
      expect(other.status, method).toBe(401)
    }
  })

  const invalidTokens: Array<[string, () => string, RegExp]> = [
    ['malformed', () => 'not-a-jwt', /malformed/],
    ['malformed (three garbage parts)', () => 'a.b.c', /malformed/],
    ['expired', () => tokenFor('alice', 'notes:read', { expiresIn: -120 }), /expired/],
    [
      'for another audience',
      () =>
        issuer.mint({ sub: 'alice', audience: 'https://other.example/mcp', scope: 'notes:read' }),
      /another audience \(https:\/\/other\.example\/mcp\)/,
    ],
    [
      'from another issuer',
      () => tokenFor('alice', 'notes:read', { overrides: { iss: 'https://evil.example' } }),
      /untrusted issuer \(https:\/\/evil\.example\)/,
    ],
    [
      'with a bad signature',
      // Same kid, different key: the signature check itself must fail.
      () => tokenFor('alice', 'notes:read', { key: createSigningKey('test-key-1') }),
      /signature is invalid/,
    ],
    [
      'signed by an unknown key',
      () => tokenFor('alice', 'notes:read', { key: createSigningKey('intruder') }),
      /signature is invalid/,
    ],
    [
      'not yet valid',
      () =>
        tokenFor('alice', 'notes:read', {
          overrides: { nbf: Math.floor(Date.now() / 1000) + 600 },
        }),
      /not valid yet/,
    ],
  ]

  it.each(invalidTokens)(
    'answers a token %s 401 invalid_token with the reason',
    async (_label, token, reason) => {
      const response = await rawRequest(host.mcpUrl, {
        headers: { ...mcpPostHeaders(), ...bearer(token()) },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      })
      expect(response.status).toBe(401)
      const challenge = bearerChallenge(response.headers['www-authenticate'])
      expect(challenge.error).toBe('invalid_token')
      expect(challenge.error_description).toMatch(reason)
      expect(challenge.resource_metadata).toBe(metadataUrl)
      expect(response.json).toMatchObject({ error: 'invalid_token' })
      expect((response.json as { error_description: string }).error_description).toMatch(reason)
    },
  )

  it('answers a non-Bearer Authorization header 401', async () => {
    const response = await rawRequest(host.mcpUrl, {
      headers: { ...mcpPostHeaders(), authorization: 'Basic YWxpY2U6c2VjcmV0' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    })
    expect(response.status).toBe(401)
    expect(bearerChallenge(response.headers['www-authenticate']).error_description).toMatch(
      /must be `Bearer/,
    )
  })

  it('answers a token without the required scope 403 insufficient_scope naming it', async () => {
    const response = await rawRequest(host.mcpUrl, {
      headers: { ...mcpPostHeaders(), ...bearer(tokenFor('alice', 'profile')) },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    })
    expect(response.status).toBe(403)
    const challenge = bearerChallenge(response.headers['www-authenticate'])
    expect(challenge).toMatchObject({
      error: 'insufficient_scope',
      scope: 'notes:read',
      resource_metadata: metadataUrl,
    })
  })

  it('hands the verified token to tools as authInfo', async () => {
    const token = tokenFor('alice', 'notes:read notes:write', { clientId: 'notes-app' })
    const seen = await whoami(await connect(token))
    expect(seen).toMatchObject({
      sub: 'alice',
      clientId: 'notes-app',
      scopes: ['notes:read', 'notes:write'],
      token,
      resource,
    })
    expect(seen.expiresAt).toBeGreaterThan(Date.now() / 1000)
  })

  it('refuses a tool call whose tool needs a scope the token lacks: 403 naming the scopes', async () => {
    const token = tokenFor('carol', 'notes:read')
    const sessionId = await openRawSession(host.mcpUrl, bearer(token))
    const refused = await rawRequest(host.mcpUrl, {
      headers: { ...mcpPostHeaders(sessionId), ...bearer(token) },
      body: toolCall('delete_note', { id: 'n1' }),
    })
    expect(refused.status).toBe(403)
    const challenge = bearerChallenge(refused.headers['www-authenticate'])
    expect(challenge).toMatchObject({
      error: 'insufficient_scope',
      scope: 'notes:read notes:write',
      resource_metadata: metadataUrl,
    })
    expect(challenge.error_description).toMatch(/delete_note.*notes:write/)
    // A batch hiding the call behind an allowed one is refused as well.
    const batch = await rawRequest(host.mcpUrl, {
      headers: { ...mcpPostHeaders(sessionId), ...bearer(token) },
      body: `[${toolCall('whoami', {}, 8)},${toolCall('delete_note', { id: 'n1' }, 9)}]`,
    })
    expect(batch.status).toBe(403)
    // The same session may still call what its token allows.
    const allowed = await rawRequest(host.mcpUrl, {
      headers: { ...mcpPostHeaders(sessionId), ...bearer(token) },
      body: toolCall('whoami'),
    })
    expect(allowed.status).toBe(200)
    expect(allowed.text).toContain('carol')

    const writer = await connect(tokenFor('carol', 'notes:read notes:write'))
    const deleted = await writer.callTool({ name: 'delete_note', arguments: { id: 'n1' } })
    expect(deleted.isError).toBeFalsy()
  })

  it("binds the session to the token's subject: another user's valid token on it gets 403", async () => {
    const aliceToken = tokenFor('alice')
    const sessionId = await openRawSession(host.mcpUrl, bearer(aliceToken))
    const hijack = await rawRequest(host.mcpUrl, {
      headers: { ...mcpPostHeaders(sessionId), ...bearer(tokenFor('bob')) },
      body: toolCall('whoami'),
    })
    expect(hijack.status).toBe(403)
    expect(hijack.text).not.toContain('alice')
    // A new token of the same user (refreshed) keeps working on the session.
    const again = await rawRequest(host.mcpUrl, {
      headers: { ...mcpPostHeaders(sessionId), ...bearer(tokenFor('alice')) },
      body: toolCall('whoami'),
    })
    expect(again.status).toBe(200)
    expect(again.text).toContain('\\"sub\\":\\"alice\\"')
  })

  it('gives concurrent users their own identity', async () => {
    const users = ['u1', 'u2', 'u3', 'u4']
    const connected = await Promise.all(users.map((sub) => connect(tokenFor(sub))))
    const seen = await Promise.all(
      connected.flatMap((client) => [whoami(client), whoami(client), whoami(client)]),
    )
    expect(seen.map((caller) => caller.sub)).toEqual(users.flatMap((sub) => [sub, sub, sub]))
  })
})
