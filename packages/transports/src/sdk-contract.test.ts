/**
 * The assumptions `sdk-contract.ts` documents, checked against the installed SDK over real
 * transports on 127.0.0.1: an SDK upgrade that breaks one fails here, not in a user's call.
 */
import {
  Client,
  type FetchLike,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  SSEClientTransport,
  StreamableHTTPClientTransport,
  type Transport,
} from '@modelcontextprotocol/client'
import { createMcpHandler, fromJsonSchema, McpServer } from '@modelcontextprotocol/server'
import { afterEach, describe, expect, it } from 'vitest'
import { TransportFetch } from './client/http-fetch.js'
import { type RequestScope, requestScopeOptions } from './client/request-scope.js'
import { ProcessStdioTransport } from './client/stdio-transport.js'
import { NodeSseHandler } from './node/node-sse-handler.js'
import { NodeStreamableHttpHandler } from './node/node-streamable-http-handler.js'
import {
  isNetworkFailure,
  isProbeWithoutVerdict,
  requestIdOf,
  type StdioShaped,
  scopeOfOutgoingRequest,
  watchRequestStreams,
} from './sdk-contract.js'
import { fixtureServerFactory, type Listening, listen, recordingClient } from './test-support.js'

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

type Kind = 'streamable-http' | 'sse'

/** A real mcpkit handler of `kind` on node:http: Streamable HTTP on /mcp, legacy SSE on /sse. */
async function serve(kind: Kind) {
  const fixture = fixtureServerFactory()
  const streamable = new NodeStreamableHttpHandler({ createServer: fixture.createServer })
  const sse = new NodeSseHandler({ createServer: fixture.createServer })
  const http = await listen((req, res) =>
    kind === 'streamable-http'
      ? streamable.handle(req, res)
      : sse.handle(req, res, { ssePath: '/sse', messagePath: '/message' }),
  )
  cleanups.push(
    () => http.close(),
    () => streamable.close(),
    () => sse.close(),
    () => fixture.release(),
  )
  return http
}

function clientTransport(kind: Kind, http: Listening, fetch: FetchLike): Transport {
  return kind === 'streamable-http'
    ? new StreamableHTTPClientTransport(new URL(http.url('/mcp')), { fetch })
    : new SSEClientTransport(new URL(http.url('/sse')), { fetch })
}

async function connected(kind: Kind, http: Listening, fetch: FetchLike) {
  const recorder = recordingClient(`contract-${kind}`)
  await recorder.client.connect(clientTransport(kind, http, fetch))
  cleanups.push(() => recorder.client.close())
  return recorder.client
}

describe.each(['streamable-http', 'sse'] as const)('the SDK contract (%s)', (kind) => {
  it('POSTs every request with `id` as its last key, so requestIdOf reads it from the tail', async () => {
    const http = await serve(kind)
    const posted: string[] = []
    const client = await connected(kind, http, (url, init) => {
      if (init?.method === 'POST') posted.push(String(init.body))
      return fetch(url, init)
    })
    await client.listTools()
    // Arguments with `id` keys of their own, and an `"id":` inside a string, must not matter.
    await client.callTool({
      name: 'whoami',
      arguments: { id: 41, nested: { id: 'inner' }, note: 'an "id": in text' },
    })
    await client.callTool({ name: 'ask', arguments: { tag: 'x' } })
    await client.ping()

    const requests = posted.filter((body) => {
      const message = JSON.parse(body) as { method?: unknown; id?: unknown }
      return typeof message.method === 'string' && message.id !== undefined
    })
    // initialize, tools/list, tools/call twice, ping.
    expect(requests.length).toBeGreaterThanOrEqual(5)
    for (const body of requests) {
      const { id } = JSON.parse(body) as { id: number }
      expect(typeof id, body).toBe('number')
      // The tail path of requestIdOf: the last `"id":` is followed by the id and the final `}`.
      expect(body.endsWith(`"id":${id}}`), body).toBe(true)
      const raw = body.slice(body.lastIndexOf('"id":') + 5, -1)
      expect(raw, body).toMatch(/^\d+$/)
      expect(requestIdOf(body)).toBe(id)
    }
    // Notifications (and the client's answer to the elicitation) are not requests.
    const others = posted.filter((body) => !requests.includes(body))
    expect(others.some((body) => body.includes('notifications/initialized'))).toBe(true)
    for (const body of others) {
      if ('method' in JSON.parse(body)) expect(requestIdOf(body), body).toBeUndefined()
    }
  })

  it.each(['callTool', 'listTools'] as const)(
    'rejects %s with the very error its fetch threw, so markNetworkFailure marks stick',
    async (call) => {
      const http = await serve(kind)
      const thrown: unknown[] = []
      // What connectClient does: the SDK transport gets a TransportFetch over the user's fetch.
      const transportFetch = new TransportFetch({
        url: http.url(),
        fetch: async (url, init) => {
          try {
            return await fetch(url, init)
          } catch (error) {
            if (init?.method === 'POST') thrown.push(error)
            throw error
          }
        },
      })
      const client = await connected(kind, http, transportFetch.fetch)
      expect(thrown).toEqual([])
      // The server goes away: the next POST finds the port closed (or its socket closed).
      await http.close()

      const failure = await (call === 'callTool'
        ? client.callTool({ name: 'whoami', arguments: {} })
        : client.listTools()
      ).then(
        () => undefined,
        (error: unknown) => error,
      )
      expect(thrown.length).toBeGreaterThan(0)
      // Refused, or reset on a kept-alive socket: undici says `TypeError: fetch failed` either way.
      expect(thrown[0]).toBeInstanceOf(TypeError)
      expect(failure).toBe(thrown[0])
      expect(isNetworkFailure(failure)).toBe(true)
    },
  )
})

describe('the SDK contract (a fetch that throws by itself)', () => {
  it.each(['streamable-http', 'sse'] as const)(
    '%s: a TypeError thrown by fetch rejects the call unchanged',
    async (kind) => {
      const http = await serve(kind)
      let failWith: Error | undefined
      const client = await connected(kind, http, (url, init) => {
        if (failWith && init?.method === 'POST') return Promise.reject(failWith)
        return fetch(url, init)
      })
      failWith = new TypeError('fetch failed')
      await expect(client.callTool({ name: 'whoami', arguments: {} })).rejects.toBe(failWith)
      failWith = new TypeError('fetch failed again')
      await expect(client.listTools()).rejects.toBe(failWith)
      // Nothing else broke: the same client works once the network is back.
      failWith = undefined
      expect((await client.listTools()).tools).toHaveLength(3)
    },
  )

  it('needs no Client: the SDK transports reject send() with the thrown error too', async () => {
    const http = await serve('streamable-http')
    const failure = new TypeError('fetch failed')
    const transport = new StreamableHTTPClientTransport(new URL(http.url('/mcp')), {
      fetch: () => Promise.reject(failure),
    })
    const client = new Client({ name: 'bare', version: '1.0.0' })
    await expect(client.connect(transport)).rejects.toBe(failure)
  })
})

/** A legacy stdio server by hand: answers `initialize` and `tools/list`, ignores the rest. */
const silentOnProbe = `
const readline = require('node:readline')
const send = (message) => process.stdout.write(JSON.stringify(message) + '\\n')
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const message = JSON.parse(line)
  if (message.method === 'initialize') {
    return send({ jsonrpc: '2.0', id: message.id, result: {
      protocolVersion: message.params.protocolVersion, capabilities: { tools: {} },
      serverInfo: { name: 'silent', version: '1.0.0' } } })
  }
  if (message.method === 'tools/list') return send({ jsonrpc: '2.0', id: message.id, result: { tools: [] } })
  if (message.method === 'exit-on-probe' || (message.method === 'server/discover' && process.argv[1] === 'exit')) process.exit(3)
}).on('close', () => process.exit(0))
`

function stdioTransport(mode: 'silent' | 'exit' = 'silent') {
  const transport = new ProcessStdioTransport({
    serverName: 'contract',
    command: process.execPath,
    args: ['-e', silentOnProbe, mode],
    stderr: 'ignore',
  })
  cleanups.push(() => transport.close())
  return transport
}

const autoClient = (probeMs: number) =>
  new Client(
    { name: 'contract', version: '1.0.0' },
    { versionNegotiation: { mode: 'auto', probe: { timeoutMs: probeMs } } },
  )

describe('the SDK contract (era negotiation)', () => {
  it('treats a transport with `stderr` and `pid` as stdio: a silent probe is a legacy verdict', async () => {
    const transport = stdioTransport()
    const shaped: StdioShaped = transport
    expect('stderr' in shaped && 'pid' in shaped).toBe(true)
    const client = autoClient(300)
    await client.connect(transport, { timeout: 5000 })
    cleanups.push(() => client.close())
    expect(client.getProtocolEra()).toBe('legacy')
    expect((await client.listTools()).tools).toEqual([])
  })

  it('treats a transport without them as HTTP: the same silence is a timeout error', async () => {
    const inner = stdioTransport()
    // The same process behind a plain Transport that hides `stderr` and `pid`.
    const plain: Transport = {
      start: () => inner.start(),
      send: (message) => inner.send(message),
      close: () => inner.close(),
    }
    inner.onmessage = (message) => plain.onmessage?.(message)
    inner.onclose = () => plain.onclose?.()
    const failure = await autoClient(300)
      .connect(plain, { timeout: 5000 })
      .then(
        () => undefined,
        (error: unknown) => error,
      )
    expect(failure).toBeInstanceOf(SdkError)
    expect((failure as SdkError).code).toBe(SdkErrorCode.RequestTimeout)
  })

  it('fails an in-place probe whose server exits with EraNegotiationFailed, not an HTTP error', async () => {
    const transport = stdioTransport('exit')
    const failure = await autoClient(2000)
      .connect(transport, { timeout: 5000 })
      .then(
        () => undefined,
        (error: unknown) => error,
      )
    expect(isProbeWithoutVerdict(failure)).toBe(true)
    expect(transport.exitDescription).toBe('exit code 3')
  })

  it('fails a probe answered 2xx without a usable reply the same way, and a 5xx as an SdkHttpError', async () => {
    const answers = new Map<string, () => Response>([
      [
        'empty',
        () => new Response('', { status: 200, headers: { 'content-type': 'application/json' } }),
      ],
      [
        'text',
        () => new Response('hello', { status: 200, headers: { 'content-type': 'text/plain' } }),
      ],
      ['down', () => new Response('down', { status: 503 })],
    ])
    const outcome = async (name: string) => {
      const transport = new StreamableHTTPClientTransport(new URL('http://contract.invalid/mcp'), {
        fetch: async () => answers.get(name)!(),
      })
      return autoClient(2000)
        .connect(transport, { timeout: 5000 })
        .then(
          () => undefined,
          (error: unknown) => error,
        )
    }
    expect(isProbeWithoutVerdict(await outcome('empty'))).toBe(true)
    expect(isProbeWithoutVerdict(await outcome('text'))).toBe(true)
    const down = await outcome('down')
    expect(down).toBeInstanceOf(SdkHttpError)
    expect((down as SdkHttpError).status).toBe(503)
    expect(isProbeWithoutVerdict(down)).toBe(false)
  })

  it('POSTs modern-era requests with `id` last or right after `jsonrpc`, where requestIdOf looks', async () => {
    const handler = createMcpHandler(
      () => {
        const server = new McpServer({ name: 'contract-modern', version: '1.0.0' })
        const inputSchema = fromJsonSchema({
          type: 'object',
          properties: { id: { type: 'number' } },
        })
        server.registerTool('noop', { inputSchema }, async () => ({ content: [] }))
        return server
      },
      { legacy: 'reject' },
    )
    cleanups.push(() => handler.close())
    const posted: string[] = []
    const transport = new StreamableHTTPClientTransport(new URL('http://contract.invalid/mcp'), {
      fetch: async (url, init) => {
        if (init?.method === 'POST') posted.push(String(init.body))
        return handler.fetch(new Request(url, init))
      },
    })
    const client = autoClient(2000)
    await client.connect(transport, { timeout: 5000 })
    cleanups.push(() => client.close())
    expect(client.getProtocolEra()).toBe('modern')
    await client.listTools()
    await client.callTool({ name: 'noop', arguments: { id: 7 } })
    const requests = posted.filter((body) => JSON.parse(body).method !== 'server/discover')
    expect(requests.length).toBe(2)
    for (const body of requests) {
      const { id, method } = JSON.parse(body) as { id: number; method: string }
      const atHead = body.startsWith(`{"method":"${method}","jsonrpc":"2.0","id":${id},"params":`)
      expect(atHead || body.endsWith(`"id":${id}}`), body).toBe(true)
      expect(requestIdOf(body)).toBe(id)
    }
    // A tool argument named `id` does not mislead it.
    expect(requestIdOf(requests[1])).toBe(JSON.parse(requests[1] ?? '{}').id)
    const listen = JSON.stringify({
      jsonrpc: '2.0',
      id: 'listen:1',
      method: 'subscriptions/listen',
      params: {},
    })
    expect(requestIdOf(listen)).toBe('listen:1')
  })
})

describe('the SDK contract (request streams)', () => {
  it("delivers a stream's response before its onRequestStreamEnd, so watchRequestStreams tells answered from lost", async () => {
    const http = await serve('streamable-http')
    const transport = new StreamableHTTPClientTransport(new URL(http.url('/mcp')))
    const recorder = recordingClient('contract-streams')
    await recorder.client.connect(transport)
    cleanups.push(() => recorder.client.close())
    const seen: string[] = []
    let streamEnded: () => void = () => {}
    const ended = new Promise<void>((resolve) => {
      streamEnded = resolve
    })
    watchRequestStreams(transport, {
      sending: () => {},
      answered: (id) => void seen.push(`answered ${id}`),
      streamEnded: (id) => {
        seen.push(`ended ${id}`)
        streamEnded()
      },
    })
    // The fixture answers every request on an SSE stream, then ends it.
    await recorder.client.callTool({ name: 'whoami', arguments: {} })
    await ended
    const endings = seen.filter((entry) => entry.startsWith('ended'))
    expect(endings).toHaveLength(1)
    const id = endings[0]!.slice('ended '.length)
    expect(seen.indexOf(`answered ${id}`)).toBeGreaterThanOrEqual(0)
    expect(seen.indexOf(`answered ${id}`)).toBeLessThan(seen.indexOf(`ended ${id}`))
  })
})

describe('the SDK contract (request scopes)', () => {
  it("hands the call's onresumptiontoken to send() with each of its requests, every page of an auto-paginated list included", async () => {
    const seen: (RequestScope | undefined)[] = []
    let onmessage: Transport['onmessage']
    // A transport that answers by itself: two pages of tools, then a ping.
    const transport: Transport = {
      async start() {},
      async close() {},
      async send(message, options) {
        if (!('method' in message) || !('id' in message)) return
        seen.push(scopeOfOutgoingRequest(options))
        const { id, method, params } = message as {
          id: number
          method: string
          params?: { cursor?: string; protocolVersion?: string }
        }
        const result =
          method === 'initialize'
            ? {
                protocolVersion: params?.protocolVersion,
                capabilities: { tools: {} },
                serverInfo: { name: 'scopes', version: '1.0.0' },
              }
            : method === 'tools/list'
              ? params?.cursor
                ? { tools: [{ name: 'b', inputSchema: { type: 'object' } }] }
                : { tools: [{ name: 'a', inputSchema: { type: 'object' } }], nextCursor: 'next' }
              : {}
        setTimeout(() => onmessage?.({ jsonrpc: '2.0', id, result }), 1)
      },
      set onmessage(handler) {
        onmessage = handler
      },
      get onmessage() {
        return onmessage
      },
    }
    const client = new Client({ name: 'contract-scopes', version: '1.0.0' })
    client.setVersionNegotiation({ mode: 'legacy' })
    await client.connect(transport)
    cleanups.push(() => client.close())
    const scope: RequestScope = { received() {}, streamLost() {} }
    seen.length = 0
    const { tools } = await client.listTools(undefined, requestScopeOptions(scope))
    expect(tools.map((tool) => tool.name)).toEqual(['a', 'b'])
    expect(seen).toEqual([scope, scope])
    seen.length = 0
    const call = scope
    await client.callTool(
      { name: 'a', arguments: {} },
      { timeout: 5000, ...requestScopeOptions(call) },
    )
    expect(seen).toEqual([call])
    seen.length = 0
    await client.ping()
    expect(seen).toEqual([undefined])
  })

  it('fails a request whose send() rejects with that error (a page the scope refused)', async () => {
    const sent: string[] = []
    let onmessage: Transport['onmessage']
    const transport: Transport = {
      async start() {},
      async close() {},
      async send(message) {
        if (!('method' in message) || !('id' in message)) return
        sent.push(message.method)
        const result =
          message.method === 'initialize'
            ? {
                protocolVersion: (message.params as { protocolVersion?: string }).protocolVersion,
                capabilities: { tools: {} },
                serverInfo: { name: 'refusals', version: '1.0.0' },
              }
            : { tools: [{ name: 'a', inputSchema: { type: 'object' } }], nextCursor: 'again' }
        setTimeout(() => onmessage?.({ jsonrpc: '2.0', id: message.id, result }), 1)
      },
      set onmessage(handler) {
        onmessage = handler
      },
      get onmessage() {
        return onmessage
      },
    }
    const client = new Client({ name: 'contract-refusals', version: '1.0.0' })
    client.setVersionNegotiation({ mode: 'legacy' })
    await client.connect(transport)
    cleanups.push(() => client.close())
    const refusal = new Error('refused')
    const send = transport.send.bind(transport)
    transport.send = (message, options) =>
      'method' in message && message.method === 'tools/list' && message.params?.cursor
        ? Promise.reject(refusal)
        : send(message, options)
    sent.length = 0
    await expect(client.listTools()).rejects.toBe(refusal)
    expect(sent).toEqual(['tools/list'])
  })
})
