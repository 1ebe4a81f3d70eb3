import { InMemoryResponseCacheStore } from '@modelcontextprotocol/client'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { namespacedStore, ProtocolEraCache } from './client-cache.js'

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
