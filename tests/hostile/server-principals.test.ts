// Issue 15, items 13 and 14: a client identity never passes for a user identity (a token with
// `client_id: "alice"` and no `sub` cannot use user alice's session), and one principal cannot
// evict another's sessions: at its quota (`maxSessionsPerPrincipal`) it evicts its own, and
// with all of its own busy it gets 429.
import type http from 'node:http'
import { createMCPTool, MCPServer } from '@mcpkit/mcp-server-core'
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../support/processes.js'
import {
  type Host,
  hostServer,
  initializeBody,
  mcpPostHeaders,
  openRawSession,
  rawRequest,
} from '../support/server-host.js'

/** `Bearer user:<sub>` is a user's token; `Bearer client:<id>` a client's, with no `sub`. */
function authenticate(req: http.IncomingMessage): AuthInfo | undefined {
  const match = /^Bearer (user|client):(\w+)$/.exec(req.headers.authorization ?? '')
  if (!match) return undefined
  const [, kind, name] = match
  return kind === 'user'
    ? { token: `t-${name}`, clientId: 'app', scopes: [], extra: { sub: name } }
    : { token: `c-${name}`, clientId: name!, scopes: [] }
}

const as = (who: string) => ({ authorization: `Bearer ${who}` })
let running = 0
const release: Array<() => void> = []

function server() {
  return new MCPServer({
    name: 'principals',
    version: '1.0.0',
    tools: {
      hold: createMCPTool({
        id: 'hold',
        description: 'runs until the test releases it',
        execute: () =>
          new Promise<string>((resolve) => {
            running++
            release.push(() => resolve('released'))
          }),
      }),
    },
  })
}

const ping = (host: Host, sessionId: string, who: string) =>
  rawRequest(host.mcpUrl, {
    headers: { ...mcpPostHeaders(sessionId), ...as(who) },
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
  })

const hosts: Host[] = []
afterEach(async () => {
  for (const done of release.splice(0)) done()
  running = 0
  for (const host of hosts.splice(0)) await host.close()
})

describe('client identities and user identities never compare equal', () => {
  it.each([
    ['user:alice', 'client:alice'],
    ['client:alice', 'user:alice'],
  ])("a session opened with %s refuses %s's token (403)", async (owner, intruder) => {
    const host = await hostServer(server(), { authenticate })
    hosts.push(host)
    const sessionId = await openRawSession(host.mcpUrl, as(owner))
    expect((await ping(host, sessionId, intruder)).status).toBe(403)
    expect((await ping(host, sessionId, owner)).status).toBe(200)
  })
})

describe('a per-principal session quota', () => {
  it("mallory's 100 sessions evict only mallory's own, never bob's idle one", async () => {
    const host = await hostServer(server(), {
      authenticate,
      options: { maxSessions: 20, maxSessionsPerPrincipal: 5 },
    })
    hosts.push(host)
    const bob = await openRawSession(host.mcpUrl, as('user:bob'))
    const mallory: string[] = []
    for (let index = 0; index < 100; index++) {
      mallory.push(await openRawSession(host.mcpUrl, as('user:mallory')))
    }
    expect((await ping(host, bob, 'user:bob')).status, "bob's idle session survives").toBe(200)
    const statuses = await Promise.all(mallory.map((id) => ping(host, id, 'user:mallory')))
    const live = statuses.filter((response) => response.status === 200).length
    expect(live, 'mallory keeps at most her quota').toBe(5)
    expect(statuses.slice(-5).every((response) => response.status === 200)).toBe(true)
  }, 30_000)

  it('with every session of its own busy, one more is refused 429, and others still get in', async () => {
    const host = await hostServer(server(), {
      authenticate,
      options: { maxSessions: 20, maxSessionsPerPrincipal: 3 },
    })
    hosts.push(host)
    const sessions = await Promise.all(
      Array.from({ length: 3 }, () => openRawSession(host.mcpUrl, as('user:mallory'))),
    )
    const calls = sessions.map((sessionId) =>
      rawRequest(host.mcpUrl, {
        headers: { ...mcpPostHeaders(sessionId), ...as('user:mallory') },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 3,
          method: 'tools/call',
          params: { name: 'hold', arguments: {} },
        }),
      }),
    )
    expect(await waitFor(() => running === 3, { timeoutMs: 5000, intervalMs: 10 })).toBe(true)
    const refused = await rawRequest(host.mcpUrl, {
      headers: { ...mcpPostHeaders(), ...as('user:mallory') },
      body: initializeBody(),
    })
    expect(refused.status).toBe(429)
    expect(refused.headers['retry-after']).toBe('1')
    expect((refused.json as { error: { code: number } }).error.code).toBe(-32000)
    expect(typeof (await openRawSession(host.mcpUrl, as('user:bob')))).toBe('string')
    for (const done of release.splice(0)) done()
    await Promise.all(calls)
  })
})
