import type { ServerContext } from '@modelcontextprotocol/server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createStateCodec, digestOf, principalBinding, type RoundState } from './request-state.js'

/** The parts of a handler context the codec reads: the method and the credentials. */
function contextOf(user: string | undefined, method = 'tools/call'): ServerContext {
  return {
    mcpReq: { method },
    ...(user
      ? {
          http: {
            authInfo: { token: `t-${user}`, clientId: 'app', scopes: [], extra: { sub: user } },
          },
        }
      : {}),
  } as unknown as ServerContext
}

const state: RoundState = { v: 1, m: 'tools/call', n: 'greet', a: 'digest', q: [] }

afterEach(() => {
  vi.useRealTimers()
})

describe('requestState codec', () => {
  it('round-trips a state for the same principal and method', async () => {
    const codec = createStateCodec({ key: 'k'.repeat(32) })
    const minted = await codec.mint(state, contextOf('alice'))
    await expect(codec.verify(minted, contextOf('alice'))).resolves.toEqual(state)
  })

  it('refuses another principal, another method, another key, a tampered and an expired state', async () => {
    const codec = createStateCodec({ key: 'k'.repeat(32), ttlSeconds: 60 })
    const minted = await codec.mint(state, contextOf('alice'))
    await expect(codec.verify(minted, contextOf('bob'))).rejects.toThrow()
    await expect(codec.verify(minted, contextOf(undefined))).rejects.toThrow()
    await expect(codec.verify(minted, contextOf('alice', 'prompts/get'))).rejects.toThrow()
    await expect(
      createStateCodec({ key: 'z'.repeat(32) }).verify(minted, contextOf('alice')),
    ).rejects.toThrow()
    await expect(codec.verify(`${minted}x`, contextOf('alice'))).rejects.toThrow()
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 61_000)
    await expect(codec.verify(minted, contextOf('alice'))).rejects.toThrow()
  })

  it('generates a key per server when none is given: states do not cross servers', async () => {
    const first = createStateCodec(undefined)
    const minted = await first.mint(state, contextOf('alice'))
    await expect(first.verify(minted, contextOf('alice'))).resolves.toEqual(state)
    await expect(createStateCodec(undefined).verify(minted, contextOf('alice'))).rejects.toThrow()
  })

  it.each([
    [{ key: 'short' }, /at least 32 bytes/],
    [{ key: 42 }, /at least 32 bytes/],
    [{ ttlSeconds: 0 }, /ttlSeconds/],
    ['key', /must be an object/],
  ])('refuses %j at construction', (options, message) => {
    expect(() => createStateCodec(options as never)).toThrow(message)
  })

  it('binds to the subject, else the token, else anonymous', () => {
    expect(principalBinding(contextOf('alice'))).toBe('principal:user:alice')
    expect(principalBinding(contextOf(undefined))).toBe('anonymous')
    const tokenOnly = {
      mcpReq: { method: 'tools/call' },
      http: { authInfo: { token: 'opaque', clientId: '', scopes: [] } },
    } as unknown as ServerContext
    expect(principalBinding(tokenOnly)).toBe('token:opaque')
  })

  it('digests equal meanings equally, whatever the key order', async () => {
    expect(await digestOf({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(
      await digestOf({ b: [1, { d: 3, c: 2 }], a: 1 }),
    )
    expect(await digestOf({ a: 1 })).not.toBe(await digestOf({ a: 2 }))
  })
})
