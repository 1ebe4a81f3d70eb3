/**
 * Both protocol eras on one Streamable HTTP endpoint: 2026-07-28 requests go to the SDK's
 * stateless handler, 2025 ones to mcpkit's sessions, after the same security checks; over real
 * HTTP on 127.0.0.1, web-standard and node:http handlers alike.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import type { AuthInfo } from '@modelcontextprotocol/server'
import { afterEach, describe, expect, it } from 'vitest'
import { NodeStreamableHttpHandler } from '../node/node-streamable-http-handler.js'
import {
  fixtureServerFactory,
  initializeBody,
  type Listening,
  listen,
  listenFetch,
  MCP_HEADERS,
  modernRequest,
  rawRequest,
  toolJson,
} from '../test-support.js'
import { StreamableHttpHandler } from './streamable-http-handler.js'
import type { StreamableHttpHandlerOptions } from './streamable-http-sessions.js'

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const alice: AuthInfo = { token: 't-alice', clientId: 'app', scopes: [], extra: { sub: 'alice' } }

async function webSetup(options: Partial<StreamableHttpHandlerOptions> = {}) {
  const fixture = fixtureServerFactory()
  const handler = new StreamableHttpHandler({ createServer: fixture.createServer, ...options })
  const http = await listenFetch((request) => handler.handleRequest(request))
  cleanups.push(
    () => http.close(),
    () => handler.close(),
    () => fixture.release(),
  )
  return { fixture, handler, http }
}

async function nodeSetup(options: Partial<StreamableHttpHandlerOptions> = {}) {
  const fixture = fixtureServerFactory()
  const createServer = () => {
    const server = fixture.createServer()
    server.registerCapabilities({ tools: { listChanged: true } })
    return server
  }
  const handler = new NodeStreamableHttpHandler({ createServer, ...options })
  const http = await listen((req, res) => handler.handle(req, res))
  cleanups.push(
    () => http.close(),
    () => handler.close(),
    () => fixture.release(),
  )
  return { fixture, handler, http }
}

async function connect(http: Listening, mode: 'legacy' | { pin: '2026-07-28' } | 'auto') {
  const client = new Client(
    { name: 'era-test', version: '1.0.0' },
    { versionNegotiation: { mode } },
  )
  await client.connect(new StreamableHTTPClientTransport(new URL(http.url())))
  cleanups.push(() => client.close())
  return client
}

describe.each([
  ['web-standard', webSetup],
  ['node:http', nodeSetup],
] as const)('both eras on one endpoint (%s)', (_kind, setup) => {
  it('serves a 2025 session and 2026-07-28 requests side by side, each on its own Server', async () => {
    const { http, fixture, handler } = await setup()
    const legacy = await connect(http, 'legacy')
    const modern = await connect(http, { pin: '2026-07-28' })
    const auto = await connect(http, 'auto')
    expect([legacy, modern, auto].map((client) => client.getProtocolEra())).toEqual([
      'legacy',
      'modern',
      'modern',
    ])
    const [fromLegacy, fromModern, fromAuto] = await Promise.all(
      [legacy, modern, auto].map((client) =>
        client.callTool({ name: 'whoami', arguments: {} }).then(toolJson),
      ),
    )
    expect(fromLegacy?.sessionId).toEqual(expect.any(String))
    expect(fromModern?.sessionId).toBeUndefined()
    expect(fromAuto?.sessionId).toBeUndefined()
    // One Server per 2026-07-28 request, closed after it; the 2025 session keeps its own.
    expect(new Set([fromModern?.serverNumber, fromAuto?.serverNumber]).size).toBe(2)
    expect(handler.sessionCount).toBe(1)
    await legacy.callTool({ name: 'whoami', arguments: {} })
    expect(fixture.stats.created - fixture.stats.closed).toBeLessThanOrEqual(2)
  })

  it('answers GET and DELETE without a session 405, and unknown sessions 404', async () => {
    const { http } = await setup()
    for (const method of ['GET', 'DELETE']) {
      const answer = await rawRequest(http.url(), { method, headers: MCP_HEADERS })
      expect(answer.status, method).toBe(405)
      expect(JSON.parse(answer.body)).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 } })
    }
    const unknown = await rawRequest(http.url(), {
      method: 'GET',
      headers: { ...MCP_HEADERS, 'mcp-session-id': 'no-such-session' },
    })
    expect(unknown.status).toBe(404)
  })

  it("checks Host and the body cap before either era, and hands authenticate's principal to both", async () => {
    const { http } = await setup({
      maxBodyBytes: 4096,
      authenticate: (request) =>
        request.headers.get('authorization') === 'Bearer alice'
          ? alice
          : new Response('{"error":"invalid_token"}', { status: 401 }),
    })
    const whoami = modernRequest('tools/call', { name: 'whoami', arguments: {} })
    const auth = { authorization: 'Bearer alice' }
    const wrongHost = await rawRequest(http.url(), {
      headers: { ...whoami.headers, ...auth, host: 'evil.example.com' },
      body: whoami.body,
    })
    expect(wrongHost.status).toBe(403)
    expect(JSON.parse(wrongHost.body)).toMatchObject({ error: { code: -32000 } })
    const big = modernRequest('tools/call', {
      name: 'whoami',
      arguments: { pad: 'x'.repeat(8000) },
    })
    const tooLarge = await rawRequest(http.url(), {
      headers: { ...big.headers, ...auth },
      body: big.body,
    })
    expect(tooLarge.status).toBe(413)
    const anonymous = await rawRequest(http.url(), { headers: whoami.headers, body: whoami.body })
    expect(anonymous.status).toBe(401)
    const served = await rawRequest(http.url(), {
      headers: { ...whoami.headers, ...auth },
      body: whoami.body,
    })
    expect(served.status).toBe(200)
    const result = JSON.parse(served.body).result
    expect(toolJson(result).authInfo).toMatchObject({ extra: { sub: 'alice' } })
  })

  it("with protocolVersion '2026-07-28' refuses initialize naming the supported version", async () => {
    const { http } = await setup({ protocolVersion: '2026-07-28' })
    const answer = await rawRequest(http.url(), { headers: MCP_HEADERS, body: initializeBody() })
    expect(answer.status).toBe(400)
    expect(JSON.parse(answer.body)).toMatchObject({
      error: { code: -32022, data: { supported: ['2026-07-28'] } },
    })
    const modern = await connect(http, { pin: '2026-07-28' })
    expect((await modern.listTools()).tools.map((tool) => tool.name)).toContain('whoami')
  })

  it("with protocolVersion 'legacy' serves 2025 sessions only, as before", async () => {
    const { http } = await setup({ protocolVersion: 'legacy' })
    const discover = modernRequest('server/discover')
    const answer = await rawRequest(http.url(), { headers: discover.headers, body: discover.body })
    expect(answer.status).toBe(400)
    expect(JSON.parse(answer.body).error.message).toMatch(/Mcp-Session-Id/)
    const legacy = await connect(http, 'auto')
    expect(legacy.getProtocolEra()).toBe('legacy')
  })

  it('refuses an unknown protocolVersion at construction', async () => {
    await expect(setup({ protocolVersion: '2024-01-01' as never })).rejects.toMatchObject({
      code: 'INVALID_CONFIGURATION',
    })
  })
})

describe('subscriptions/listen through the handler (node:http)', () => {
  it('delivers what is published on the handler bus, and caps open streams', async () => {
    const { http, handler } = await nodeSetup({ maxSubscriptions: 1 })
    const client = await connect(http, { pin: '2026-07-28' })
    const changed = new Promise((resolve) =>
      client.setNotificationHandler('notifications/tools/list_changed', resolve),
    )
    const first = await client.listen({ toolsListChanged: true })
    expect(first.honoredFilter).toMatchObject({ toolsListChanged: true })
    handler.eventBus?.publish({ kind: 'tools_list_changed' })
    await changed
    await expect(client.listen({ toolsListChanged: true })).rejects.toMatchObject({
      code: -32603,
      message: expect.stringMatching(/limit/i),
    })
    // A stream that ends frees its place.
    await first.close()
    await expect(first.closed).resolves.toBe('local')
    let again: Awaited<ReturnType<Client['listen']>> | undefined
    for (let attempt = 0; attempt < 50 && !again; attempt++) {
      again = await client.listen({ toolsListChanged: true }).catch(async () => {
        await new Promise((resolve) => setTimeout(resolve, 20))
        return undefined
      })
    }
    expect(again?.honoredFilter).toMatchObject({ toolsListChanged: true })
    await again?.close()
  })
})
