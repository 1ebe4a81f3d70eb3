import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { type CacheKey, InMemoryResponseCacheStore } from '@modelcontextprotocol/client'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { namespacedStore, PoolResponseStore, ProtocolEraCache } from './client-cache.js'

afterEach(() => {
  vi.useRealTimers()
})

describe('ProtocolEraCache', () => {
  it('keeps a verdict per authorization context and server, until its TTL', () => {
    vi.useFakeTimers()
    const cache = new ProtocolEraCache({ ttl: 1000 })
    cache.set('alice', 'url:http://a/mcp', { era: 'legacy', transport: 'sse' })
    expect(cache.get('alice', 'url:http://a/mcp')).toEqual({ era: 'legacy', transport: 'sse' })
    expect(cache.get('bob', 'url:http://a/mcp')).toBeUndefined()
    expect(cache.get('alice', 'url:http://b/mcp')).toBeUndefined()
    vi.advanceTimersByTime(1000)
    expect(cache.get('alice', 'url:http://a/mcp')).toBeUndefined()
    expect(cache.size).toBe(0)
  })

  it('holds at most `max` verdicts, dropping the oldest', () => {
    const cache = new ProtocolEraCache({ max: 2 })
    for (const server of ['a', 'b', 'c'])
      cache.set('', server, { era: 'legacy', transport: 'stdio' })
    expect(cache.get('', 'a')).toBeUndefined()
    expect(cache.get('', 'c')).toBeDefined()
    expect(cache.size).toBe(2)
  })
})

describe('namespacedStore', () => {
  it('keeps two servers apart on one store, and clears only its own entries', async () => {
    const store = new InMemoryResponseCacheStore()
    const one = namespacedStore(store, 'one')
    const two = namespacedStore(store, 'two')
    const key = { method: 'tools/list', partition: '["same@1.0.0",""]' }
    await one.set(key, { value: '{"tools":[1]}', scope: 'public' })
    expect(await two.get(key)).toBeUndefined()
    await two.set(key, { value: '{"tools":[2]}', scope: 'public' })
    expect((await one.get(key))?.value).toBe('{"tools":[1]}')
    await one.clear()
    expect(await one.get(key)).toBeUndefined()
    expect((await two.get(key))?.value).toBe('{"tools":[2]}')
    await two.evict('tools/list')
    expect(store.size).toBe(0)
  })

  it('moves each partition as JSON of [namespace, partition], however many it alternates between', async () => {
    const seen: (string | undefined)[] = []
    const store = new InMemoryResponseCacheStore()
    const get = store.get.bind(store)
    store.get = (key) => {
      seen.push(key.partition)
      return get(key)
    }
    const view = namespacedStore(store, 'a"b')
    for (const partition of ['own', 'shared', 'own', 'third', 'shared', undefined, 'own']) {
      await view.get({ method: 'tools/list', ...(partition === undefined ? {} : { partition }) })
    }
    expect(seen).toEqual(
      ['own', 'shared', 'own', 'third', 'shared', '', 'own'].map((partition) =>
        JSON.stringify(['a"b', partition]),
      ),
    )
  })
})

describe('PoolResponseStore', () => {
  /** Heap in use after a full GC (`gc` exposed on first use; no `--expose-gc` needed). */
  let gc: (() => void) | undefined
  const heapUsed = () => {
    if (!gc) {
      setFlagsFromString('--expose-gc')
      gc = runInNewContext('gc') as () => void
    }
    gc()
    return process.memoryUsage().heapUsed
  }
  const MiB = 1 << 20
  /** An answer of about 1 MiB, a new string on each call. */
  const bigAnswer = (variant = 0) => JSON.stringify({ tools: [variant, 'x'.repeat(MiB)] })
  const listKey = (user: number) => ({ method: 'tools/list', params: '', partition: `u${user}` })
  const readKey = (user: number) => ({
    ...listKey(user),
    method: 'resources/read',
    params: 'a://b',
  })
  /**
   * `users` entries, each with its own copy of the same answer. A function of its own: the
   * interpreter's registers of a loop in the test would keep the last copy alive.
   */
  const fill = (store: PoolResponseStore, key: (user: number) => CacheKey, users: number) => {
    for (let user = 0; user < users; user++) store.set(key(user), { value: bigAnswer() })
  }
  const empty = (store: PoolResponseStore, users: number) => {
    for (let user = 0; user < users; user++) store.delete(listKey(user))
  }

  it('holds equal list answers once, each under its own partition, and lets go of them', () => {
    const store = new PoolResponseStore()
    const baseline = heapUsed()
    fill(store, listKey, 20)
    // Twenty entries, one string: not twenty MiB.
    expect(heapUsed() - baseline).toBeLessThan(4 * MiB)
    expect(store.size).toBe(20)
    expect(store.get(listKey(7))?.value).toBe(bigAnswer())
    expect(store.get({ ...listKey(7), partition: 'someone else' })).toBeUndefined()

    // A user whose list changed holds its own; the others keep the shared one.
    store.set(listKey(3), { value: bigAnswer(1) })
    expect(store.get(listKey(3))?.value).toBe(bigAnswer(1))
    expect(store.get(listKey(4))?.value).toBe(bigAnswer())

    empty(store, 20)
    expect(store.size).toBe(0)
    expect(heapUsed() - baseline).toBeLessThan(MiB / 2)
  })

  it('shares nothing that is not a list answer, and forgets everything on clear()', () => {
    const store = new PoolResponseStore()
    const baseline = heapUsed()
    fill(store, readKey, 6)
    expect(heapUsed() - baseline).toBeGreaterThan(5 * MiB)
    fill(store, listKey, 6)
    store.clear()
    expect(store.size).toBe(0)
    expect(heapUsed() - baseline).toBeLessThan(MiB / 2)
  })
})
