import { describe, expect, it } from 'vitest'
import { RequestContext } from './request-context.js'

describe('RequestContext', () => {
  it('stores values like a Map and chains set()', () => {
    const context = new RequestContext<{ userId: string; role: string }>()
    expect(context.set('userId', 'u1').set('role', 'admin')).toBe(context)
    expect(context.get('userId')).toBe('u1')
    expect(context.has('role')).toBe(true)
    expect(context.size()).toBe(2)
    expect(context.delete('role')).toBe(true)
    expect([...context.keys()]).toEqual(['userId'])
    context.clear()
    expect(context.size()).toBe(0)
  })

  it('accepts an object or entries and serialises to a plain object', () => {
    expect(new RequestContext({ a: 1 }).toJSON()).toEqual({ a: 1 })
    const fromEntries = new RequestContext([['b', 2]])
    expect([...fromEntries]).toEqual([['b', 2]])
    expect(JSON.stringify(fromEntries)).toBe('{"b":2}')
  })

  it('keeps two contexts apart', () => {
    const first = new RequestContext({ token: 'a' })
    const second = new RequestContext({ token: 'b' })
    first.set('token', 'changed')
    expect(second.get('token')).toBe('b')
  })
})
