import { describe, expect, it } from 'vitest'
import { combineHints, resolveCacheHints } from './cache-hints.js'

describe('cache hints', () => {
  it('applies the server-wide hint to every cacheable method, overridden per method and field', () => {
    const resolved = resolveCacheHints({
      ttlMs: 1000,
      'tools/list': { cacheScope: 'public' },
      'resources/read': { ttlMs: 0 },
    })
    expect(resolved['prompts/list']).toEqual({ ttlMs: 1000 })
    expect(resolved['tools/list']).toEqual({ ttlMs: 1000, cacheScope: 'public' })
    expect(resolved['resources/read']).toEqual({ ttlMs: 0 })
    expect(resolveCacheHints(undefined)).toEqual({})
  })

  it.each([
    [{ ttlMs: -1 }, /ttlMs/],
    [{ ttlMs: 1.5 }, /ttlMs/],
    [{ cacheScope: 'shared' }, /cacheScope/],
    [{ 'tools/call': { ttlMs: 1 } }, /no method "tools\/call"/],
    [{ 'tools/list': 5 }, /must be an object/],
  ])('refuses %j at construction', (option, message) => {
    expect(() => resolveCacheHints(option as never)).toThrow(message)
  })

  it("combines a read's parts: the shortest TTL, private as soon as one part is", () => {
    expect(combineHints([undefined, undefined])).toBeUndefined()
    expect(combineHints([{ ttlMs: 500, cacheScope: 'public' }, { ttlMs: 100 }])).toEqual({
      ttlMs: 100,
      cacheScope: 'public',
    })
    expect(
      combineHints([{ cacheScope: 'public' }, { cacheScope: 'private' }, { cacheScope: 'public' }]),
    ).toEqual({ cacheScope: 'private' })
  })
})
