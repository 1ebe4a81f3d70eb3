// Legacy SSE behind @mcpkit/oauth: the GET stream and every POSTed message are checked, on
// node:http (startSSE) and on the web-standard handler (startHonoSSE). The resource is the
// origin, so the metadata sits at the root well-known URL and covers /sse and /message.
import { MCPServer } from '@mcpkit/mcp-server-core'
import { createProtectedResource, jwtVerifier } from '@mcpkit/oauth'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearerChallenge } from '../support/oauth-host.js'
import { hostProtected, notesTools, type ProtectedHost, whoami } from '../support/oauth-server.js'
import { startTestIssuer, type TestIssuer } from '../support/oauth-tokens.js'
import { rawRequest } from '../support/server-host.js'

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

const toolCall = (name: string, args: Record<string, unknown> = {}) =>
  JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name, arguments: args } })

describe.each(['node', 'fetch'] as const)('JWT-protected legacy SSE (%s)', (mount) => {
  let issuer: TestIssuer
  let host: ProtectedHost
  let origin: string
  const clients: Client[] = []

  const tokenFor = (sub: string, scope = 'notes:read', expiresIn?: number) =>
    issuer.mint({ sub, audience: origin, scope, ...(expiresIn === undefined ? {} : { expiresIn }) })

  async function connect(token: string): Promise<Client> {
    const client = new Client({ name: 'oauth-sse-test', version: '1.0.0' })
    await client.connect(
      new SSEClientTransport(host.sseUrl, { requestInit: { headers: bearer(token) } }),
    )
    clients.push(client)
    return client
  }

  const post = (sessionId: string, body: string, headers: Record<string, string> = {}) =>
    rawRequest(new URL(`/message?sessionId=${sessionId}`, origin), {
      headers: { 'content-type': 'application/json', ...headers },
      body,
    })

  beforeAll(async () => {
    issuer = await startTestIssuer()
    host = await hostProtected((hostOrigin) => {
      origin = hostOrigin
      return new MCPServer({
        name: 'notes',
        version: '1.0.0',
        tools: notesTools,
        auth: createProtectedResource({
          resource: origin,
          authorizationServers: [issuer.issuer],
          verifier: jwtVerifier({ jwksUrl: issuer.jwksUrl, issuer: issuer.issuer }),
          requiredScopes: ['notes:read'],
          toolScopes: { delete_note: ['notes:write'] },
        }),
      })
    }, mount)
  })

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => {})))
    await host?.close()
    await issuer?.close()
  })

  it('serves the metadata of an origin-wide resource at the root well-known URL', async () => {
    const response = await rawRequest(new URL('/.well-known/oauth-protected-resource', origin), {
      method: 'GET',
    })
    expect(response.status).toBe(200)
    expect(response.json).toMatchObject({
      resource: origin,
      authorization_servers: [issuer.issuer],
    })
  })

  it('refuses to open the stream without a valid token', async () => {
    const anonymous = await rawRequest(host.sseUrl, {
      method: 'GET',
      headers: { accept: 'text/event-stream' },
    })
    expect(anonymous.status).toBe(401)
    expect(bearerChallenge(anonymous.headers['www-authenticate']).resource_metadata).toBe(
      `${origin}/.well-known/oauth-protected-resource`,
    )
    const expired = await rawRequest(host.sseUrl, {
      method: 'GET',
      headers: { accept: 'text/event-stream', ...bearer(tokenFor('alice', 'notes:read', -60)) },
    })
    expect(expired.status).toBe(401)
    expect(bearerChallenge(expired.headers['www-authenticate']).error_description).toMatch(
      /expired/,
    )
    const unscoped = await rawRequest(host.sseUrl, {
      method: 'GET',
      headers: { accept: 'text/event-stream', ...bearer(tokenFor('alice', 'profile')) },
    })
    expect(unscoped.status).toBe(403)
    expect(bearerChallenge(unscoped.headers['www-authenticate'])).toMatchObject({
      error: 'insufficient_scope',
      scope: 'notes:read',
    })
  })

  it('hands authInfo to tools and checks every POSTed message', async () => {
    const aliceToken = tokenFor('alice')
    const alice = await connect(aliceToken)
    const seen = await whoami(alice)
    expect(seen).toMatchObject({ sub: 'alice', scopes: ['notes:read'], token: aliceToken })
    const sessionId = seen.sessionId
    expect(typeof sessionId).toBe('string')

    const anonymous = await post(sessionId!, toolCall('whoami'))
    expect(anonymous.status).toBe(401)

    const bob = await post(sessionId!, toolCall('whoami'), bearer(tokenFor('bob')))
    expect(bob.status, "bob's valid token on alice's session").toBe(403)
    expect(bob.text).not.toContain('alice')

    const write = await post(sessionId!, toolCall('delete_note', { id: 'n1' }), bearer(aliceToken))
    expect(write.status).toBe(403)
    expect(bearerChallenge(write.headers['www-authenticate'])).toMatchObject({
      error: 'insufficient_scope',
      scope: 'notes:read notes:write',
    })

    const expired = await post(
      sessionId!,
      toolCall('whoami'),
      bearer(tokenFor('alice', 'notes:read', -60)),
    )
    expect(expired.status).toBe(401)

    // Alice's session still works.
    expect((await whoami(alice)).sub).toBe('alice')
  })

  it('keeps two users apart on concurrent streams', async () => {
    const [carol, dave] = await Promise.all([connect(tokenFor('carol')), connect(tokenFor('dave'))])
    const seen = await Promise.all([whoami(carol), whoami(dave), whoami(carol), whoami(dave)])
    expect(seen.map((caller) => caller.sub)).toEqual(['carol', 'dave', 'carol', 'dave'])
    expect(seen[0]!.sessionId).not.toBe(seen[1]!.sessionId)
  })
})
