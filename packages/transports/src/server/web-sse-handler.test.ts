import { SSEClientTransport } from '@modelcontextprotocol/client'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  eventually,
  fixtureServerFactory,
  listenFetch,
  rawRequest,
  recordingClient,
  toolJson,
} from '../test-support.js'
import type { SseHandlerOptions } from './sse-sessions.js'
import { WebSseHandler } from './web-sse-handler.js'

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
  const handler = new WebSseHandler({ createServer: fixture.createServer, ...options })
  const http = await listenFetch((request) => {
    const user = request.headers.get('x-user')
    return handler.handleRequest(request, {
      ...paths,
      ...(user
        ? { authInfo: { token: `t-${user}`, clientId: 'app', scopes: [], extra: { sub: user } } }
        : {}),
    })
  })
  cleanups.push(
    () => http.close(),
    () => handler.close(),
    () => fixture.release(),
  )
  return { fixture, handler, http }
}

describe('WebSseHandler (legacy SSE on web streams)', () => {
  it('serves several SDK clients at once, each isolated on its own Server', async () => {
    const { http, handler, fixture } = await setup()
    const clients = await Promise.all(
      ['a', 'b'].map(async (name) => {
        const recorder = recordingClient(name)
        await recorder.client.connect(new SSEClientTransport(new URL(http.url('/sse'))))
        cleanups.push(() => recorder.client.close())
        return { name, ...recorder }
      }),
    )
    expect(handler.sessionCount).toBe(2)
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, round) =>
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
      expect(questions.every((question) => question.startsWith(`question:${name}`))).toBe(true)
      await eventually(() => logs.length === 10)
      expect(logs.every((line) => line.includes(`:${name}`))).toBe(true)
    }
    // A client that leaves cancels its stream, which ends its session and closes its Server.
    await clients[0]!.client.close()
    await eventually(() => handler.sessionCount === 1)
    await eventually(() => fixture.stats.closed === 1)
  })

  it('binds sessions to principals and answers JSON-RPC errors', async () => {
    const { http, handler } = await setup({ maxBodyBytes: 512 })
    const recorder = recordingClient('alice')
    const transport = new SSEClientTransport(new URL(http.url('/sse')), {
      requestInit: { headers: { 'x-user': 'alice' } },
      eventSourceInit: {
        fetch: (url, init) =>
          fetch(url, {
            ...init,
            headers: { ...Object.fromEntries(new Headers(init?.headers)), 'x-user': 'alice' },
          }),
      },
    })
    await recorder.client.connect(transport)
    cleanups.push(() => recorder.client.close())
    const me = toolJson(await recorder.client.callTool({ name: 'whoami', arguments: {} }))
    expect(me.authInfo).toMatchObject({ token: 't-alice' })

    // Handlers see the message POST as the Request the handler was given.
    expect(me.request).toEqual({
      isRequest: true,
      method: 'POST',
      url: http.url(`/message?sessionId=${me.sessionId}`),
      probe: null,
    })

    const endpoint = http.url(`/message?sessionId=${handler.lastTransport?.sessionId}`)
    const post = (body: string, user?: string) =>
      rawRequest(endpoint, {
        headers: { 'content-type': 'application/json', ...(user ? { 'x-user': user } : {}) },
        body,
      })
    const list = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' })
    expect((await post(list, 'bob')).status).toBe(403)
    expect((await post(list)).status).toBe(403)
    expect(JSON.parse((await post('{', 'alice')).body).error.code).toBe(-32700)
    expect(JSON.parse((await post('{"id":1}', 'alice')).body).error.code).toBe(-32600)
    expect((await post(JSON.stringify({ pad: 'x'.repeat(2000) }), 'alice')).status).toBe(413)
    const unknown = await rawRequest(http.url('/message?sessionId=gone'), {
      headers: { 'content-type': 'application/json', 'x-user': 'alice' },
      body: list,
    })
    expect(unknown.status).toBe(404)
    expect(JSON.parse(unknown.body).error.code).toBe(-32001)
    expect((await rawRequest(http.url('/elsewhere'), { method: 'GET' })).status).toBe(404)
    const evil = await rawRequest(http.url('/sse'), {
      method: 'GET',
      headers: { host: 'evil.example.com' },
    })
    expect(evil.status).toBe(403)
    // Still serving.
    expect(
      toolJson(await recorder.client.callTool({ name: 'whoami', arguments: {} })).serverNumber,
    ).toBe(1)
  })

  it('expires idle sessions and close() ends the streams', async () => {
    fakeSweepClock()
    const { http, handler } = await setup({ sessionIdleTimeoutMs: 120, keepAliveMs: 0 })
    const open = () => {
      const controller = new AbortController()
      cleanups.push(() => controller.abort())
      return fetch(http.url('/sse'), { signal: controller.signal })
    }
    await open()
    await eventually(() => handler.sessionCount === 1)
    vi.advanceTimersByTime(119)
    expect(handler.sessionCount, 'not expired before the idle timeout').toBe(1)
    vi.advanceTimersByTime(1 + 2 * 30)
    await eventually(() => handler.sessionCount === 0)
    const live = await open()
    expect(handler.sessionCount).toBe(1)
    await handler.close()
    const text = await live.text()
    expect(text).toMatch(/^event: endpoint\ndata: \/message\?sessionId=/)
    expect(handler.sessionCount).toBe(0)
  })
})
