import type { IncomingMessage } from 'node:http'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import type { AuthInfo } from '@modelcontextprotocol/server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { StreamableHttpHandlerOptions } from '../server/streamable-http-sessions.js'
import {
  eventually,
  fixtureServerFactory,
  initializeBody,
  type Listening,
  listen,
  MCP_HEADERS,
  rawRequest,
  recordingClient,
  toolJson,
} from '../test-support.js'
import { NodeStreamableHttpHandler } from './node-streamable-http-handler.js'

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  vi.useRealTimers()
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** The idle sweep (`setInterval`) and its clock (`Date`) are fake; sockets and `setTimeout` are real. */
function fakeSweepClock(): void {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] })
}

async function setup(
  options: Partial<StreamableHttpHandlerOptions> = {},
  authOf?: (req: IncomingMessage) => AuthInfo | undefined,
) {
  const fixture = fixtureServerFactory()
  const handler = new NodeStreamableHttpHandler({ createServer: fixture.createServer, ...options })
  const http = await listen((req, res) => {
    const auth = authOf?.(req)
    if (auth) (req as IncomingMessage & { auth?: AuthInfo }).auth = auth
    return handler.handle(req, res)
  })
  cleanups.push(
    () => http.close(),
    () => handler.close(),
    () => fixture.release(),
  )
  return { fixture, handler, http }
}

async function connect(http: Listening, name: string, headers?: Record<string, string>) {
  const recorder = recordingClient(name)
  const transport = new StreamableHTTPClientTransport(new URL(http.url()), {
    ...(headers ? { requestInit: { headers } } : {}),
  })
  await recorder.client.connect(transport)
  cleanups.push(() => recorder.client.close())
  return { ...recorder, transport }
}

async function initializeRaw(http: Listening, headers: Record<string, string> = {}) {
  const answer = await rawRequest(http.url(), {
    headers: { ...MCP_HEADERS, ...headers },
    body: initializeBody(),
  })
  return { ...answer, sessionId: answer.headers['mcp-session-id'] as string | undefined }
}

const toolsCall = (name: string, id = 2) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } })

describe('NodeStreamableHttpHandler', () => {
  it('serves an SDK client: list, call, and DELETE on close ends the session', async () => {
    const closed: string[] = []
    const { handler, http, fixture } = await setup({
      onsessionclosed: (id) => void closed.push(id),
    })
    const { client, transport } = await connect(http, 'a')
    const { tools } = await client.listTools()
    expect(tools.map((tool) => tool.name)).toEqual(['whoami', 'ask', 'wait'])
    const me = toolJson(await client.callTool({ name: 'whoami', arguments: {} }))
    expect(me.sessionId).toBe(transport.sessionId)
    expect(handler.sessionCount).toBe(1)
    expect(handler.lastTransport?.sessionId).toBe(transport.sessionId)

    const sessionId = transport.sessionId!
    await transport.terminateSession()
    expect(handler.sessionCount).toBe(0)
    expect(closed).toEqual([sessionId])
    expect(fixture.stats.closed).toBe(1)
    const after = await rawRequest(http.url(), {
      headers: { ...MCP_HEADERS, 'mcp-session-id': sessionId },
      body: toolsCall('whoami'),
    })
    expect(after.status).toBe(404)
    expect(JSON.parse(after.body)).toMatchObject({
      jsonrpc: '2.0',
      error: { code: -32001 },
      id: null,
    })
  })

  it('hands handlers the HTTP request as a web Request', async () => {
    const { http } = await setup()
    const a = await connect(http, 'a', { 'x-probe': 'from-a' })
    const b = await connect(http, 'b')
    const me = toolJson(await a.client.callTool({ name: 'whoami', arguments: {} }))
    expect(me.request).toEqual({
      isRequest: true,
      method: 'POST',
      url: http.url(),
      probe: 'from-a',
    })
    expect(toolJson(await b.client.callTool({ name: 'whoami', arguments: {} })).request).toEqual(
      expect.objectContaining({ probe: null }),
    )
  })

  it('keeps serving when the log function throws', async () => {
    const { handler, http } = await setup({
      log: () => {
        throw new Error('logger broke')
      },
    })
    const { client, transport } = await connect(http, 'a')
    expect(toolJson(await client.callTool({ name: 'whoami', arguments: {} })).serverNumber).toBe(1)
    await transport.terminateSession()
    expect(handler.sessionCount).toBe(0)
    const unknown = await rawRequest(http.url(), {
      headers: { ...MCP_HEADERS, 'mcp-session-id': 'no-such-session' },
      body: toolsCall('whoami'),
    })
    expect(unknown.status).toBe(404)
  })

  it('isolates concurrent sessions: replies, notifications and elicitation reach only their own client', async () => {
    const { http, fixture } = await setup()
    const a = await connect(http, 'a')
    const b = await connect(http, 'b')
    expect(fixture.stats.created).toBe(2)
    const calls = []
    for (let round = 0; round < 10; round++) {
      calls.push(a.client.callTool({ name: 'ask', arguments: { tag: `a${round}` } }))
      calls.push(b.client.callTool({ name: 'ask', arguments: { tag: `b${round}` } }))
    }
    const results = (await Promise.all(calls)).map(toolJson)
    for (const [index, result] of results.entries()) {
      const who = index % 2 === 0 ? 'a' : 'b'
      const round = Math.floor(index / 2)
      expect(result).toEqual({ tag: `${who}${round}`, answer: `${who}:question:${who}${round}` })
    }
    for (const [name, recorder] of [
      ['a', a],
      ['b', b],
    ] as const) {
      expect(recorder.questions).toHaveLength(10)
      expect(recorder.questions.every((question) => question.startsWith(`question:${name}`))).toBe(
        true,
      )
      await eventually(() => recorder.logs.length === 20)
      expect(recorder.logs.every((line) => line.includes(`:${name}`))).toBe(true)
    }
  })

  it('stateless: each POST is served by its own Server, closed after the response', async () => {
    const { handler, http, fixture } = await setup({ sessionIdGenerator: undefined })
    const first = await rawRequest(http.url(), { headers: MCP_HEADERS, body: toolsCall('whoami') })
    const second = await rawRequest(http.url(), { headers: MCP_HEADERS, body: toolsCall('whoami') })
    expect(first.status).toBe(200)
    expect(first.headers['mcp-session-id']).toBeUndefined()
    expect(first.body).toContain('\\"serverNumber\\":1')
    expect(second.body).toContain('\\"serverNumber\\":2')
    await eventually(() => fixture.stats.closed === 2)
    expect(handler.sessionCount).toBe(0)
    const get = await rawRequest(http.url(), {
      method: 'GET',
      headers: { accept: 'text/event-stream' },
    })
    expect(get.status).toBe(405)
    expect(JSON.parse(get.body).error.code).toBe(-32000)

    // The SDK client works against it too (it never gets a session id).
    const { client } = await connect(http, 'stateless')
    expect((await client.listTools()).tools).toHaveLength(3)
  })

  it('expires idle sessions; their id then answers 404 so the client re-initializes', async () => {
    fakeSweepClock()
    const closed: string[] = []
    const { handler, http } = await setup({
      sessionIdleTimeoutMs: 150,
      onsessionclosed: (id) => void closed.push(id),
    })
    const { sessionId } = await initializeRaw(http)
    expect(handler.sessionCount).toBe(1)
    vi.advanceTimersByTime(149)
    expect(handler.sessionCount, 'not expired before its idle timeout').toBe(1)
    // The sweep runs every idleTimeout / 4.
    vi.advanceTimersByTime(1 + 2 * 37.5)
    await eventually(() => handler.sessionCount === 0 && closed.length === 1)
    expect(closed).toEqual([sessionId])
    const late = await rawRequest(http.url(), {
      headers: { ...MCP_HEADERS, 'mcp-session-id': sessionId! },
      body: toolsCall('whoami'),
    })
    expect(late.status).toBe(404)
    expect(JSON.parse(late.body).error.code).toBe(-32001)
  })

  it('keeps a session with a request in progress past its idle timeout', async () => {
    fakeSweepClock()
    const { handler, http, fixture } = await setup({ sessionIdleTimeoutMs: 100 })
    const { client } = await connect(http, 'slow')
    const call = client.callTool({ name: 'wait', arguments: {} })
    await fixture.waitStarted()
    vi.advanceTimersByTime(400)
    expect(handler.sessionCount).toBe(1)
    fixture.release()
    expect(toolJson(await call)).toBe('released')
  }, 10_000)

  it('at maxSessions evicts the longest-idle session, and answers 503 when all are busy', async () => {
    const { handler, http, fixture } = await setup({ maxSessions: 2 })
    const first = await initializeRaw(http)
    await new Promise((resolve) => setTimeout(resolve, 5))
    const second = await initializeRaw(http)
    const third = await initializeRaw(http)
    expect(third.status).toBe(200)
    expect(handler.sessionCount).toBe(2)
    const evicted = await rawRequest(http.url(), {
      headers: { ...MCP_HEADERS, 'mcp-session-id': first.sessionId! },
      body: toolsCall('whoami'),
    })
    expect(evicted.status).toBe(404)

    // Both remaining sessions busy: a new one is refused.
    const busy = [second, third].map((session) =>
      rawRequest(http.url(), {
        headers: { ...MCP_HEADERS, 'mcp-session-id': session.sessionId! },
        body: toolsCall('wait'),
      }),
    )
    await eventually(() => fixture.stats.created === 3)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const refused = await initializeRaw(http)
    expect(refused.status).toBe(503)
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: -32000 }, id: null })
    fixture.release()
    expect((await Promise.all(busy)).map((answer) => answer.status)).toEqual([200, 200])
  })

  it('answers 400 for a request without session id and 404 for an unknown one', async () => {
    const { http } = await setup()
    const missing = await rawRequest(http.url(), {
      headers: MCP_HEADERS,
      body: toolsCall('whoami'),
    })
    expect(missing.status).toBe(400)
    expect(JSON.parse(missing.body).error.code).toBe(-32000)
    const unknown = await rawRequest(http.url(), {
      headers: { ...MCP_HEADERS, 'mcp-session-id': 'no-such-session' },
      body: toolsCall('whoami'),
    })
    expect(unknown.status).toBe(404)
    expect(JSON.parse(unknown.body)).toMatchObject({
      jsonrpc: '2.0',
      error: { code: -32001 },
      id: null,
    })
  })

  describe('Host and Origin validation', () => {
    it('refuses a foreign Host or Origin by default and accepts loopback ones', async () => {
      const { http, handler } = await setup()
      for (const headers of [
        { host: 'evil.example.com' },
        { host: `evil.example.com:${http.port}` },
        { host: `localhost:${http.port}`, origin: 'http://evil.example.com' },
        { host: `localhost:${http.port}`, origin: 'null' },
      ]) {
        const answer = await initializeRaw(http, headers)
        expect(answer.status, JSON.stringify(headers)).toBe(403)
        expect(JSON.parse(answer.body)).toMatchObject({
          jsonrpc: '2.0',
          error: { code: -32000 },
          id: null,
        })
      }
      expect(handler.sessionCount).toBe(0)
      for (const headers of [
        { host: `localhost:${http.port}`, origin: `http://localhost:${http.port}` },
        { host: `127.0.0.1:${http.port}` },
        { host: `[::1]:${http.port}`, origin: `https://[::1]:${http.port}` },
        { host: 'LOCALHOST' },
      ]) {
        expect((await initializeRaw(http, headers)).status, JSON.stringify(headers)).toBe(200)
      }
    })

    it('behaves as the conformance dns-rebinding-protection scenario expects', async () => {
      const { http } = await setup()
      const post = (host: string) =>
        rawRequest(http.url(), {
          headers: { ...MCP_HEADERS, host, origin: `http://${host}` },
          body: initializeBody(),
        })
      const rebinding = await post('evil.example.com')
      expect(rebinding.status).toBeGreaterThanOrEqual(400)
      expect(rebinding.status).toBeLessThan(500)
      const valid = await post(`localhost:${http.port}`)
      expect(valid.status).toBeGreaterThanOrEqual(200)
      expect(valid.status).toBeLessThan(300)
    })

    it('follows configured allow-lists, and false turns the checks off', async () => {
      const configured = await setup({
        allowedHosts: ['mcp.example.com', `127.0.0.1:${1}`],
        allowedOrigins: ['https://app.example.com'],
      })
      const ok = await initializeRaw(configured.http, {
        host: 'mcp.example.com',
        origin: 'https://app.example.com',
      })
      expect(ok.status).toBe(200)
      expect(
        (await initializeRaw(configured.http, { host: `127.0.0.1:${configured.http.port}` }))
          .status,
      ).toBe(403)
      expect(
        (
          await initializeRaw(configured.http, {
            host: 'mcp.example.com',
            origin: 'https://mcp.example.com',
          })
        ).status,
      ).toBe(403)

      const open = await setup({ allowedHosts: false })
      expect(
        (
          await initializeRaw(open.http, {
            host: 'evil.example.com',
            origin: 'http://evil.example.com',
          })
        ).status,
      ).toBe(200)
    })

    it('rejects malformed allow-list options at construction', () => {
      const createServer = fixtureServerFactory().createServer
      expect(
        () => new NodeStreamableHttpHandler({ createServer, allowedHosts: ['bad host:x'] }),
      ).toThrow(expect.objectContaining({ code: 'INVALID_CONFIGURATION' }))
      expect(() => new NodeStreamableHttpHandler({ createServer, maxBodyBytes: 0 })).toThrow(
        expect.objectContaining({ code: 'INVALID_CONFIGURATION' }),
      )
      expect(() => new NodeStreamableHttpHandler({ createServer, maxSessions: -1 })).toThrow(
        expect.objectContaining({ code: 'INVALID_CONFIGURATION' }),
      )
    })
  })

  describe('hostile bodies', () => {
    it('answers 413 for a declared oversized body without reading it', async () => {
      const { http } = await setup({ maxBodyBytes: 1024 })
      const answer = await rawRequest(http.url(), {
        headers: MCP_HEADERS,
        body: JSON.stringify({ padding: 'x'.repeat(10_000) }),
      })
      expect(answer.status).toBe(413)
      expect(JSON.parse(answer.body)).toMatchObject({
        jsonrpc: '2.0',
        error: { code: -32000 },
        id: null,
      })
    })

    it('stops reading a streamed body at the cap and answers 413 before it ends', async () => {
      const { http } = await setup({ maxBodyBytes: 1024 })
      let sent = 0
      let stop = false
      async function* endless() {
        yield Buffer.from('{"padding":"')
        while (!stop && sent < 50_000_000) {
          sent += 4096
          yield Buffer.alloc(4096, 'x')
          await new Promise((resolve) => setTimeout(resolve, 1))
        }
      }
      const answer = await rawRequest(http.url(), {
        headers: { ...MCP_HEADERS, 'transfer-encoding': 'chunked' },
        body: endless(),
      })
      stop = true
      expect(answer.status).toBe(413)
      expect(answer.headers.connection).toBe('close')
      expect(sent).toBeLessThan(1_000_000)
    })

    it('answers -32700 for malformed JSON and -32600 for invalid JSON-RPC, and keeps serving', async () => {
      const { http } = await setup()
      const { sessionId } = await initializeRaw(http)
      const headers = { ...MCP_HEADERS, 'mcp-session-id': sessionId! }
      const malformed = await rawRequest(http.url(), {
        headers,
        body: '{"jsonrpc": "2.0", "id": 1,',
      })
      expect(malformed.status).toBe(400)
      expect(JSON.parse(malformed.body)).toMatchObject({ error: { code: -32700 }, id: null })
      for (const body of [
        '{"hello": "world"}',
        '{"jsonrpc": "1.0", "id": 1, "method": "tools/list"}',
        '{"jsonrpc": "2.0", "id": 1.5, "method": "tools/list"}',
        '{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "extra": true}',
        '[]',
        '42',
      ]) {
        const invalid = await rawRequest(http.url(), { headers, body })
        expect(invalid.status, body).toBe(400)
        expect(JSON.parse(invalid.body), body).toMatchObject({ error: { code: -32600 }, id: null })
      }
      const fine = await rawRequest(http.url(), { headers, body: toolsCall('whoami') })
      expect(fine.status).toBe(200)
      expect(fine.body).toContain(sessionId)
    })
  })

  describe('authInfo and principals', () => {
    const token = (user: string): AuthInfo => ({
      token: `token-${user}`,
      clientId: 'shared-client',
      scopes: ['mcp'],
      extra: { sub: user },
    })
    const byHeader = (req: IncomingMessage) => {
      const user = req.headers['x-user']
      return typeof user === 'string' ? token(user) : undefined
    }

    it('hands req.auth to handlers as extra.authInfo', async () => {
      const { http } = await setup({}, byHeader)
      const { client } = await connect(http, 'alice', { 'x-user': 'alice' })
      const me = toolJson(await client.callTool({ name: 'whoami', arguments: {} }))
      expect(me.authInfo).toMatchObject({ token: 'token-alice', extra: { sub: 'alice' } })
    })

    it('refuses another principal on a session with 403, and anonymous requests too', async () => {
      const { http } = await setup({}, byHeader)
      const { sessionId } = await initializeRaw(http, { 'x-user': 'alice' })
      const asUser = (user?: string) =>
        rawRequest(http.url(), {
          headers: {
            ...MCP_HEADERS,
            'mcp-session-id': sessionId!,
            ...(user ? { 'x-user': user } : {}),
          },
          body: toolsCall('whoami'),
        })
      expect((await asUser('alice')).status).toBe(200)
      const bob = await asUser('bob')
      expect(bob.status).toBe(403)
      expect(JSON.parse(bob.body)).toMatchObject({ error: { code: -32000 }, id: null })
      expect((await asUser()).status).toBe(403)
      const stream = await rawRequest(http.url(), {
        method: 'DELETE',
        headers: { 'mcp-session-id': sessionId!, 'x-user': 'bob' },
      })
      expect(stream.status).toBe(403)
    })

    it('uses principalOf when given', async () => {
      const { http } = await setup({ principalOf: (auth) => auth.clientId }, byHeader)
      const { sessionId } = await initializeRaw(http, { 'x-user': 'alice' })
      const bob = await rawRequest(http.url(), {
        headers: { ...MCP_HEADERS, 'mcp-session-id': sessionId!, 'x-user': 'bob' },
        body: toolsCall('whoami'),
      })
      expect(bob.status).toBe(200)
    })
  })

  it('close() ends every session and leaves no timers or sockets', async () => {
    const intervals: NodeJS.Timeout[] = []
    const realSetInterval = globalThis.setInterval
    const spy = vi.spyOn(globalThis, 'setInterval').mockImplementation(((
      callback: () => void,
      ms?: number,
    ) => {
      const timer = realSetInterval(callback, ms)
      intervals.push(timer)
      return timer
    }) as typeof setInterval)
    cleanups.push(() => spy.mockRestore())

    const before = process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap')
    const fixture = fixtureServerFactory()
    const handler = new NodeStreamableHttpHandler({ createServer: fixture.createServer })
    const http = await listen((req, res) => handler.handle(req, res))
    const a = recordingClient('a')
    const b = recordingClient('b')
    const transportA = new StreamableHTTPClientTransport(new URL(http.url()))
    await a.client.connect(transportA)
    await b.client.connect(new StreamableHTTPClientTransport(new URL(http.url())))
    await a.client.callTool({ name: 'whoami', arguments: {} })
    expect(handler.sessionCount).toBe(2)
    // The idle sweep never keeps the process alive.
    expect(intervals.length).toBeGreaterThan(0)
    expect(intervals.every((timer) => !timer.hasRef())).toBe(true)

    await handler.close()
    await handler.close()
    expect(handler.sessionCount).toBe(0)
    expect(fixture.stats.closed).toBe(2)
    const late = await rawRequest(http.url(), { headers: MCP_HEADERS, body: initializeBody() })
    expect(late.status).toBe(503)

    await a.client.close()
    await b.client.close()
    await http.close()
    await eventually(() => {
      const after = process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap')
      return after.length <= before.length
    })
    // Every interval the handler or the SDK armed has been cleared.
    expect(
      intervals.every((timer) => (timer as unknown as { _destroyed: boolean })._destroyed),
    ).toBe(true)
  })

  it('frees 1,000 abandoned sessions after the idle timeout', async () => {
    fakeSweepClock()
    const { handler, http, fixture } = await setup({ sessionIdleTimeoutMs: 300 })
    let opened = 0
    const open = async () => {
      while (opened < 1000) {
        opened++
        const answer = await rawRequest(http.url(), {
          headers: MCP_HEADERS,
          body: initializeBody(),
        })
        if (answer.status !== 200) throw new Error(`initialize answered ${answer.status}`)
      }
    }
    await Promise.all(Array.from({ length: 8 }, open))
    expect(fixture.stats.created).toBe(1000)
    expect(handler.sessionCount).toBeGreaterThan(0)
    vi.advanceTimersByTime(300 + 2 * 75)
    await eventually(() => handler.sessionCount === 0, 10_000)
    expect(fixture.stats.closed).toBe(1000)
  }, 30_000)

  it('uses a body that middleware already parsed, and answers JSON with enableJsonResponse', async () => {
    const fixture = fixtureServerFactory()
    const handler = new NodeStreamableHttpHandler({
      createServer: fixture.createServer,
      enableJsonResponse: true,
    })
    const http = await listen(async (req, res) => {
      // What express.json() does: consume the stream, leave the result on req.body.
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      if (chunks.length > 0)
        (req as { body?: unknown }).body = JSON.parse(Buffer.concat(chunks).toString())
      await handler.handle(req, res)
    })
    cleanups.push(
      () => http.close(),
      () => handler.close(),
    )
    const init = await initializeRaw(http)
    expect(init.status).toBe(200)
    expect(init.headers['content-type']).toContain('application/json')
    const call = await rawRequest(http.url(), {
      headers: { ...MCP_HEADERS, 'mcp-session-id': init.sessionId! },
      body: toolsCall('whoami'),
    })
    expect(call.status).toBe(200)
    expect(JSON.parse(call.body)).toMatchObject({ jsonrpc: '2.0', id: 2, result: {} })
  })
})
