import { describe, expect, it } from 'vitest'
import { jsonValueProblem } from './json-value.js'

describe('jsonValueProblem', () => {
  it('finds what JSON.stringify cannot send, with its path', () => {
    expect(jsonValueProblem({ a: [1, { b: 10n }] })).toBe('a BigInt at $.a[1].b')
    const cyclic: Record<string, unknown> = { name: 'x' }
    cyclic.self = { back: cyclic }
    expect(jsonValueProblem({ cyclic })).toBe('a cycle at $.cyclic.self.back')
    const throwing = {
      toJSON: () => {
        throw new Error('nope')
      },
    }
    expect(jsonValueProblem([throwing])).toContain('toJSON() that throws (nope) at $[0]')
    let deep: unknown = 1
    for (let i = 0; i < 1500; i++) deep = [deep]
    expect(jsonValueProblem(deep)).toMatch(/nesting deeper than 1000/)
  })

  it('accepts shared references, dates and plain values', () => {
    const shared = { n: 1 }
    expect(jsonValueProblem({ a: shared, b: shared, c: [shared], d: new Date(0) })).toBeUndefined()
    expect(jsonValueProblem(undefined)).toBeUndefined()
    expect(jsonValueProblem('text')).toBeUndefined()
  })
})
