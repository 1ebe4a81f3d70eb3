import { RequestContext } from '@mcpkit/types'
import { describe, expect, it } from 'vitest'
import { scopeOfOutgoingRequest } from '../sdk-contract.js'
import { currentRequestContext, runWithRequestContext } from './request-context-storage.js'
import {
  needsRequestScope,
  type RequestScope,
  runInRequestScope,
  runningRequestScopes,
} from './request-scope.js'

const scope = (): RequestScope => ({ received() {}, streamLost() {} })
const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('needsRequestScope', () => {
  it('skips the scope of one stdio request: one message, bounded by the transport', () => {
    expect(needsRequestScope('stdio', {})).toBe(false)
    expect(needsRequestScope('stdio', { list: false })).toBe(false)
  })

  it('keeps it for a stdio list (pages, cursors, a deadline) and for every HTTP request', () => {
    expect(needsRequestScope('stdio', { list: true })).toBe(true)
    for (const kind of ['streamable-http', 'sse'] as const) {
      expect(needsRequestScope(kind, {})).toBe(true)
      expect(needsRequestScope(kind, { list: true })).toBe(true)
    }
  })
})

describe('runInRequestScope', () => {
  it('shows the scope to requests sent across awaits, and is no longer running once settled', async () => {
    const mine = scope()
    const seen: (RequestScope | undefined)[] = []
    expect(runningRequestScopes()).toBe(0)
    const done = runInRequestScope(mine, async () => {
      seen.push(scopeOfOutgoingRequest())
      await tick()
      seen.push(scopeOfOutgoingRequest())
      return 'answer'
    })
    expect(runningRequestScopes()).toBe(1)
    expect(scopeOfOutgoingRequest()).toBeUndefined()
    await expect(done).resolves.toBe('answer')
    await tick()
    expect(seen).toEqual([mine, mine])
    expect(runningRequestScopes()).toBe(0)
    expect(scopeOfOutgoingRequest()).toBeUndefined()
  })

  it('keeps concurrent scopes apart, and runs until the last one settles', async () => {
    const one = scope()
    const two = scope()
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const first = runInRequestScope(one, async () => {
      await gate
      return scopeOfOutgoingRequest()
    })
    const second = runInRequestScope(two, async () => {
      await tick()
      return scopeOfOutgoingRequest()
    })
    expect(await second).toBe(two)
    await tick()
    expect(runningRequestScopes()).toBe(1)
    release()
    expect(await first).toBe(one)
    await tick()
    expect(runningRequestScopes()).toBe(0)
  })

  it('stops running when the callback throws or rejects', async () => {
    expect(() =>
      runInRequestScope(scope(), () => {
        throw new Error('sync')
      }),
    ).toThrow('sync')
    expect(runningRequestScopes()).toBe(0)
    await expect(
      runInRequestScope(scope(), async () => {
        await tick()
        throw new Error('async')
      }),
    ).rejects.toThrow('async')
    await tick()
    expect(runningRequestScopes()).toBe(0)
    // A new scope after the storage was disabled is seen again.
    const again = scope()
    expect(await runInRequestScope(again, async () => scopeOfOutgoingRequest())).toBe(again)
  })
})

describe('runWithRequestContext', () => {
  it('passes the context to what the call causes, and nothing outside it', async () => {
    const context = new RequestContext({ userId: 'u1' })
    const seen = await runWithRequestContext(context, async () => {
      await tick()
      return currentRequestContext()
    })
    expect(seen).toBe(context)
    await tick()
    expect(currentRequestContext()).toBeNull()
  })
})
