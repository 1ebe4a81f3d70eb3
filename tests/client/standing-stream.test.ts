// The standing stream (the Streamable HTTP `GET` stream on the 2025 era, `subscriptions/listen`
// on 2026-07-28) held only when it is wanted: `notificationStream: false` sends none until a
// handler or subscription asks, and a pooled client idle for `streamIdleTtl` closes the one
// nobody asked for and opens it again when acquired. Without a stream the tool list must be
// fresh for `toolListTtl` only, since nothing says when it changes. Read off real servers: the
// fixture counts its open `GET` streams, the 2026-07-28 host its listen requests.
import { MCPClient, MCPClientPool, ProtocolEraCache } from '@mcpkit/mcp-client-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FixtureServer, startFixture } from '../support/fixture-server.js'
import { cleanupsAfterEach, outcomeWithin, textOf } from '../support/helpers.js'
import { startModernHost } from '../support/modern-host.js'
import { waitFor } from '../support/processes.js'

const cleanups = cleanupsAfterEach()

let fixture: FixtureServer
beforeAll(async () => {
  fixture = await startFixture()
})
afterAll(async () => {
  await fixture?.stop()
})

function legacyClient(id: string, extra: Record<string, unknown> = {}) {
  const client = new MCPClient({
    id,
    servers: { fixture: { url: fixture.url, protocolVersion: 'legacy', ...extra } },
  })
  cleanups.push(() => client.disconnect())
  return client
}

/** The tool names `client` lists for the fixture. */
async function toolNames(client: MCPClient): Promise<string[]> {
  return Object.keys((await client.listToolsets()).fixture ?? {})
}

describe('notificationStream: false on the 2025 era', () => {
  it('sends no GET, and lists a server that announces listChanged again after toolListTtl', async () => {
    const client = legacyClient('no-stream-ttl', { notificationStream: false, toolListTtl: 200 })
    const before = fixture.requests.length
    expect(await toolNames(client)).toContain('echo')
    const sessionId = fixture.requests
      .slice(before)
      .find((request) => request.rpcMethods.includes('tools/list'))?.sessionId
    const tool = 'added_without_stream'
    cleanups.push(async () => fixture.removeTool(tool))
    fixture.addTool(tool)
    // No stream carries the change: only the list's expiry can reveal the tool.
    expect(
      await waitFor(async () => (await toolNames(client)).includes(tool), { timeoutMs: 5000 }),
    ).toBe(true)
    const gets = fixture.requests.filter(
      (request) => request.method === 'GET' && request.sessionId === sessionId,
    )
    expect(gets).toEqual([])
  })

  it('opens the GET stream once a handler asks, and delivers what it carries', async () => {
    const client = legacyClient('no-stream-handler', { notificationStream: false })
    await client.listToolsets()
    const streams = fixture.openGetStreams
    let changes = 0
    client.tools.onListChanged('fixture', () => {
      changes += 1
    })
    expect(await waitFor(() => fixture.openGetStreams === streams + 1)).toBe(true)
    const tool = 'added_after_handler'
    cleanups.push(async () => fixture.removeTool(tool))
    fixture.addTool(tool)
    expect(await waitFor(() => changes > 0)).toBe(true)
    expect(await toolNames(client)).toContain(tool)
  })

  it('opens the GET stream for a resource subscription, and delivers its updates', async () => {
    const client = legacyClient('no-stream-subscribe', { notificationStream: false })
    const updated: string[] = []
    await client.resources.subscribe('fixture', 'fixture://status')
    client.resources.onUpdated('fixture', ({ uri }) => void updated.push(uri))
    expect(await waitFor(() => fixture.openGetStreams > 0)).toBe(true)
    await fixture.notifyResourceUpdated('fixture://status')
    expect(await waitFor(() => updated.length > 0)).toBe(true)
    expect(updated[0]).toBe('fixture://status')
  })
})

describe('MCPClientPool parks the standing streams of idle clients', () => {
  it('closes the GET stream after streamIdleTtl, reopens it on acquire, and re-lists after toolListTtl', async () => {
    const pool = new MCPClientPool({ streamIdleTtl: 50 })
    cleanups.push(() => pool.close())
    const create = ({ id }: { id: string }) =>
      new MCPClient({
        id,
        servers: { fixture: { url: fixture.url, protocolVersion: 'legacy', toolListTtl: 200 } },
      })
    const streams = fixture.openGetStreams
    const names = () => pool.withClient('parking-user', create, toolNames)
    expect(await names()).toContain('echo')
    // Open while in use, closed once idle for 50 ms.
    expect(await waitFor(() => fixture.openGetStreams === streams + 1)).toBe(true)
    expect(await waitFor(() => fixture.openGetStreams === streams)).toBe(true)
    expect(pool.stats()).toMatchObject({ idle: 1, parked: 1 })

    // A change while parked is announced on no stream; the parked list expires instead.
    const tool = 'added_while_parked'
    cleanups.push(async () => fixture.removeTool(tool))
    fixture.addTool(tool)
    const lease = await pool.acquire('parking-user', create)
    try {
      expect(await waitFor(() => fixture.openGetStreams === streams + 1)).toBe(true)
      expect(
        await waitFor(async () => (await toolNames(lease.client)).includes(tool), {
          timeoutMs: 5000,
        }),
      ).toBe(true)
      // The reopened stream carries changes again: no expiry needed for the next one.
      const next = 'added_after_resume'
      cleanups.push(async () => fixture.removeTool(next))
      const listed = fixture.rpcCount('tools/list')
      await toolNames(lease.client)
      expect(fixture.rpcCount('tools/list')).toBe(listed)
      fixture.addTool(next)
      expect(await waitFor(async () => (await toolNames(lease.client)).includes(next))).toBe(true)
      expect(pool.stats()).toMatchObject({ inUse: 1, parked: 0 })
      // A leased client keeps its stream however long it is held.
      await new Promise((resolve) => setTimeout(resolve, 150))
      expect(fixture.openGetStreams).toBe(streams + 1)
    } finally {
      lease.release()
    }
    expect(pool.stats()).toMatchObject({ size: 1, misses: 1 })
  })

  it('keeps a stream a handler asked for, and every stream with streamIdleTtl: false', async () => {
    for (const [options, handler] of [
      [{ streamIdleTtl: 50 }, true],
      [{ streamIdleTtl: false as const }, false],
    ] as const) {
      const pool = new MCPClientPool(options)
      cleanups.push(() => pool.close())
      const streams = fixture.openGetStreams
      let changes = 0
      await pool.withClient(
        `kept-${handler}`,
        ({ id }) =>
          new MCPClient({
            id,
            servers: { fixture: { url: fixture.url, protocolVersion: 'legacy' } },
          }),
        async (client) => {
          if (handler) {
            client.tools.onListChanged('fixture', () => {
              changes += 1
            })
          }
          await client.listToolsets()
        },
      )
      expect(await waitFor(() => fixture.openGetStreams === streams + 1)).toBe(true)
      // Well past streamIdleTtl, the stream still carries a change.
      const tool = `kept_${handler}`
      cleanups.push(async () => fixture.removeTool(tool))
      await new Promise((resolve) => setTimeout(resolve, 200))
      fixture.addTool(tool)
      expect(fixture.openGetStreams).toBe(streams + 1)
      if (handler) expect(await waitFor(() => changes > 0)).toBe(true)
      await pool.close()
    }
  })

  it('closes the subscriptions/listen stream on the 2026-07-28 era and reopens it on acquire', async () => {
    const host = await startModernHost()
    cleanups.push(() => host.stop())
    const pool = new MCPClientPool({ streamIdleTtl: 50 })
    cleanups.push(() => pool.close())
    const create = ({ id }: { id: string }) =>
      new MCPClient({ id, servers: { modern: { url: host.url, toolListTtl: 200 } } })
    const listens = () =>
      host.requests.filter((request) => request.rpcMethod === 'subscriptions/listen')
    const tools = await pool.withClient('modern-user', create, (client) => client.listToolsets())
    expect(await waitFor(() => listens().length === 1)).toBe(true)
    // Parked: the host sees its listen request end.
    expect(await outcomeWithin(listens()[0]!.closed, 5000)).toMatchObject({ status: 'fulfilled' })

    // A tool added meanwhile is found once the parked list expired.
    await tools.modern!.add_tool!.execute({ name: 'late' })
    const lease = await pool.acquire('modern-user', create)
    try {
      expect(await waitFor(() => listens().length === 2)).toBe(true)
      expect(
        await waitFor(async () => (await lease.client.listToolsets()).modern?.late !== undefined),
      ).toBe(true)
      const { modern } = await lease.client.listToolsets()
      expect(textOf(await modern!.late!.execute({}))).toBe('late')
    } finally {
      lease.release()
    }
  })

  it('lets an idle 2026-07-28 connection go once its calls are done; the next call reopens it with no extra request', async () => {
    const host = await startModernHost()
    cleanups.push(() => host.stop())
    const pool = new MCPClientPool({ streamIdleTtl: 50 })
    cleanups.push(() => pool.close())
    const lines: string[] = []
    const create = ({ id }: { id: string }) => {
      const client = new MCPClient({
        id,
        servers: { modern: { url: host.url, notificationStream: false } },
        logger: (entry) => lines.push(entry.message),
      })
      // Answered only once the pool parked the client: the call is under way meanwhile.
      client.elicitation.onRequest('modern', async (request) => {
        expect(await waitFor(() => pool.stats().parked === 1)).toBe(true)
        return {
          action: 'accept',
          content: request.message.includes('name') ? { name: 'Ada' } : { color: 'green' },
        }
      })
      return client
    }
    const { modern } = await pool.withClient('resting-user', create, (client) =>
      client.listToolsets(),
    )
    const let_go = (line: string) => line.includes('connection is let go')
    // Parked mid-call: the call keeps its connection, and every round of it is answered.
    expect(textOf(await modern!.interview!.execute({}))).toBe('Ada likes green')
    expect(await waitFor(() => lines.some(let_go))).toBe(true)

    // At rest: the next requests open a connection without asking `server/discover` again.
    const before = host.requests.length
    const lease = await pool.acquire('resting-user', create)
    try {
      expect(Object.keys((await lease.client.listToolsets()).modern ?? {})).toContain('echo')
      expect(textOf(await modern!.echo!.execute({ text: 'awake' }))).toBe('awake')
      const sent = host.requests.slice(before).map((request) => request.rpcMethod)
      expect(sent).toContain('tools/call')
      expect(sent).not.toContain('server/discover')
    } finally {
      lease.release()
    }
    expect(await waitFor(() => lines.filter(let_go).length === 2)).toBe(true)

    // A handler added at rest opens the listen stream now, not on the next call.
    const listens = () =>
      host.requests.filter((request) => request.rpcMethod === 'subscriptions/listen')
    await pool.withClient('resting-user', create, async (client) => {
      client.tools.onListChanged('modern', () => {})
      expect(await waitFor(() => listens().length === 1)).toBe(true)
    })
  })

  it('wakes a rested connection without a round trip even after the era cache let its verdict go', async () => {
    const host = await startModernHost()
    cleanups.push(() => host.stop())
    const pool = new MCPClientPool({ streamIdleTtl: 0 })
    cleanups.push(() => pool.close())
    const eras = new ProtocolEraCache()
    const create = ({ id, cache }: { id: string; cache: object }) =>
      new MCPClient({
        id,
        cache: { ...cache, eras },
        servers: { modern: { url: host.url, notificationStream: false } },
      })
    const { modern } = await pool.withClient('forgetful-user', create, (client) =>
      client.listToolsets(),
    )
    expect(await waitFor(() => pool.stats().parked === 1)).toBe(true)
    // The verdict goes, as it would past the cache's TTL or its cap with many users.
    eras.clear()
    const discovers = () =>
      host.requests.filter((request) => request.rpcMethod === 'server/discover').length
    const before = discovers()
    expect(textOf(await modern!.echo!.execute({ text: 'still here' }))).toBe('still here')
    expect(discovers()).toBe(before)
  })
})
