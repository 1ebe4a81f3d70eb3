// The 2026-07-28 cache hints (SEP-2549) with many users: the clients of one MCPClientPool share
// the response cache, so a result the server marks `public` is fetched once for everyone, and
// one it marks `private` is never served to another user (another authorization context).
import { MCPClient, MCPClientPool, type PoolEntryContext } from '@mcpkit/mcp-client-core'
import { InMemoryResponseCacheStore } from '@modelcontextprotocol/client'
import { describe, expect, it } from 'vitest'
import { createModernState } from '../fixtures/modern-server.js'
import { cleanupsAfterEach } from '../support/helpers.js'
import { type ModernHost, startModernHost } from '../support/modern-host.js'
import { waitFor } from '../support/processes.js'

const cleanups = cleanupsAfterEach()

async function host(publicToolList = true): Promise<ModernHost> {
  const started = await startModernHost(createModernState({ publicToolList }))
  cleanups.push(() => started.stop())
  return started
}

/** A user's client: the server tells users apart by the `x-user` header. */
const userClient =
  (url: URL, user: string) =>
  ({ id, cache }: PoolEntryContext) =>
    new MCPClient({
      id,
      cache,
      servers: { modern: { url, requestInit: { headers: { 'x-user': user } } } },
    })

const textOfRead = (result: { contents: object[] }) =>
  (result.contents[0] as { text?: unknown } | undefined)?.text

describe('the response cache of a pool', () => {
  it('shares public entries between users and keeps private ones apart', async () => {
    const server = await host()
    const pool = new MCPClientPool({ warm: false })
    cleanups.push(() => pool.close())
    const aliceLease = await pool.acquire(
      { user: 'alice', credentials: 'a' },
      userClient(server.url, 'alice'),
    )
    const bobLease = await pool.acquire(
      { user: 'bob', credentials: 'b' },
      userClient(server.url, 'bob'),
    )
    cleanups.push(
      async () => aliceLease.release(),
      async () => bobLease.release(),
    )
    const alice = aliceLease.client
    const bob = bobLease.client

    // tools/list is public for 60 s: fetched for Alice, served to Bob from the shared cache.
    await alice.listToolsets()
    expect(server.count('tools/list')).toBe(1)
    expect(Object.keys((await bob.listToolsets()).modern ?? {})).toContain('echo')
    expect(server.count('tools/list')).toBe(1)

    // modern://whoami is private for 60 s: each user's own, each fetched once.
    expect(textOfRead(await alice.resources.read('modern', 'modern://whoami'))).toBe('alice')
    expect(textOfRead(await alice.resources.read('modern', 'modern://whoami'))).toBe('alice')
    expect(server.count('resources/read')).toBe(1)
    expect(textOfRead(await bob.resources.read('modern', 'modern://whoami'))).toBe('bob')
    expect(textOfRead(await bob.resources.read('modern', 'modern://whoami'))).toBe('bob')
    expect(textOfRead(await alice.resources.read('modern', 'modern://whoami'))).toBe('alice')
    expect(server.count('resources/read')).toBe(2)
  })

  it('keeps even public entries to itself when a client is given no cache to share', async () => {
    const server = await host()
    const first = new MCPClient({ id: 'alone-1', servers: { modern: { url: server.url } } })
    const second = new MCPClient({ id: 'alone-2', servers: { modern: { url: server.url } } })
    cleanups.push(
      () => first.disconnect(),
      () => second.disconnect(),
    )
    await first.listToolsets()
    await second.listToolsets()
    expect(server.count('tools/list')).toBe(2)
  })

  it('never serves a private entry across request contexts of a client with a custom fetch', async () => {
    const server = await host()
    const client = new MCPClient({
      id: 'per-call-credentials',
      servers: {
        modern: {
          url: server.url,
          fetch: (url, init, requestContext) => {
            const headers = new Headers(init?.headers)
            const user = requestContext?.get('user')
            if (typeof user === 'string') headers.set('x-user', user)
            return fetch(url, { ...init, headers })
          },
        },
      },
    })
    cleanups.push(() => client.disconnect())
    const { RequestContext } = await import('@mcpkit/types')
    const as = (user: string) => ({ requestContext: new RequestContext({ user }) })
    expect(textOfRead(await client.resources.read('modern', 'modern://whoami', as('carol')))).toBe(
      'carol',
    )
    expect(textOfRead(await client.resources.read('modern', 'modern://whoami', as('dave')))).toBe(
      'dave',
    )
    expect(server.count('resources/read')).toBe(2)
  })

  it('holds only what its live clients cached: a client that leaves the pool takes its entries', async () => {
    const server = await host(false)
    const pool = new MCPClientPool({ max: 2, warm: false })
    cleanups.push(() => pool.close())
    const users = ['ann', 'ben', 'cat', 'dan', 'eve', 'fay']
    const visit = (user: string) =>
      pool.withClient(user, userClient(server.url, user), async (client) => {
        await client.listToolsets()
        await client.resources.read('modern', 'modern://whoami')
      })
    const cached = () => pool.stats().cachedResponses ?? Number.NaN
    await visit('ann')
    // Its private tool list and read (and what else the SDK keeps per user).
    const perUser = cached()
    expect(perUser).toBeGreaterThanOrEqual(2)
    for (const user of users.slice(1)) {
      await visit(user)
      // `max: 2`: the user evicted takes its entries along (its disconnect runs on its own).
      await waitFor(() => cached() === 2 * perUser)
      expect(cached()).toBe(2 * perUser)
    }
    expect(pool.stats().evictions).toBe(users.length - 2)
    expect(server.count('tools/list')).toBe(users.length)

    await pool.delete('fay')
    expect(pool.stats().cachedResponses).toBe(perUser)
    await pool.delete('eve')
    expect(pool.stats().cachedResponses).toBe(0)
  })

  it("leaves an application's own store as it is", async () => {
    const server = await host(false)
    const store = new InMemoryResponseCacheStore()
    const pool = new MCPClientPool({ max: 1, warm: false, responseCacheStore: store })
    cleanups.push(() => pool.close())
    const visit = (user: string) =>
      pool.withClient(user, userClient(server.url, user), (client) => client.listToolsets())
    await visit('gil')
    const perUser = store.size
    expect(perUser).toBeGreaterThan(0)
    await visit('hal')
    expect(pool.stats()).toMatchObject({ evictions: 1, cachedResponses: undefined })
    expect(store.size).toBe(2 * perUser)
  })
})
