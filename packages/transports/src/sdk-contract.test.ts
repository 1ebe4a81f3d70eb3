/**
 * The assumptions `sdk-contract.ts` documents, checked against the installed SDK over real
 * transports on 127.0.0.1: an SDK upgrade that breaks one fails here, not in a user's call.
 */
import {
  Client,
  type FetchLike,
  SSEClientTransport,
  StreamableHTTPClientTransport,
  type Transport,
} from '@modelcontextprotocol/client'
import { afterEach, describe, expect, it } from 'vitest'
import { TransportFetch } from './client/http-fetch.js'
import { NodeSseHandler } from './node/node-sse-handler.js'
import { NodeStreamableHttpHandler } from './node/node-streamable-http-handler.js'
import { isNetworkFailure, requestIdOf, watchRequestStreams } from './sdk-contract.js'
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
