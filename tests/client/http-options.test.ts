// What an HTTP server definition promises about each request it makes: the custom `fetch`
// sees the request context of the call that caused the request (null in the handshake), and
// `requestInit.headers` reach every request, the SSE stream included.
import { MCPClient } from '@mcpkit/mcp-client-core'
import { isMCPKitError, RequestContext } from '@mcpkit/types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FixtureServer, startFixture } from '../support/fixture-server.js'
import { expectMCPError, textOf, thrownBy } from '../support/helpers.js'
import { waitFor } from '../support/processes.js'

interface SeenRequest {
  method: string
  rpcMethods: string[]
  /** For tools/call: the `text` argument, to tell concurrent calls apart. */
  texts: string[]
  requestContext: RequestContext | null
}

function recordingFetch(seen: SeenRequest[]) {
  return (
    url: string | URL,
    init: RequestInit | undefined,
    requestContext: RequestContext | null,
  ) => {
    let rpcMethods: string[] = []
    let texts: string[] = []
    if (typeof init?.body === 'string') {
      const parsed = JSON.parse(init.body) as unknown
      const messages = (Array.isArray(parsed) ? parsed : [parsed]) as Array<{
        method?: string
        params?: { arguments?: { text?: string } }
      }>
      rpcMethods = messages.flatMap((message) => (message.method ? [message.method] : []))
      texts = messages.flatMap((message) =>
        typeof message.params?.arguments?.text === 'string' ? [message.params.arguments.text] : [],
      )
    }
    seen.push({ method: init?.method ?? 'GET', rpcMethods, texts, requestContext })
    return fetch(url, init)
  }
}

describe('custom fetch(url, init, requestContext)', () => {
  let fixture: FixtureServer

  beforeAll(async () => {
    fixture = await startFixture()
  })
  afterAll(async () => {
    await fixture?.stop()
  })

  it('gets null in the handshake and each call’s own RequestContext afterwards', async () => {
    const seen: SeenRequest[] = []
    const client = new MCPClient({
      id: 'context-fetch',
      servers: { fixture: { url: fixture.url, fetch: recordingFetch(seen) } },
    })
    try {
      const listContext = new RequestContext({ user: 'lister' })
      const toolsets = await client.listToolsets({ requestContext: listContext })
      const echo = toolsets.fixture?.echo
      expect(echo).toBeDefined()

      const handshake = seen.filter(
        (request) =>
          request.rpcMethods.includes('initialize') ||
          request.rpcMethods.includes('notifications/initialized'),
      )
      expect(handshake).toHaveLength(2)
      for (const request of handshake) expect(request.requestContext).toBeNull()

      const list = seen.filter((request) => request.rpcMethods.includes('tools/list'))
      expect(list.length).toBeGreaterThanOrEqual(1)
      // the context given to the list call, not null and not another one
      expect(list[0]?.requestContext).toBe(listContext)

      // Two calls at once, each with its own user: each request carries its own context.
      const alice = new RequestContext({ user: 'alice' })
      const bob = new RequestContext({ user: 'bob' })
      const [forAlice, forBob] = await Promise.all([
        echo?.execute({ text: 'for alice' }, { requestContext: alice }),
        echo?.execute({ text: 'for bob' }, { requestContext: bob }),
      ])
      expect(textOf(forAlice)).toBe('for alice')
      expect(textOf(forBob)).toBe('for bob')
      const calls = seen.filter((request) => request.rpcMethods.includes('tools/call'))
      expect(calls).toHaveLength(2)
      for (const call of calls) {
        const expected = call.texts[0] === 'for alice' ? alice : bob
        expect(call.requestContext).toBe(expected)
      }

      // The server-push stream (GET) is opened by the handshake: null.
      const streams = seen.filter((request) => request.method === 'GET')
      expect(streams.length).toBeGreaterThanOrEqual(1)
      for (const stream of streams) expect(stream.requestContext).toBeNull()

      // Resource and prompt calls carry theirs too.
      const reader = new RequestContext({ user: 'reader' })
      await client.resources.read('fixture', 'fixture://status', { requestContext: reader })
      const reads = seen.filter((request) => request.rpcMethods.includes('resources/read'))
      expect(reads.map((request) => request.requestContext)).toEqual([reader])
      const prompter = new RequestContext({ user: 'prompter' })
      await client.prompts.get({
        serverName: 'fixture',
        name: 'greet',
        args: { name: 'Ada' },
        requestContext: prompter,
      })
      const gets = seen.filter((request) => request.rpcMethods.includes('prompts/get'))
      expect(gets.map((request) => request.requestContext)).toEqual([prompter])

      // A call without a context passes null, never a previous caller's context.
      await echo?.execute({ text: 'anonymous' })
      const anonymous = seen.filter((request) => request.texts.includes('anonymous'))
      expect(anonymous).toHaveLength(1)
      expect(anonymous[0]?.requestContext ?? null).toBeNull()
    } finally {
      await client.disconnect()
    }
  })
})

describe('a per-user fetch that refuses one user', () => {
  let fixture: FixtureServer
  beforeAll(async () => {
    fixture = await startFixture()
  })
  afterAll(async () => {
    await fixture?.stop()
  })

  // The fetch adds each user's token; it has none for mallory (throws) and an expired one
  // for trudy (the server would answer 401; here the fetch answers for it).
  function perUserFetch(
    url: string | URL,
    init: RequestInit | undefined,
    context: RequestContext | null,
  ) {
    const user = context?.get('user')
    if (user === 'mallory') return Promise.reject(new Error('no token stored for user mallory'))
    if (user === 'trudy') {
      return Promise.resolve(
        new Response(JSON.stringify({ error: 'invalid_token' }), {
          status: 401,
          headers: {
            'content-type': 'application/json',
            'www-authenticate': 'Bearer error="invalid_token"',
          },
        }),
      )
    }
    return fetch(url, init)
  }

  it('fails only that user’s call, with a clear error, and keeps serving the others', async () => {
    const client = new MCPClient({
      id: 'per-user-fetch',
      servers: { fixture: { url: fixture.url, fetch: perUserFetch } },
    })
    try {
      const tools = await client.listTools()
      const echo = tools.fixture_echo
      const initializes = fixture.rpcCount('initialize')

      const mallory = await thrownBy(() =>
        echo?.execute({ text: 'x' }, { requestContext: new RequestContext({ user: 'mallory' }) }),
      )
      expect(isMCPKitError(mallory), String(mallory)).toBe(true)
      expect((mallory as Error).message).toContain('no token stored for user mallory')

      const trudy = await thrownBy(() =>
        echo?.execute({ text: 'x' }, { requestContext: new RequestContext({ user: 'trudy' }) }),
      )
      await expectMCPError(Promise.reject(trudy), 'UNAUTHORIZED')

      const alice = new RequestContext({ user: 'alice' })
      expect(textOf(await echo?.execute({ text: 'for alice' }, { requestContext: alice }))).toBe(
        'for alice',
      )
      // Other users' failures did not tear down the shared connection.
      expect(fixture.rpcCount('initialize')).toBe(initializes)
    } finally {
      await client.disconnect()
    }
  })
})

describe('custom fetch during a reconnect', () => {
  let fixture: FixtureServer
  beforeAll(async () => {
    fixture = await startFixture()
  })
  afterAll(async () => {
    await fixture?.stop()
  })

  it('runs the new handshake with null and resends the call with the caller’s context', async () => {
    const seen: SeenRequest[] = []
    const client = new MCPClient({
      id: 'context-fetch-reconnect',
      servers: { fixture: { url: fixture.url, fetch: recordingFetch(seen) } },
    })
    try {
      const tools = await client.listTools()
      await fixture.dropSessions() // the next request gets 404 and the client re-initialises
      seen.length = 0
      const dave = new RequestContext({ user: 'dave' })
      expect(
        textOf(await tools.fixture_echo?.execute({ text: 'for dave' }, { requestContext: dave })),
      ).toBe('for dave')

      const initialize = seen.filter((request) => request.rpcMethods.includes('initialize'))
      expect(initialize).toHaveLength(1)
      expect(initialize[0]?.requestContext).toBeNull()
      const streams = seen.filter((request) => request.method === 'GET')
      for (const stream of streams) expect(stream.requestContext).toBeNull()
      const calls = seen.filter((request) => request.rpcMethods.includes('tools/call'))
      expect(calls.length).toBeGreaterThanOrEqual(1)
      for (const call of calls) expect(call.requestContext).toBe(dave)
    } finally {
      await client.disconnect()
    }
  })
})

describe('custom fetch over legacy SSE', () => {
  let sseOnly: FixtureServer
  beforeAll(async () => {
    sseOnly = await startFixture({ mode: 'sse-only' })
  })
  afterAll(async () => {
    await sseOnly?.stop()
  })

  it('gets the stream with null and each call’s POST with its RequestContext', async () => {
    const seen: SeenRequest[] = []
    const client = new MCPClient({
      id: 'context-fetch-sse',
      servers: { legacy: { url: sseOnly.url, fetch: recordingFetch(seen) } },
    })
    try {
      const tools = await client.listTools()
      const carol = new RequestContext({ user: 'carol' })
      expect(
        textOf(await tools.legacy_echo?.execute({ text: 'for carol' }, { requestContext: carol })),
      ).toBe('for carol')
      const streams = seen.filter((request) => request.method === 'GET')
      expect(streams.length).toBeGreaterThanOrEqual(1)
      for (const stream of streams) expect(stream.requestContext).toBeNull()
      const calls = seen.filter((request) => request.rpcMethods.includes('tools/call'))
      expect(calls.map((call) => call.requestContext)).toEqual([carol])
    } finally {
      await client.disconnect()
    }
  })
})

describe('requestInit.headers', () => {
  let streamable: FixtureServer
  let sseOnly: FixtureServer

  beforeAll(async () => {
    streamable = await startFixture()
    sseOnly = await startFixture({ mode: 'sse-only' })
  })
  afterAll(async () => {
    await streamable?.stop()
    await sseOnly?.stop()
  })

  const headers = { 'x-mcpkit-tenant': 'tenant-42', authorization: 'Bearer test-token' }

  it('reach every Streamable HTTP request: handshake, GET stream, calls and the closing DELETE', async () => {
    const client = new MCPClient({
      id: 'headers-streamable',
      servers: { fixture: { url: streamable.url, requestInit: { headers } } },
    })
    const tools = await client.listTools()
    await tools.fixture_echo?.execute({ text: 'x' })
    await waitFor(() => streamable.requests.some((request) => request.method === 'GET'), {
      timeoutMs: 10_000,
    })
    await client.disconnect()

    const requests = streamable.requests
    expect(requests.map((request) => request.method)).toEqual(
      expect.arrayContaining(['POST', 'GET', 'DELETE']),
    )
    for (const request of requests) {
      expect(
        request.headers['x-mcpkit-tenant'],
        `${request.method} ${request.rpcMethods.join(',')}`,
      ).toBe('tenant-42')
      expect(request.headers.authorization).toBe('Bearer test-token')
    }
  })

  it.each([
    ['a plain object', () => headers],
    ['a Headers instance', () => new Headers(headers)],
    ['an array of pairs', () => Object.entries(headers)],
  ] as const)(
    'reach the legacy SSE GET stream and every POST after a 405 fallback (given as %s)',
    async (_form, makeHeaders) => {
      sseOnly.clearRequests()
      const client = new MCPClient({
        id: `headers-sse-${_form}`,
        servers: { legacy: { url: sseOnly.url, requestInit: { headers: makeHeaders() } } },
      })
      try {
        const tools = await client.listTools()
        expect(textOf(await tools.legacy_echo?.execute({ text: 'over sse' }))).toBe('over sse')
      } finally {
        await client.disconnect()
      }
      const requests = sseOnly.requests
      const stream = requests.filter(
        (request) => request.method === 'GET' && request.path === '/mcp',
      )
      const posts = requests.filter((request) => request.path === '/messages')
      expect(stream).toHaveLength(1)
      expect(posts.length).toBeGreaterThanOrEqual(3) // initialize, initialized, tools/list, call
      for (const request of requests) {
        expect(request.headers['x-mcpkit-tenant'], `${request.method} ${request.path}`).toBe(
          'tenant-42',
        )
        expect(request.headers.authorization).toBe('Bearer test-token')
      }
    },
  )

  it('use eventSourceInit.fetch for the SSE stream when given, with the headers applied', async () => {
    sseOnly.clearRequests()
    const streamFetches: string[] = []
    const client = new MCPClient({
      id: 'event-source-fetch',
      servers: {
        legacy: {
          url: sseOnly.url,
          transport: 'sse',
          requestInit: { headers },
          eventSourceInit: {
            fetch: (url, init) => {
              streamFetches.push(String(url))
              return fetch(url, init)
            },
          },
        },
      },
    })
    try {
      const tools = await client.listTools()
      expect(textOf(await tools.legacy_echo?.execute({ text: 'es' }))).toBe('es')
    } finally {
      await client.disconnect()
    }
    expect(streamFetches).toEqual([sseOnly.url.href])
    // transport: 'sse' goes straight to the stream: no Streamable HTTP POST first.
    expect(sseOnly.requests[0]?.method).toBe('GET')
    for (const request of sseOnly.requests) {
      expect(request.headers['x-mcpkit-tenant'], `${request.method} ${request.path}`).toBe(
        'tenant-42',
      )
    }
  })
})
