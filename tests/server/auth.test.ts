// The host app's auth middleware puts the principal on `req.auth`; MCPServer hands it to tools
// as `extra.authInfo`, binds each session to the principal that opened it, and refuses (403)
// a request on that session carrying another principal's token.
import type http from 'node:http'
import { createMCPTool, type MCPServer } from '@mcpkit/mcp-server-core'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createEverythingServer } from '../fixtures/everything-server.js'
import { textOf } from '../support/helpers.js'
import {
  connectSdkClient,
  type Host,
  hostServer,
  mcpPostHeaders,
  openRawSession,
  rawRequest,
} from '../support/server-host.js'

const PRINCIPALS: Record<string, AuthInfo> = {
  'alice-token': { token: 'alice-token', clientId: 'alice', scopes: ['tools:read'] },
  'bob-token': { token: 'bob-token', clientId: 'bob', scopes: ['tools:read', 'tools:write'] },
}

/** The host app's middleware: a bearer token from the table, or nothing. */
function authenticate(req: http.IncomingMessage): AuthInfo | undefined {
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
  return token === undefined ? undefined : PRINCIPALS[token]
}

const whoami = createMCPTool({
  id: 'whoami',
  description: 'Returns the caller as the server sees it',
  inputSchema: z.object({}),
  execute: async (_input, { extra }) => ({
    clientId: extra.authInfo?.clientId ?? null,
    scopes: extra.authInfo?.scopes ?? null,
    token: extra.authInfo?.token ?? null,
    sessionId: extra.sessionId ?? null,
  }),
})

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

describe.each(['http', 'sse'] as const)('req.auth and session principals over %s', (transport) => {
  let server: MCPServer
  let host: Host
  let alice: Client
  let bob: Client

  beforeAll(async () => {
    server = createEverythingServer({ extraTools: { whoami } })
    host = await hostServer(server, { authenticate })
    const url = transport === 'http' ? host.mcpUrl : host.sseUrl
    alice = await connectSdkClient(transport, url, { headers: bearer('alice-token') })
    bob = await connectSdkClient(transport, url, { headers: bearer('bob-token') })
  })

  afterAll(async () => {
    await alice?.close()
    await bob?.close()
    await host?.close()
  })

  it('each tool call sees its own caller in extra.authInfo', async () => {
    const [fromAlice, fromBob] = await Promise.all([
      alice.callTool({ name: 'whoami', arguments: {} }),
      bob.callTool({ name: 'whoami', arguments: {} }),
    ])
    const seenByAlice = JSON.parse(textOf(fromAlice))
    const seenByBob = JSON.parse(textOf(fromBob))
    expect(seenByAlice).toMatchObject({
      clientId: 'alice',
      scopes: ['tools:read'],
      token: 'alice-token',
    })
    expect(seenByBob).toMatchObject({ clientId: 'bob', token: 'bob-token' })
    expect(typeof seenByAlice.sessionId).toBe('string')
    expect(seenByAlice.sessionId).not.toBe(seenByBob.sessionId)
  })

  it("a request with another principal's token on a session is refused with 403, and the session survives", async () => {
    const sessionId = JSON.parse(textOf(await alice.callTool({ name: 'whoami', arguments: {} })))
      .sessionId as string
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 77,
      method: 'tools/call',
      params: { name: 'whoami', arguments: {} },
    })
    const hijack =
      transport === 'http'
        ? await rawRequest(host.mcpUrl, {
            headers: { ...mcpPostHeaders(sessionId), ...bearer('bob-token') },
            body,
          })
        : await rawRequest(new URL(`/message?sessionId=${sessionId}`, host.sseUrl), {
            headers: { 'content-type': 'application/json', ...bearer('bob-token') },
            body,
          })
    expect(hijack.status).toBe(403)
    expect(hijack.text).not.toContain('alice')

    const anonymous =
      transport === 'http'
        ? await rawRequest(host.mcpUrl, { headers: mcpPostHeaders(sessionId), body })
        : await rawRequest(new URL(`/message?sessionId=${sessionId}`, host.sseUrl), {
            headers: { 'content-type': 'application/json' },
            body,
          })
    expect(anonymous.status, 'a request without a token on an authenticated session').toBe(403)

    // Alice's session is unharmed.
    const again = JSON.parse(textOf(await alice.callTool({ name: 'whoami', arguments: {} })))
    expect(again).toMatchObject({ clientId: 'alice', sessionId })
  })
})

describe('session principals on the other Streamable HTTP methods', () => {
  let host: Host

  beforeAll(async () => {
    host = await hostServer(createEverythingServer(), { authenticate })
  })

  afterAll(async () => {
    await host?.close()
  })

  it('another principal cannot DELETE the session or open its stream', async () => {
    const sessionId = await openRawSession(host.mcpUrl, bearer('alice-token'))
    const del = await rawRequest(host.mcpUrl, {
      method: 'DELETE',
      headers: { 'mcp-session-id': sessionId, ...bearer('bob-token') },
    })
    expect(del.status).toBe(403)
    const stream = await rawRequest(host.mcpUrl, {
      method: 'GET',
      headers: {
        accept: 'text/event-stream',
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-06-18',
        ...bearer('bob-token'),
      },
      timeoutMs: 3000,
    })
    expect(stream.status).toBe(403)
    const stillThere = await rawRequest(host.mcpUrl, {
      headers: { ...mcpPostHeaders(sessionId), ...bearer('alice-token') },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    })
    expect(stillThere.status).toBe(200)
  })
})
