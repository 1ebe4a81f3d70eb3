import type { ApprovalRequest } from '@mcpkit/types'
import { describe, expect, it } from 'vitest'
import { MemoryApprovalStore } from './memory-store.js'

function request(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    id: crypto.randomUUID(),
    toolName: 'delete_note',
    serverName: 'notes',
    args: { id: 'n1' },
    argsDigest: 'digest',
    principal: 'alice',
    annotations: undefined,
    createdAt: 1_000,
    expiresAt: 2_000,
    ...overrides,
  }
}

describe('MemoryApprovalStore', () => {
  it('refuses a second record with the same id', () => {
    const store = new MemoryApprovalStore()
    const first = request()
    store.add(first)
    expect(() => store.add(first)).toThrow(/already exists/)
  })

  it('settles a pending request once', () => {
    const store = new MemoryApprovalStore()
    const pending = request()
    store.add(pending)
    const first = store.settle(pending.id, { status: 'approved', at: 1_500, by: 'alice' })
    expect(first).toMatchObject({
      settled: true,
      record: { status: 'approved', settledAt: 1_500, decidedBy: 'alice' },
    })
    const second = store.settle(pending.id, { status: 'denied', at: 1_600 })
    expect(second).toMatchObject({ settled: false, record: { status: 'approved' } })
    expect(store.settle('unknown', { status: 'approved', at: 1_500 })).toEqual({
      settled: false,
      record: undefined,
    })
  })

  it('settles only for the principal it is told', () => {
    const store = new MemoryApprovalStore()
    const pending = request()
    store.add(pending)
    expect(
      store.settle(pending.id, { status: 'approved', at: 1_500, principal: 'mallory' }),
    ).toMatchObject({ settled: false, record: { status: 'pending' } })
    expect(
      store.settle(pending.id, { status: 'approved', at: 1_500, principal: 'alice' }).settled,
    ).toBe(true)
  })

  it('turns an approval at or after expiresAt into an expiry', () => {
    const store = new MemoryApprovalStore()
    const pending = request()
    store.add(pending)
    expect(store.settle(pending.id, { status: 'approved', at: 2_000 })).toMatchObject({
      settled: false,
      record: { status: 'expired', settledAt: 2_000 },
    })
    expect(store.get(pending.id)?.status).toBe('expired')
    expect(store.settle(pending.id, { status: 'denied', at: 2_001 }).settled).toBe(false)
  })

  it('lists pending requests, oldest first, per principal, without expired ones', () => {
    const store = new MemoryApprovalStore()
    const late = request({ createdAt: 1_200 })
    const early = request({ createdAt: 1_100 })
    const bobs = request({ principal: 'bob' })
    const short = request({ expiresAt: 1_400 })
    const settled = request()
    for (const each of [late, early, bobs, short, settled]) store.add(each)
    store.settle(settled.id, { status: 'denied', at: 1_300 })
    expect(store.listPending({ principal: 'alice', at: 1_300 }).map(({ id }) => id)).toEqual([
      short.id,
      early.id,
      late.id,
    ])
    expect(store.listPending({ principal: 'alice', at: 1_500 }).map(({ id }) => id)).toEqual([
      early.id,
      late.id,
    ])
    expect(store.listPending({ at: 1_500 })).toHaveLength(3)
    expect(store.listPending({ principal: 'nobody', at: 1_500 })).toEqual([])
  })

  it('prunes settled records and long-expired pending ones after the horizon', () => {
    const store = new MemoryApprovalStore()
    const settled = request()
    const expired = request({ expiresAt: 1_500 })
    const live = request({ expiresAt: 10_000 })
    for (const each of [settled, expired, live]) store.add(each)
    store.settle(settled.id, { status: 'approved', at: 1_200 })
    expect(store.prune(1_100)).toBe(0)
    expect(store.prune(1_300)).toBe(1)
    expect(store.get(settled.id)).toBeUndefined()
    expect(store.prune(1_600)).toBe(1)
    expect(store.get(expired.id)).toBeUndefined()
    expect(store.listPending({ at: 1_600 }).map(({ id }) => id)).toEqual([live.id])
    expect(store.size).toBe(1)
  })
})
