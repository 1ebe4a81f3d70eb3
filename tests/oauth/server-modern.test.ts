// The same OAuth protection for 2026-07-28 requests as for 2025 sessions: the bearer token is
// checked on every (stateless) request, its principal reaches tools as authInfo, and a tool that
// needs a scope the token lacks is refused 403 insufficient_scope, over startHTTP and
// createFetchHandler, with the v2 SDK Client pinned to 2026-07-28 and by hand.
import { MCPServer } from '@mcpkit/mcp-server-core'
import { createProtectedResource, jwtVerifier } from '@mcpkit/oauth'
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { textOf } from '../support/helpers.js'
import { envelope } from '../support/modern-wire.js'
import { bearerChallenge } from '../support/oauth-host.js'
import {
  hostProtected,
  notesTools,
  type ProtectedHost,
  type SeenCaller,
} from '../support/oauth-server.js'
import { startTestIssuer, type TestIssuer } from '../support/oauth-tokens.js'

describe.each(['node', 'fetch'] as const)('OAuth on the 2026-07-28 era (%s)', (mount) => {
  let issuer: TestIssuer
  let host: ProtectedHost
  let resource: string
  const clients: Client[] = []

  const tokenFor = (sub: string, scope = 'notes:read') =>
    issuer.mint({ sub, audience: resource, scope })

  async function connect(token: string): Promise<Client> {
    const client = new Client(
      { name: 'oauth-modern-test', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    )
    await client.connect(
      new StreamableHTTPClientTransport(host.mcpUrl, {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    )
    clients.push(client)
    return client
  }

  /** A hand-made 2026-07-28 `tools/call` with a bearer token: status, challenge and body. */
  async function modernToolCall(token: string, name: string, args: Record<string, unknown>) {
    const response = await fetch(host.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': name,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name, arguments: args, _meta: envelope() },
      }),
    })
    return {
      status: response.status,
      challenge: response.headers.get('www-authenticate') ?? undefined,
      text: await response.text(),
    }
  }

  beforeAll(async () => {
    issuer = await startTestIssuer()
    host = await hostProtected((origin) => {
      resource = `${origin}/mcp`
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
        }),
      })
    }, mount)
  })

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => {})))
    await host?.close()
    await issuer?.close()
  })

  it('verifies each stateless request and hands its principal to the tool', async () => {
    const [alice, bob] = await Promise.all([connect(tokenFor('alice')), connect(tokenFor('bob'))])
    expect(alice.getProtocolEra()).toBe('modern')
    const seen = await Promise.all(
      [alice, bob, alice].map(
        async (client) =>
          JSON.parse(
            textOf(await client.callTool({ name: 'whoami', arguments: {} })),
          ) as SeenCaller,
      ),
    )
    expect(seen.map((caller) => caller.sub)).toEqual(['alice', 'bob', 'alice'])
    expect(seen.every((caller) => caller.sessionId === null && caller.resource === resource)).toBe(
      true,
    )
  })

  it('refuses a request without a token or with a foreign one: 401 with a challenge', async () => {
    const forged = issuer.mint({ sub: 'mallory', audience: 'https://elsewhere.example/mcp' })
    for (const token of ['', forged]) {
      const answer = await modernToolCall(token, 'whoami', {})
      expect(answer.status).toBe(401)
      expect(bearerChallenge(answer.challenge).resource_metadata).toMatch(
        /\/\.well-known\/oauth-protected-resource\/mcp$/,
      )
    }
  })

  it('refuses a tool whose scope the token lacks, 403 insufficient_scope naming it', async () => {
    const refused = await modernToolCall(tokenFor('carol'), 'delete_note', { id: 'n1' })
    expect(refused.status).toBe(403)
    expect(bearerChallenge(refused.challenge)).toMatchObject({
      error: 'insufficient_scope',
      scope: 'notes:read notes:write',
    })
    expect(refused.text).not.toContain('deleted n1')

    const writer = await connect(tokenFor('carol', 'notes:read notes:write'))
    const deleted = await writer.callTool({ name: 'delete_note', arguments: { id: 'n1' } })
    expect(deleted.isError).toBeFalsy()
    expect(textOf(deleted)).toContain('deleted n1')
  })
})
