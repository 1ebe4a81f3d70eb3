import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import type { AuthInfo } from '@modelcontextprotocol/server'
import { afterEach, describe, expect, it } from 'vitest'
import {
  eventually,
  fixtureServerFactory,
  initializeBody,
  listenFetch,
  MCP_HEADERS,
  rawRequest,
  recordingClient,
  toolJson,
} from '../test-support.js'
import { StreamableHttpHandler } from './streamable-http-handler.js'
import type { StreamableHttpHandlerOptions } from './streamable-http-sessions.js'

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function setup(options: Partial<StreamableHttpHandlerOptions> = {}) {
  const fixture = fixtureServerFactory()
  const handler = new StreamableHttpHandler({ createServer: fixture.createServer, ...options })
  const http = await listenFetch((request) => {
    const user = request.headers.get('x-user')
    const authInfo: AuthInfo | undefined = user
      ? { token: `t-${user}`, clientId: 'app', scopes: [], extra: { sub: user } }
      : undefined
    return handler.handleRequest(request, authInfo ? { authInfo } : {})
  })
  cleanups.push(
    () => http.close(),
    () => handler.close(),
    () => fixture.release(),
  )
  return { fixture, handler, http }
}

const toolsCall = (name: string, id = 2) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } })

describe('StreamableHttpHandler (web-standard)', () => {
  it('isolates two concurrent SDK clients, each on its own Server', async () => {
    const { http, fixture, handler } = await setup()
    const clients = await Promise.all(
      ['a', 'b'].map(async (name) => {
        const recorder = recordingClient(name)
        await recorder.client.connect(new StreamableHTTPClientTransport(new URL(http.url())))
        cleanups.push(() => recorder.client.close())
        return { name, ...recorder }
      }),
    )
    expect(fixture.stats.created).toBe(2)
    expect(handler.sessionCount).toBe(2)
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, round) =>
        clients.map(({ name, client }) =>
          client.callTool({ name: 'ask', arguments: { tag: `${name}${round}` } }),
        ),
      ).flat(),
    )
    for (const result of results.map(toolJson)) {
      const tag = String(result.tag)
      expect(result.answer).toBe(`${tag[0]}:question:${tag}`)
    }
    for (const { name, questions, logs } of clients) {
      expect(questions).toHaveLength(6)
      expect(questions.every((question) => question.startsWith(`question:${name}`))).toBe(true)
      await eventually(() => logs.length === 12)
      expect(logs.every((line) => line.includes(`:${name}`))).toBe(true)
    }
  })

  it('hands handlers the Request it was given', async () => {
    const { http } = await setup()
    const recorder = recordingClient('probe')
    const transport = new StreamableHTTPClientTransport(new URL(http.url()), {
      requestInit: { headers: { 'x-probe': 'web' } },
    })
    await recorder.client.connect(transport)
    cleanups.push(() => recorder.client.close())
    const me = toolJson(await recorder.client.callTool({ name: 'whoami', arguments: {} }))
    expect(me.request).toEqual({ isRequest: true, method: 'POST', url: http.url(), probe: 'web' })
  })

  it('passes authInfo from the context to handlers and binds the session to its principal', async () => {
    const { http } = await setup()
    const init = await rawRequest(http.url(), {
      headers: { ...MCP_HEADERS, 'x-user': 'alice' },
      body: initializeBody(),
    })
    const sessionId = init.headers['mcp-session-id'] as string
    const call = (user: string) =>
      rawRequest(http.url(), {
        headers: { ...MCP_HEADERS, 'mcp-session-id': sessionId, 'x-user': user },
        body: toolsCall('whoami'),
      })
    const alice = await call('alice')
    expect(alice.status).toBe(200)
    expect(alice.body).toContain('t-alice')
    const mallory = await call('mallory')
    expect(mallory.status).toBe(403)
    expect(JSON.parse(mallory.body)).toMatchObject({
      jsonrpc: '2.0',
      error: { code: -32000 },
      id: null,
    })
  })

  it('stateless mode: a fresh Server per POST, closed afterwards', async () => {
    const { http, fixture } = await setup({ sessionIdGenerator: undefined })
    for (let index = 0; index < 3; index++) {
      const answer = await rawRequest(http.url(), {
        headers: MCP_HEADERS,
        body: toolsCall('whoami'),
      })
      expect(answer.status).toBe(200)
      expect(answer.body).toContain(`\\"serverNumber\\":${index + 1}`)
    }
    await eventually(() => fixture.stats.closed === 3)
  })

  it('caps streamed bodies and answers parse errors as JSON-RPC, then keeps serving', async () => {
    const { http } = await setup({ maxBodyBytes: 2048 })
    async function* big() {
      for (let index = 0; index < 100; index++) yield Buffer.alloc(1024, 'x')
    }
    const tooLarge = await rawRequest(http.url(), {
      headers: { ...MCP_HEADERS, 'transfer-encoding': 'chunked' },
      body: big(),
    })
    expect(tooLarge.status).toBe(413)
    expect(JSON.parse(tooLarge.body)).toMatchObject({ error: { code: -32000 }, id: null })
    const declared = await rawRequest(http.url(), {
      headers: MCP_HEADERS,
      body: 'x'.repeat(4096),
    })
    expect(declared.status).toBe(413)
    const malformed = await rawRequest(http.url(), { headers: MCP_HEADERS, body: '{nope' })
    expect(malformed.status).toBe(400)
    expect(JSON.parse(malformed.body).error.code).toBe(-32700)
    const invalid = await rawRequest(http.url(), {
      headers: MCP_HEADERS,
      body: '{"jsonrpc":"2.0","id":{},"method":"x"}',
    })
    expect(invalid.status).toBe(400)
    expect(JSON.parse(invalid.body).error.code).toBe(-32600)
    const init = await rawRequest(http.url(), { headers: MCP_HEADERS, body: initializeBody() })
    expect(init.status).toBe(200)
  })

  it('checks Host (or the URL host when the runtime hides the header) and Origin', async () => {
    const fixture = fixtureServerFactory()
    const handler = new StreamableHttpHandler({ createServer: fixture.createServer })
    cleanups.push(() => handler.close())
    const post = (url: string, headers: Record<string, string> = {}) =>
      handler.handleRequest(
        new Request(url, {
          method: 'POST',
          headers: { ...MCP_HEADERS, ...headers },
          body: initializeBody(),
        }),
      )
    const evil = await post('http://evil.example.com/mcp')
    expect(evil.status).toBe(403)
    expect(await evil.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null })
    expect(
      (await post('http://localhost:3000/mcp', { origin: 'https://evil.example.com' })).status,
    ).toBe(403)
    const ok = await post('http://localhost:3000/mcp', { origin: 'http://localhost:3000' })
    expect(ok.status).toBe(200)
    await ok.body?.cancel()
  })

  it('answers 405 with Allow for other methods, and 503 after close()', async () => {
    const fixture = fixtureServerFactory()
    const handler = new StreamableHttpHandler({ createServer: fixture.createServer })
    const put = await handler.handleRequest(
      new Request('http://127.0.0.1/mcp', { method: 'PUT', body: '{}' }),
    )
    expect(put.status).toBe(405)
    expect(put.headers.get('allow')).toBe('GET, POST, DELETE')
    await handler.close()
    const late = await handler.handleRequest(
      new Request('http://127.0.0.1/mcp', {
        method: 'POST',
        headers: MCP_HEADERS,
        body: initializeBody(),
      }),
    )
    expect(late.status).toBe(503)
    expect((await late.json()).error.code).toBe(-32000)
  })

  it('answers 500 with a JSON-RPC error when createServer throws, and logs it', async () => {
    const lines: string[] = []
    const handler = new StreamableHttpHandler({
      createServer: () => {
        throw new Error('factory broke')
      },
      log: (level, message) => void lines.push(`${level}: ${message}`),
      maxSessions: 1,
    })
    cleanups.push(() => handler.close())
    const answer = await handler.handleRequest(
      new Request('http://127.0.0.1/mcp', {
        method: 'POST',
        headers: MCP_HEADERS,
        body: initializeBody(),
      }),
    )
    expect(answer.status).toBe(500)
    expect(await answer.json()).toMatchObject({ error: { code: -32603 }, id: null })
    expect(lines.some((line) => line.startsWith('error:') && line.includes('factory broke'))).toBe(
      true,
    )
    expect(handler.sessionCount).toBe(0)
    // The reservation was given back: the cap is not eaten by failures.
    const again = await handler.handleRequest(
      new Request('http://127.0.0.1/mcp', {
        method: 'POST',
        headers: MCP_HEADERS,
        body: initializeBody(),
      }),
    )
    expect(again.status).toBe(500)
  })

  it('refuses a factory that hands out one shared Server, naming the fix', async () => {
    const shared = fixtureServerFactory().createServer()
    const lines: string[] = []
    const handler = new StreamableHttpHandler({
      createServer: () => shared,
      log: (_level, message) => void lines.push(message),
    })
    cleanups.push(() => handler.close())
    const initialize = () =>
      handler.handleRequest(
        new Request('http://127.0.0.1/mcp', {
          method: 'POST',
          headers: MCP_HEADERS,
          body: initializeBody(),
        }),
      )
    const first = await initialize()
    expect(first.status).toBe(200)
    await first.body?.cancel()
    const second = await initialize()
    expect(second.status).toBe(500)
    expect(lines.some((line) => line.includes('Return a new Server from every call'))).toBe(true)
    expect(handler.sessionCount).toBe(1)
  })
})
