import { describe, expect, it } from 'vitest'
import {
  configurationFingerprint,
  registerInstance,
  unregisterInstance,
} from './instance-registry.js'

describe('configurationFingerprint', () => {
  it('is equal for equal data, whatever the key order', () => {
    expect(configurationFingerprint({ a: 1, b: { c: [1, 2] } })).toBe(
      configurationFingerprint({ b: { c: [1, 2] }, a: 1 }),
    )
    expect(configurationFingerprint({ url: new URL('http://h/x') })).toBe(
      configurationFingerprint({ url: new URL('http://h/x') }),
    )
  })

  it('tells functions and class instances apart by identity', () => {
    const fetchA = async () => new Response()
    const fetchB = async () => new Response()
    expect(configurationFingerprint({ fetch: fetchA })).not.toBe(
      configurationFingerprint({ fetch: fetchB }),
    )
    expect(configurationFingerprint({ fetch: fetchA })).toBe(
      configurationFingerprint({ fetch: fetchA }),
    )
    class Provider {}
    expect(configurationFingerprint({ p: new Provider() })).not.toBe(
      configurationFingerprint({ p: new Provider() }),
    )
  })

  it('sees header differences', () => {
    expect(configurationFingerprint({ headers: { Authorization: 'Bearer a' } })).not.toBe(
      configurationFingerprint({ headers: { Authorization: 'Bearer b' } }),
    )
  })
})

describe('registerInstance', () => {
  it('refuses a second live holder of a key until the first is released', () => {
    const first = {}
    const second = {}
    registerInstance('test:key', first, undefined)
    expect(() => registerInstance('test:key', second, undefined)).toThrow(/unique `id`/)
    unregisterInstance('test:key', first)
    expect(() => registerInstance('test:key', second, undefined)).not.toThrow()
    unregisterInstance('test:key', second)
  })
})
