// The Redis event store for resumable 2025 streams (Last-Event-ID) on a real redis-server: size
// and age caps, and, through MCPServer's Streamable HTTP sessions, replay of what a session
// missed while one session's event id never replays another's.
import { createMCPTool, MCPServer } from '@mcpkit/mcp-server-core'
import { RedisConnection, RedisEventStore } from '@mcpkit/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { hasRedisServer, type RedisServer, startRedisServer } from '../support/redis.js'
import { hostServer, initializeBody, mcpPostHeaders, rawRequest } from '../support/server-host.js'

const available = hasRedisServer()
let redis: RedisServer
let connection: RedisConnection

beforeAll(async () => {
  if (!available) return
  redis = await startRedisServer()
  connection = new RedisConnection({ url: redis.url, keyPrefix: 'test-events:' })
})

afterAll(async () => {
  await connection?.close()
  await redis?.stop()
})

function message(n: number) {
  return { jsonrpc: '2.0' as const, method: 'notifications/message', params: { n } }
}

async function replayed(store: RedisEventStore, after: string) {
  const seen: number[] = []
  const streamId = await store.replayEventsAfter(after, {
    send: async (_id, sent) => {
      seen.push((sent as unknown as { params: { n: number } }).params.n)
    },
  })
  return { streamId, seen }
}

describe.skipIf(!available)('RedisEventStore', () => {
  it('replays what followed an event id, at most maxEvents, none older than maxAge', async () => {
    let offset = 0
    const store = new RedisEventStore({
      connection,
      maxEvents: 3,
      maxAge: 60_000,
      now: () => Date.now() + offset,
    })
    const ids: string[] = []
    for (let n = 1; n <= 5; n++) ids.push(await store.storeEvent('stream-1', message(n)))
    await store.storeEvent('stream-2', message(99))

    // Size cap: only the last three are kept; the stream is named back.
    expect(await replayed(store, ids[0]!)).toEqual({ streamId: 'stream-1', seen: [3, 4, 5] })
    expect((await replayed(store, ids[3]!)).seen).toEqual([5])
    expect(await store.getStreamIdForEventId(ids[4]!)).toBe('stream-1')

    // Age cap: a minute later nothing is replayed; and Redis forgets the stream by itself.
    offset = 61_000
    expect((await replayed(store, ids[2]!)).seen).toEqual([])
    const ttl = await connection.client.pttl('test-events:events:stream-1')
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(60_000)

    await expect(
      store.replayEventsAfter('not-an-event-id', { send: async () => {} }),
    ).rejects.toThrow()
  })
})

/** Reads SSE events from a GET stream until `count` have arrived. */
async function readEvents(response: Response, count: number, timeoutMs = 5000) {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  const events: { id: string | undefined; data: string }[] = []
  let buffer = ''
  const deadline = Date.now() + timeoutMs
  while (events.length < count && Date.now() < deadline) {
    const chunk = await Promise.race([
      reader.read(),
      new Promise<{ done: true; value: undefined }>((resolve) =>
        setTimeout(
          () => resolve({ done: true, value: undefined }),
          Math.max(0, deadline - Date.now()),
        ),
      ),
    ])
    if (chunk.done) break
    buffer += decoder.decode(chunk.value, { stream: true })
    let end = buffer.indexOf('\n\n')
    while (end >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trim())
        .join('\n')
      const id = block
        .split('\n')
        .find((line) => line.startsWith('id:'))
        ?.slice(3)
        .trim()
      if (data) events.push({ id, data })
      end = buffer.indexOf('\n\n')
    }
  }
  await reader.cancel().catch(() => {})
  return events
}

describe.skipIf(!available)('Last-Event-ID through MCPServer sessions', () => {
  it('replays what a session missed, and never another session’s events', async () => {
    const store = new RedisEventStore({ connection, maxEvents: 50, maxAge: 60_000 })
    const server = new MCPServer({
      name: 'resumable',
      version: '1.0.0',
      resources: { listResources: () => [], getResourceContent: ({ uri }) => ({ uri, text: '' }) },
      prompts: { listPrompts: () => [] },
      tools: {
        noop: createMCPTool({
          id: 'noop',
          description: 'n',
          inputSchema: z.object({}),
          execute: async () => 'ok',
        }),
      },
    })
    const host = await hostServer(server, {
      options: { eventStore: store, enableJsonResponse: true },
    })
    try {
      const open = async () => {
        const answer = await rawRequest(host.mcpUrl, {
          headers: mcpPostHeaders(),
          body: initializeBody(),
        })
        const sessionId = String(answer.headers['mcp-session-id'])
        await rawRequest(host.mcpUrl, {
          headers: mcpPostHeaders(sessionId),
          body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
        })
        return sessionId
      }
      const stream = (sessionId: string, lastEventId?: string) =>
        fetch(host.mcpUrl, {
          headers: {
            accept: 'text/event-stream',
            'mcp-session-id': sessionId,
            'mcp-protocol-version': '2025-06-18',
            ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
          },
        })
      const alice = await open()
      const bob = await open()

      const first = await stream(alice)
      expect(first.status).toBe(200)
      const bobStream = await stream(bob)
      await server.tools.notifyListChanged()
      await server.prompts.notifyListChanged()
      await server.resources.notifyListChanged()
      // Alice reads the first event, then her connection drops.
      const received = await readEvents(first, 3)
      expect(received.map((event) => JSON.parse(event.data).method)).toEqual([
        'notifications/tools/list_changed',
        'notifications/prompts/list_changed',
        'notifications/resources/list_changed',
      ])
      const seen = received[0]!
      expect(seen.id).toBeTruthy()
      expect(await readEvents(bobStream, 3)).toHaveLength(3)

      // Bob presents alice's event id: refused, nothing of hers is sent.
      const stolen = await stream(bob, seen.id)
      const stolenEvents = stolen.status === 200 ? await readEvents(stolen, 1, 500) : []
      expect(stolen.status).not.toBe(200)
      expect(stolenEvents).toEqual([])
      await stolen.body?.cancel().catch(() => {})

      // Alice comes back with the last id she had: the events after it are replayed (once the
      // server has seen her old connection go; until then it answers 409).
      let resumed = await stream(alice, seen.id)
      for (let attempt = 0; resumed.status === 409 && attempt < 50; attempt++) {
        await resumed.body?.cancel().catch(() => {})
        await new Promise((resolve) => setTimeout(resolve, 20))
        resumed = await stream(alice, seen.id)
      }
      expect(resumed.status).toBe(200)
      const missed = await readEvents(resumed, 2)
      expect(missed.map((event) => JSON.parse(event.data).method)).toEqual([
        'notifications/prompts/list_changed',
        'notifications/resources/list_changed',
      ])
    } finally {
      await host.close()
    }
  })
})
