import { describe, expect, it } from 'vitest'
import { canonicalJson } from './canonical-json.js'

describe('canonicalJson', () => {
  it('sorts keys at every depth and has no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[{"y":2,"z":1}]},"b":1}',
    )
  })

  it('follows JSON for values JSON drops or rewrites', () => {
    expect(
      canonicalJson({
        gone: undefined,
        fn: () => 1,
        list: [undefined, () => 1, Number.NaN, Number.POSITIVE_INFINITY],
        // biome-ignore lint/suspicious/noSparseArray: a hole must encode as null, as in JSON
        sparse: [1, , 3],
        date: new Date('2024-01-02T03:04:05.000Z'),
        text: 'é "quoted"\n',
      }),
    ).toBe(
      '{"date":"2024-01-02T03:04:05.000Z","list":[null,null,null,null],"sparse":[1,null,3],"text":"é \\"quoted\\"\\n"}',
    )
  })

  it('parses back to the same value as JSON.stringify gives', () => {
    const value = { z: [1, 'two', { b: null, a: true }], a: { nested: { deep: -0.5 } } }
    expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)))
  })

  it('refuses what JSON cannot represent', () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    expect(() => canonicalJson(cyclic)).toThrow(/cycle/)
    expect(() => canonicalJson({ n: 1n })).toThrow(/bigint/)
  })

  it('with strict, refuses what JSON would leave out, so different values never encode alike', () => {
    expect(canonicalJson({ fn: () => 1 })).toBe('{}')
    expect(() => canonicalJson({ fn: () => 1 }, { strict: true })).toThrow(/function/)
    expect(() => canonicalJson([Symbol('s')], { strict: true })).toThrow(/symbol/)
    expect(canonicalJson({ a: [1, null], b: undefined }, { strict: true })).toBe('{"a":[1,null]}')
  })

  it('allows the same object twice when it is not a cycle', () => {
    const shared = { x: 1 }
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}')
  })
})
