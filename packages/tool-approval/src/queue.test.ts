import type { ApprovalEvent, ApprovalRequest } from '@mcpkit/types'
import { isMCPKitError, RequestContext } from '@mcpkit/types'
import { describe, expect, it } from 'vitest'
import { ApprovalError } from './approval-error.js'
import { isApprovalDenied } from './denied-result.js'
import { type ApprovalCall, type ApprovalCheck, createApprovalGate } from './gate.js'
import { MemoryApprovalStore } from './memory-store.js'
import { ApprovalQueue, type ApprovalQueueChange } from './queue.js'
import type { ApprovalRecord, ApprovalStore } from './store.js'

function call(overrides: Partial<ApprovalCall> = {}): ApprovalCall {
  return {
    toolName: 'delete_note',
    serverName: 'notes',
    args: { id: 'n1' },
    annotations: undefined,
    requestContext: null,
    ...overrides,
  }
}

/** A gate that holds every call in `queue`, for the principal in the request context. */
function setup(options: { timeout?: number; queue?: ApprovalQueue } = {}) {
  const queue = options.queue ?? new ApprovalQueue()
  const events: ApprovalEvent[] = []
  const gate = createApprovalGate({
    policy: true,
    handler: queue,
    timeout: options.timeout ?? 60_000,
    onDecision: (event) => events.push(event),
  })
  const as = (principal: string, overrides: Partial<ApprovalCall> = {}) =>
    gate.check(call({ requestContext: new RequestContext({ principal }), ...overrides }))
  return { queue, gate, events, as }
}

async function waitForPending(queue: ApprovalQueue, count: number): Promise<ApprovalRequest[]> {
  const deadline = Date.now() + 3000
  for (;;) {
    const pending = await queue.pending()
    if (pending.length === count) return pending
    if (Date.now() > deadline) throw new Error(`expected ${count} pending, have ${pending.length}`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

async function expectApprovalError(
  promise: Promise<unknown>,
  code: ApprovalError['code'],
  status: number,
) {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(ApprovalError)
  expect(isMCPKitError(error, code)).toBe(true)
  expect((error as ApprovalError).status).toBe(status)
  return error as ApprovalError
}

/** Whether a promise has settled, without waiting for it. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false
  void promise.then(
    () => {
      settled = true
    },
    () => {
      settled = true
    },
  )
  await new Promise((resolve) => setTimeout(resolve, 5))
  return settled
}

describe('ApprovalQueue', () => {
  it('holds a call as a pending request until it is approved', async () => {
    const { queue, events, as } = setup()
    const check = as('alice')
    const [request] = await waitForPending(queue, 1)
    expect(request).toMatchObject({
      toolName: 'delete_note',
      args: { id: 'n1' },
      principal: 'alice',
    })
    expect(await queue.get(request!.id)).toEqual(request)
    expect(await isSettled(check)).toBe(false)
    await queue.approve(request!.id, { principal: 'alice', by: 'alice@example.com' })
    expect((await check).allowed).toBe(true)
    expect(events).toEqual([
      expect.objectContaining({
        outcome: 'approved',
        requestId: request!.id,
        decidedBy: 'alice@example.com',
      }),
    ])
    expect(await queue.pending()).toEqual([])
    expect(await queue.get(request!.id)).toBeUndefined()
  })

  it('denies with the reviewer reason, which the agent reads', async () => {
    const { queue, as } = setup()
    const check = as('alice')
    const [request] = await waitForPending(queue, 1)
    await queue.deny(request!.id, { principal: 'alice', reason: 'not this note', by: 'alice' })
    const result = (await check) as Extract<ApprovalCheck, { allowed: false }>
    expect(result.allowed).toBe(false)
    expect(isApprovalDenied(result.result)).toBe(true)
    expect(result.result.content[0].text).toMatch(/not this note/)
    expect(result.event).toMatchObject({ outcome: 'denied', decidedBy: 'alice' })
  })

  it('keeps 50 concurrent calls pending at once and settles each one individually', async () => {
    const { queue, events, as } = setup()
    const checks = Array.from({ length: 50 }, (_, index) =>
      as(index % 2 === 0 ? 'alice' : 'bob', { args: { id: `n${index}` } }),
    )
    const pending = await waitForPending(queue, 50)
    expect(new Set(pending.map(({ id }) => id)).size).toBe(50)
    expect(await queue.pending({ principal: 'alice' })).toHaveLength(25)
    // Settle in a scrambled order; each settles its own call only.
    const order = [...pending].sort((a, b) => a.id.localeCompare(b.id))
    const expected = new Map<string, boolean>()
    for (const [position, request] of order.entries()) {
      const approve = position % 3 !== 0
      expected.set(request.args.id as string, approve)
      if (approve) await queue.approve(request.id, { principal: request.principal })
      else await queue.deny(request.id, { principal: request.principal })
      expect(await queue.pending()).toHaveLength(49 - position)
    }
    const results = await Promise.all(checks)
    results.forEach((check, index) => {
      expect(check.allowed).toBe(expected.get(`n${index}`))
    })
    expect(events).toHaveLength(50)
  })

  it('approving call A does not release call B with the same tool but other arguments', async () => {
    const { queue, as } = setup()
    const callA = as('alice', { args: { id: 'a' } })
    const callB = as('alice', { args: { id: 'b' } })
    const pending = await waitForPending(queue, 2)
    const requestA = pending.find((request) => request.args.id === 'a')!
    await queue.approve(requestA.id, { principal: 'alice' })
    expect((await callA).allowed).toBe(true)
    expect(await isSettled(callB)).toBe(false)
    expect(await waitForPending(queue, 1)).toEqual([
      pending.find((request) => request.args.id === 'b'),
    ])
    const [requestB] = await queue.pending()
    await queue.deny(requestB!.id)
    expect((await callB).allowed).toBe(false)
  })

  it('approving call A does not release call B with the same arguments for another principal', async () => {
    const { queue, as } = setup()
    const callA = as('alice')
    const callB = as('bob')
    await waitForPending(queue, 2)
    const [requestA] = await queue.pending({ principal: 'alice' })
    const [requestB] = await queue.pending({ principal: 'bob' })
    expect(requestA!.argsDigest).toBe(requestB!.argsDigest)
    await queue.approve(requestA!.id, { principal: 'alice' })
    expect((await callA).allowed).toBe(true)
    expect(await isSettled(callB)).toBe(false)
    // Alice cannot approve Bob's call either.
    await expectApprovalError(
      queue.approve(requestB!.id, { principal: 'alice' }),
      'APPROVAL_FORBIDDEN',
      403,
    )
    expect(await isSettled(callB)).toBe(false)
    await queue.approve(requestB!.id, { principal: 'bob' })
    expect((await callB).allowed).toBe(true)
  })

  it('a replayed approve or deny answers APPROVAL_NOT_FOUND (404)', async () => {
    const { queue, as } = setup()
    const check = as('alice')
    const [request] = await waitForPending(queue, 1)
    await queue.approve(request!.id)
    await check
    const replay = await expectApprovalError(queue.approve(request!.id), 'APPROVAL_NOT_FOUND', 404)
    expect(replay.requestId).toBe(request!.id)
    expect(replay.message).toMatch(/already approved or denied/)
    await expectApprovalError(queue.deny(request!.id), 'APPROVAL_NOT_FOUND', 404)
    await expectApprovalError(queue.approve('no-such-id'), 'APPROVAL_NOT_FOUND', 404)
  })

  it('settles once when approve and deny race', async () => {
    const { queue, as } = setup()
    const check = as('alice')
    const [request] = await waitForPending(queue, 1)
    const outcomes = await Promise.allSettled([
      queue.approve(request!.id),
      queue.deny(request!.id),
      queue.approve(request!.id),
    ])
    expect(outcomes.filter(({ status }) => status === 'fulfilled')).toHaveLength(1)
    expect((await check).allowed).toBe(true)
  })

  it("an expired request answers APPROVAL_EXPIRED (410) and its call got 'expired'", async () => {
    const changes: ApprovalQueueChange[] = []
    const queue = new ApprovalQueue({ onChange: (change) => changes.push(change) })
    const { as } = setup({ queue, timeout: 60 })
    const result = await as('alice')
    const request = changes[0]?.request
    expect(result.allowed).toBe(false)
    expect(result.event.outcome).toBe('expired')
    expect(await queue.pending()).toEqual([])
    await expectApprovalError(
      queue.approve(request!.id, { principal: 'alice' }),
      'APPROVAL_EXPIRED',
      410,
    )
    await expectApprovalError(queue.deny(request!.id), 'APPROVAL_EXPIRED', 410)
    expect(changes.map((change) => change.type === 'settled' && change.outcome)).toEqual([
      false,
      'expired',
    ])
  })

  it('cannot approve a request past its expiresAt even if the waiting call has not noticed yet', async () => {
    // A store whose request already expired, with a call still waiting (its signal not yet aborted).
    const queue = new ApprovalQueue()
    const controller = new AbortController()
    const now = Date.now()
    const request: ApprovalRequest = {
      id: crypto.randomUUID(),
      toolName: 'delete_note',
      serverName: 'notes',
      args: {},
      argsDigest: 'x',
      principal: 'alice',
      annotations: undefined,
      createdAt: now,
      expiresAt: now + 30,
    }
    const decision = queue.decide(request, { requestContext: null, signal: controller.signal })
    await new Promise((resolve) => setTimeout(resolve, 40))
    await expectApprovalError(queue.approve(request.id), 'APPROVAL_EXPIRED', 410)
    controller.abort()
    expect(await decision).toEqual({ approved: false, reason: 'expired' })
  })

  it('a principal mismatch answers APPROVAL_FORBIDDEN (403) and changes nothing', async () => {
    const { queue, as } = setup()
    const check = as('alice')
    const [request] = await waitForPending(queue, 1)
    await expectApprovalError(
      queue.approve(request!.id, { principal: 'mallory' }),
      'APPROVAL_FORBIDDEN',
      403,
    )
    await expectApprovalError(
      queue.deny(request!.id, { principal: 'mallory' }),
      'APPROVAL_FORBIDDEN',
      403,
    )
    expect(await queue.get(request!.id, { principal: 'mallory' })).toBeUndefined()
    expect(await queue.get(request!.id, { principal: 'alice' })).toEqual(request)
    expect(await isSettled(check)).toBe(false)
    await queue.approve(request!.id, { principal: 'alice' })
    expect((await check).allowed).toBe(true)
    // Still 403 (not 404) for someone else once settled: no status leaks to other users.
    await expectApprovalError(
      queue.approve(request!.id, { principal: 'mallory' }),
      'APPROVAL_FORBIDDEN',
      403,
    )
  })

  it('aborting a waiting call removes its request; a later approve answers 404', async () => {
    const changes: ApprovalQueueChange[] = []
    const queue = new ApprovalQueue({ onChange: (change) => changes.push(change) })
    const { as } = setup({ queue })
    const controller = new AbortController()
    const check = as('alice', { signal: controller.signal })
    const [request] = await waitForPending(queue, 1)
    controller.abort()
    expect((await check).event).toMatchObject({ outcome: 'denied', reason: 'aborted' })
    expect(await queue.pending()).toEqual([])
    await expectApprovalError(queue.approve(request!.id), 'APPROVAL_NOT_FOUND', 404)
    expect(changes.at(-1)).toEqual({ type: 'settled', request, outcome: 'denied' })
  })

  it('tells subscribers about each change; unsubscribe and throwing listeners are handled', async () => {
    const { queue, as } = setup()
    const seen: string[] = []
    const unsubscribe = queue.subscribe((change) => {
      seen.push(change.type === 'pending' ? 'pending' : `settled:${change.outcome}`)
    })
    queue.subscribe(() => {
      throw new Error('broken UI')
    })
    const first = as('alice')
    const [request] = await waitForPending(queue, 1)
    await queue.approve(request!.id)
    await first
    unsubscribe()
    const second = as('alice')
    const [next] = await waitForPending(queue, 1)
    await queue.deny(next!.id)
    await second
    expect(seen).toEqual(['pending', 'settled:approved'])
  })

  it('forgets settled requests after the retention period: then an id answers 404', async () => {
    const queue = new ApprovalQueue({ retention: 30 })
    const requests: ApprovalRequest[] = []
    queue.subscribe((change) => {
      if (change.type === 'pending') requests.push(change.request)
    })
    const { as } = setup({ queue, timeout: 20 })
    expect((await as('alice')).event.outcome).toBe('expired')
    const [request] = requests
    await expectApprovalError(queue.approve(request!.id), 'APPROVAL_EXPIRED', 410)
    await new Promise((resolve) => setTimeout(resolve, 40))
    expect(await queue.prune()).toBe(1)
    await expectApprovalError(queue.approve(request!.id), 'APPROVAL_NOT_FOUND', 404)
  })

  it('prunes on its own as new requests arrive', async () => {
    const store = new MemoryApprovalStore()
    const queue = new ApprovalQueue({ store, retention: 10 })
    const { as } = setup({ queue })
    const first = as('alice')
    const [request] = await waitForPending(queue, 1)
    await queue.approve(request!.id)
    await first
    expect(store.size).toBe(1)
    await new Promise((resolve) => setTimeout(resolve, 25))
    const second = as('alice')
    await waitForPending(queue, 1)
    expect(store.size).toBe(1)
    const [next] = await queue.pending()
    await queue.approve(next!.id)
    await second
  })

  it('works with an asynchronous store', async () => {
    const inner = new MemoryApprovalStore()
    const later = <Value>(value: () => Value) =>
      new Promise<Value>((resolve, reject) =>
        setTimeout(() => {
          try {
            resolve(value())
          } catch (error) {
            reject(error)
          }
        }, 2),
      )
    const store: ApprovalStore = {
      add: (request) => later(() => inner.add(request)),
      get: (id) => later(() => inner.get(id)),
      settle: (id, settlement) => later(() => inner.settle(id, settlement)),
      listPending: (filter) => later(() => inner.listPending(filter)),
      prune: (olderThan) => later(() => inner.prune(olderThan)),
    }
    const queue = new ApprovalQueue({ store })
    const { as } = setup({ queue, timeout: 200 })
    const checks = Array.from({ length: 10 }, (_, index) => as('alice', { args: { index } }))
    const pending = await waitForPending(queue, 10)
    await Promise.all(
      pending.map((request) =>
        (request.args.index as number) < 5 ? queue.approve(request.id) : queue.deny(request.id),
      ),
    )
    const results = await Promise.all(checks)
    expect(results.map((check) => check.allowed)).toEqual(results.map((_, index) => index < 5))
    await expectApprovalError(queue.approve(pending[0]!.id), 'APPROVAL_NOT_FOUND', 404)
    // Aborted while the store is still adding: the request must not stay approvable.
    const controller = new AbortController()
    const aborted = as('alice', { signal: controller.signal })
    await new Promise((resolve) => setTimeout(resolve, 0))
    controller.abort()
    await aborted
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(await queue.pending()).toEqual([])
  })

  it('denies (through the gate) when the store fails to add', async () => {
    const store = new MemoryApprovalStore()
    store.add = () => {
      throw new Error('database unavailable')
    }
    const { as } = setup({ queue: new ApprovalQueue({ store }) })
    const check = await as('alice')
    expect(check.allowed).toBe(false)
    expect(check.event.reason).toBe('database unavailable')
  })

  it('refuses a request that is already waiting', async () => {
    const queue = new ApprovalQueue()
    const controller = new AbortController()
    const now = Date.now()
    const request: ApprovalRequest = {
      id: 'fixed',
      toolName: 't',
      serverName: undefined,
      args: {},
      argsDigest: 'x',
      principal: 'alice',
      annotations: undefined,
      createdAt: now,
      expiresAt: now + 10_000,
    }
    const first = queue.decide(request, { requestContext: null, signal: controller.signal })
    await expect(
      queue.decide(request, { requestContext: null, signal: controller.signal }),
    ).rejects.toThrow(/already waiting/)
    controller.abort()
    expect(await first).toEqual({ approved: false, reason: 'aborted' })
    // A settled id cannot be made pending again while it is remembered.
    await expect(
      queue.decide(request, { requestContext: null, signal: new AbortController().signal }),
    ).rejects.toThrow(/already exists/)
  })
})

describe('ApprovalError', () => {
  it('carries code, status and request id, and says what to do', () => {
    const error = new ApprovalError({ code: 'APPROVAL_EXPIRED', requestId: 'r1' })
    expect(error).toMatchObject({
      code: 'APPROVAL_EXPIRED',
      status: 410,
      requestId: 'r1',
      name: 'ApprovalError',
    })
    expect(error.message).toMatch(/r1.*expired.*again/)
    expect(new ApprovalError({ code: 'APPROVAL_FORBIDDEN', requestId: 'r1' }).status).toBe(403)
    expect(new ApprovalError({ code: 'APPROVAL_NOT_FOUND', requestId: 'r1' }).status).toBe(404)
  })
})

describe('ApprovalQueue with a store shared by processes (watch)', () => {
  /** Two queues on one store whose `watch` reports settlements, as a Redis store does. */
  function sharedStore() {
    const memory = new MemoryApprovalStore()
    const listeners = new Set<(record: ApprovalRecord) => void>()
    const store: ApprovalStore = {
      add: (request) => memory.add(request),
      get: (id) => memory.get(id),
      listPending: (filter) => memory.listPending(filter),
      prune: (olderThan) => memory.prune(olderThan),
      settle(id, settlement) {
        const result = memory.settle(id, settlement)
        if (result.record && result.record.status !== 'pending') {
          for (const listener of [...listeners]) listener(result.record)
        }
        return result
      },
      watch(listener) {
        listeners.add(listener)
        return () => listeners.delete(listener)
      },
    }
    return { store, listeners }
  }

  it('releases the call waiting in one queue when another queue settles it, once', async () => {
    const { store, listeners } = sharedStore()
    const waiting = setup({ queue: new ApprovalQueue({ store }) })
    const reviewer = new ApprovalQueue({ store })
    const settled: ApprovalQueueChange[] = []
    waiting.queue.subscribe((change) => {
      if (change.type === 'settled') settled.push(change)
    })
    const check = waiting.as('alice')
    const [request] = await waitForPending(reviewer, 1)
    await expect(reviewer.approve(request!.id, { principal: 'bob' })).rejects.toMatchObject({
      code: 'APPROVAL_FORBIDDEN',
    })
    await reviewer.approve(request!.id, { principal: 'alice', by: 'alice' })
    expect((await check).allowed).toBe(true)
    expect(waiting.events.map((event) => [event.outcome, event.decidedBy])).toEqual([
      ['approved', 'alice'],
    ])
    expect(settled).toHaveLength(1)
    await expect(reviewer.deny(request!.id, { principal: 'alice' })).rejects.toMatchObject({
      code: 'APPROVAL_NOT_FOUND',
    })
    waiting.queue.close()
    reviewer.close()
    expect(listeners.size).toBe(0)
  })

  it('ignores a reported record that is not the request it holds', async () => {
    const { store, listeners } = sharedStore()
    const waiting = setup({ queue: new ApprovalQueue({ store }) })
    const check = waiting.as('alice')
    const [request] = await waitForPending(waiting.queue, 1)
    // Another principal or other arguments under the same id: not a decision for this call.
    for (const listener of listeners) {
      listener({
        request: { ...request!, principal: 'mallory' },
        status: 'approved',
        settledAt: Date.now(),
        decidedBy: 'mallory',
        reason: undefined,
      })
      listener({
        request: { ...request!, argsDigest: 'other' },
        status: 'approved',
        settledAt: Date.now(),
        decidedBy: 'alice',
        reason: undefined,
      })
    }
    await waiting.queue.deny(request!.id, { principal: 'alice', reason: 'no' })
    const outcome = await check
    expect(outcome.allowed).toBe(false)
    waiting.queue.close()
  })
})
