import { describe, expect, it } from 'vitest'
import { InputValidatorCache } from './input-validator.js'

/** A cache with Ajv loaded, as a connection has it before any tool exists. */
async function loaded(): Promise<InputValidatorCache> {
  const cache = new InputValidatorCache()
  await cache.ready()
  return cache
}

const schema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    count: { type: 'integer', minimum: 1 },
    email: { type: 'string', format: 'email' },
  },
  required: ['name'],
  additionalProperties: false,
}

describe('InputValidatorCache', () => {
  it('accepts valid input', async () => {
    expect((await loaded()).get(schema)({ name: 'a', count: 2 })).toEqual([])
  })

  it('names every invalid field', async () => {
    const issues = (await loaded()).get(schema)({ count: 0, email: 'nope', extra: true })
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: '/name', message: 'is required' },
        { path: '/count', message: 'must be >= 1' },
        { path: '/email', message: 'must match format "email"' },
        { path: '/extra', message: 'is not an allowed property' },
      ]),
    )
  })

  it('compiles a schema once', async () => {
    const cache = await loaded()
    expect(cache.get(schema)).toBe(cache.get(schema))
  })

  it('compiles a schema once for all clients, and keeps nothing of a call', async () => {
    const [mine, theirs] = [await loaded(), await loaded()]
    // Equal schemas from two clients (two users of one server): one compiled function.
    const first = mine.get(structuredClone(schema))
    const second = theirs.get(structuredClone(schema))
    expect(second({ count: 0, email: 'x', secret: 'of-user-a' })).not.toEqual([])
    // The other client's call left no errors behind on the shared function.
    expect(first({ name: 'a', count: 2 })).toEqual([])
    expect(mine.get(schema)({ name: 'b' })).toEqual([])
  })

  it('leaves schemas it cannot compile to the server', async () => {
    const check = (await loaded()).get({ $ref: '#/definitions/missing' })
    expect(check({ anything: 1 })).toEqual([])
  })
})

describe('InputValidatorCache.outputValidator (the SDK Client’s output checks)', () => {
  it('accepts matching output and explains a mismatch', async () => {
    const validate = (await loaded()).outputValidator.getValidator(schema)
    expect(validate({ name: 'a' })).toEqual({
      valid: true,
      data: { name: 'a' },
      errorMessage: undefined,
    })
    const invalid = validate({ count: 0 })
    expect(invalid.valid).toBe(false)
    expect(invalid.errorMessage).toMatch(/name/)
    expect(invalid.errorMessage).toMatch(/count/)
  })

  it('reuses a compiled schema, and accepts what it cannot compile', async () => {
    const cache = await loaded()
    const first = cache.outputValidator.getValidator(schema)
    const again = cache.outputValidator.getValidator(schema)
    expect(again({ name: 'b' }).valid).toBe(true)
    expect(first({}).valid).toBe(false)
    const broken = cache.outputValidator.getValidator({ type: 'object', $ref: '#/missing' })
    expect(broken({ anything: true }).valid).toBe(true)
  })
})
