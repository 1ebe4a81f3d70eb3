import type { IncomingMessage } from 'node:http'
import { SSEClientTransport } from '@modelcontextprotocol/client'
import type { AuthInfo } from '@modelcontextprotocol/server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { SseHandlerOptions } from '../server/sse-sessions.js'
import {
  eventually,
  fixtureServerFactory,
  type Listening,
  listen,
  rawRequest,
  recordingClient,
  toolJson,
} from '../test-support.js'
import { NodeSseHandler } from './node-sse-handler.js'

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  vi.useRealTimers()
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** The idle sweep (`setInterval`) and its clock (`Date`) are fake; sockets and `setTimeout` are real. */
function fakeSweepClock(): void {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] })
}

const paths = { ssePath: '/sse', messagePath: '/message' }

async function setup(options: Partial<SseHandlerOptions> = {}) {
  const fixture = fixtureServerFactory()
  const handler = new NodeSseHandler({ createServer: fixture.createServer, ...options })
  const http = await listen((req, res) => {
    const user = req.headers['x-user']
    if (typeof user === 'string') {
      ;(req as IncomingMessage & { auth?: AuthInfo }).auth = {
        token: `t-${user}`,
        clientId: 'app',
        scopes: [],
        extra: { sub: user },
      }
    }
    return handler.handle(req, res, paths)
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
  const transport = new SSEClientTransport(new URL(http.url('/sse')), {
    ...(headers
      ? {
          requestInit: { headers },
          eventSourceInit: {
            fetch: (url, init) =>
              fetch(url, {
                ...init,
                headers: { ...Object.fromEntries(new Headers(init?.headers)), ...headers },
              }),
          },
        }
      : {}),
  })
  await recorder.client.connect(transport)
  cleanups.push(() => recorder.client.close())
  return { ...recorder, transport }
}

/** Opens an SSE stream by hand and returns the endpoint it announced. */
async function openStream(http: Listening, headers: Record<string, string> = {}) {
  const controller = new AbortController()
  cleanups.push(() => controller.abort())
  const response = await fetch(http.url('/sse'), {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  })
  const reader = response.body!.getReader()
  let text = ''
  while (!text.includes('\n\n')) {
    const { value, done } = await reader.read()
    if (done) break
    text += new TextDecoder().decode(value)
  }
  const endpoint = /data: (.*)\n/.exec(text)?.[1]
  return { response, reader, endpoint, close: () => controller.abort() }
}

describe('NodeSseHandler (legacy SSE on node:http)', () => {
  it('serves many clients at once, each isolated on its own Server', async () => {
    const { http, fixture, handler } = await setup()
    const a = await connect(http, 'a')
    const b = await connect(http, 'b')
    const c = await connect(http, 'c')
    expect(handler.sessionCount).toBe(3)
    expect(fixture.stats.created).toBe(3)
    const recorders = { a, b, c }
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, round) =>
        Object.entries(recorders).map(([name, { client }]) =>
          client.callTool({ name: 'ask', arguments: { tag: `${name}${round}` } }),
        ),
      ).flat(),
    )
    for (const result of results.map(toolJson)) {
      const tag = String(result.tag)
      expect(result.answer).toBe(`${tag[0]}:question:${tag}`)
    }
    for (const [name, recorder] of Object.entries(recorders)) {
      expect(recorder.questions).toHaveLength(5)
      expect(recorder.questions.every((question) => question.startsWith(`question:${name}`))).toBe(
        true,
      )
      await eventually(() => recorder.logs.length === 10)
      expect(recorder.logs.every((line) => line.includes(`:${name}`))).toBe(true)
    }
    // A client leaving ends only its own session.
    await a.client.close()
    await eventually(() => handler.sessionCount === 2)
    expect(toolJson(await b.client.callTool({ name: 'whoami', arguments: {} })).serverNumber).toBe(
      2,
    )
  })

  it('hands handlers the message POST as a web Request', async () => {
    const { http } = await setup()
    const a = await connect(http, 'a', { 'x-probe': 'from-a' })
    await connect(http, 'b')
    const me = toolJson(await a.client.callTool({ name: 'whoami', arguments: {} }))
    expect(me.request).toEqual({
      isRequest: true,
      method: 'POST',
      url: `${http.url('/message')}?sessionId=${me.sessionId}`,
      probe: 'from-a',
    })
  })

  it('answers JSON-RPC errors: unknown session 404, missing id 400, bad bodies 400/413, other paths 404', async () => {
    const { http } = await setup({ maxBodyBytes: 1024 })
    const stream = await openStream(http)
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream')
    expect(stream.endpoint).toMatch(/^\/message\?sessionId=[\w-]+$/)
    const post = (path: string, body: string) =>
      rawRequest(http.url(path), { headers: { 'content-type': 'application/json' }, body })
    const valid = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })

    const unknown = await post('/message?sessionId=nope', valid)
    expect(unknown.status).toBe(404)
    expect(JSON.parse(unknown.body)).toMatchObject({
      jsonrpc: '2.0',
      error: { code: -32001 },
      id: null,
    })
    expect((await post('/message', valid)).status).toBe(400)
    const malformed = await post(stream.endpoint!, '{oops')
    expect(malformed.status).toBe(400)
    expect(JSON.parse(malformed.body).error.code).toBe(-32700)
    const invalid = await post(stream.endpoint!, '{"jsonrpc":"2.0"}')
    expect(invalid.status).toBe(400)
    expect(JSON.parse(invalid.body).error.code).toBe(-32600)
    const big = await post(stream.endpoint!, JSON.stringify({ pad: 'x'.repeat(5000) }))
    expect(big.status).toBe(413)
    expect(JSON.parse(big.body).error.code).toBe(-32000)
    const elsewhere = await rawRequest(http.url('/other'), { method: 'GET' })
    expect(elsewhere.status).toBe(404)
    expect(JSON.parse(elsewhere.body).error).toBeDefined()
    expect((await rawRequest(http.url('/sse'), { method: 'POST', body: valid })).status).toBe(405)
    expect((await post(stream.endpoint!, valid)).status).toBe(202)
  })

  it('refuses a foreign Host, and another principal on a session', async () => {
    const { http, handler } = await setup()
    const evil = await rawRequest(http.url('/sse'), {
      method: 'GET',
      headers: { host: 'evil.example.com' },
    })
    expect(evil.status).toBe(403)
    expect(JSON.parse(evil.body)).toMatchObject({ error: { code: -32000 }, id: null })
    expect(handler.sessionCount).toBe(0)

    const alice = await connect(http, 'alice', { 'x-user': 'alice' })
    const me = toolJson(await alice.client.callTool({ name: 'whoami', arguments: {} }))
    expect(me.authInfo).toMatchObject({ token: 't-alice' })
    const endpoint = `/message?sessionId=${handler.lastTransport?.sessionId}`
    const bob = await rawRequest(http.url(endpoint), {
      headers: { 'content-type': 'application/json', 'x-user': 'bob' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/list' }),
    })
    expect(bob.status).toBe(403)
  })

  it('expires idle streams and frees them; close() ends the rest', async () => {
    fakeSweepClock()
    const { http, handler, fixture } = await setup({ sessionIdleTimeoutMs: 150 })
    await openStream(http)
    await openStream(http)
    expect(handler.sessionCount).toBe(2)
    vi.advanceTimersByTime(149)
    expect(handler.sessionCount, 'not expired before the idle timeout').toBe(2)
    vi.advanceTimersByTime(1 + 2 * 37.5)
    await eventually(() => handler.sessionCount === 0 && fixture.stats.closed === 2)
    expect(fixture.stats.closed).toBe(2)

    const live = await openStream(http)
    expect(handler.sessionCount).toBe(1)
    await handler.close()
    expect(handler.sessionCount).toBe(0)
    // The stream was ended by the server.
    let done = false
    while (!done) done = (await live.reader.read()).done
    expect(done).toBe(true)
    expect((await rawRequest(http.url('/sse'), { method: 'GET' })).status).toBe(503)
  })
})
