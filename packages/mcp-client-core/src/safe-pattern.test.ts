import { RE2JS } from 're2js'
import { describe, expect, it } from 'vitest'
import { InputValidatorCache } from './input-validator.js'
import { linearRegExpEngine, programSize, withoutPatterns } from './safe-pattern.js'

async function loadedValidators(): Promise<InputValidatorCache> {
  const cache = new InputValidatorCache()
  await cache.ready()
  return cache
}

describe('linearRegExpEngine', () => {
  it('matches a catastrophic-backtracking pattern in linear time', async () => {
    const check = (await loadedValidators()).get({
      type: 'object',
      properties: { text: { type: 'string', pattern: '^(a+)+$' } },
    })
    const started = performance.now()
    expect(check({ text: `${'a'.repeat(5000)}!` })).toHaveLength(1)
    expect(check({ text: 'aaaa' })).toEqual([])
    expect(performance.now() - started).toBeLessThan(100)
  })

  it('leaves unchecked (and reports) what RE2 cannot express, keeping the rest of the schema', async () => {
    const unchecked: string[] = []
    const engine = linearRegExpEngine(RE2JS, (pattern) => unchecked.push(pattern))
    expect(engine('(?=a)b', 'u').test('zzz')).toBe(true)
    expect(engine('x'.repeat(5000), 'u').test('y')).toBe(true)
    expect(unchecked).toHaveLength(2)
    const check = (await loadedValidators()).get({
      type: 'object',
      properties: { a: { type: 'string', pattern: '(\\w)\\1' }, b: { type: 'number' } },
    })
    expect(check({ a: 'xy', b: 'not a number' }).map((issue) => issue.path)).toEqual(['/b'])
  })

  it('checks each pattern by its own expression in the process-wide Ajv', async () => {
    const validators = await loadedValidators()
    const digits = validators.get({ type: 'string', pattern: '^[0-9]+$' })
    const letters = validators.get({ type: 'string', pattern: '^[a-z]+$' })
    expect(digits('123')).toEqual([])
    expect(letters('abc')).toEqual([])
    expect(digits('abc')).toHaveLength(1)
    expect(letters('123')).toHaveLength(1)
  })
})

describe('programSize', () => {
  it('bounds what a pattern may cost to compile: huge expansions are left unchecked, fast', () => {
    expect(programSize('^\\d{1,5}-[a-z]+$')).toBeLessThan(20)
    expect(programSize('(a{1000}){1000}')).toBeGreaterThan(2000)
    const unchecked: string[] = []
    const engine = linearRegExpEngine(RE2JS, (pattern) => unchecked.push(pattern))
    const started = performance.now()
    for (const pattern of [
      'a{1000}'.repeat(580),
      '[\\s\\S]{1000}'.repeat(290),
      '(?:a{999}){999}',
    ]) {
      expect(engine(pattern, 'u').test('b')).toBe(true)
    }
    expect(performance.now() - started).toBeLessThan(100)
    expect(unchecked).toHaveLength(3)
    expect(engine('^\\d{1,5}$', 'u').test('123456')).toBe(false)
  })
})

describe('withoutPatterns', () => {
  it('drops pattern keywords, never properties named pattern or data', () => {
    const schema = {
      type: 'object',
      properties: {
        pattern: { type: 'string', pattern: '^(a+)+$' },
        list: { type: 'array', items: { type: 'string', pattern: 'x' } },
      },
      patternProperties: { '^x': { type: 'string' } },
      additionalProperties: false,
      default: { pattern: 'kept' },
    }
    expect(withoutPatterns(schema)).toEqual({
      type: 'object',
      properties: {
        pattern: { type: 'string' },
        list: { type: 'array', items: { type: 'string' } },
      },
      default: { pattern: 'kept' },
    })
    const plain = { type: 'object', properties: { a: { type: 'string' } } }
    expect(withoutPatterns(plain)).toBe(plain)
  })
})
