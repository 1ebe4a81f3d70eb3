import { getEventListeners } from 'node:events'
import {
  type ApprovalEvent,
  type ApprovalGateOptions,
  type ApprovalHandlerContext,
  type ApprovalRequest,
  RequestContext,
} from '@mcpkit/types'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { isApprovalDenied } from './denied-result.js'
import { argsDigest } from './digest.js'
import { type ApprovalCall, createApprovalGate } from './gate.js'

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

/** A gate whose events are collected. */
function gateWith(options: Omit<ApprovalGateOptions, 'onDecision'>) {
  const events: ApprovalEvent[] = []
  const gate = createApprovalGate({ ...options, onDecision: (event) => events.push(event) })
  return { gate, events }
}

/** A handler that holds each request until the test answers it. */
function manualHandler() {
  const waiting = new Map<
    string,
    { request: ApprovalRequest; context: ApprovalHandlerContext; answer: (value: unknown) => void }
  >()
  const handler = (request: ApprovalRequest, context: ApprovalHandlerContext) =>
    new Promise<boolean>((resolve) => {
      waiting.set(request.id, { request, context, answer: resolve as (value: unknown) => void })
    })
  return { handler, waiting }
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('createApprovalGate', () => {
  it('lets a call the policy does not hold run, with one not-required event', async () => {
    const handler = vi.fn(() => true)
    const { gate, events } = gateWith({ policy: false, handler })
    const check = await gate.check(call())
    expect(check.allowed).toBe(true)
    expect(handler).not.toHaveBeenCalled()
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      outcome: 'not-required',
      enforced: true,
      toolName: 'delete_note',
      serverName: 'notes',
      principal: 'anonymous',
      argsDigest: await argsDigest({ id: 'n1' }),
      requestId: undefined,
      reason: undefined,
      decidedBy: undefined,
    })
    expect(events[0]!.waitedMs).toBeGreaterThanOrEqual(0)
  })

  it('asks the handler with a complete request and runs the call when it approves', async () => {
    const seen: Array<{ request: ApprovalRequest; context: ApprovalHandlerContext }> = []
    const requestContext = new RequestContext({ principal: 'alice' })
    const { gate, events } = gateWith({
      policy: true,
      timeout: 60_000,
      handler: (request, context) => {
        seen.push({ request, context })
        return { approved: true, by: 'reviewer-1' }
      },
    })
    const before = Date.now()
    const check = await gate.check(
      call({
        args: { id: 'n1', force: true },
        annotations: { destructiveHint: true },
        requestContext,
      }),
    )
    expect(check.allowed).toBe(true)
    const { request, context } = seen[0]!
    expect(request).toMatchObject({
      toolName: 'delete_note',
      serverName: 'notes',
      args: { id: 'n1', force: true },
      argsDigest: await argsDigest({ force: true, id: 'n1' }),
      principal: 'alice',
      annotations: { destructiveHint: true },
    })
    expect(request.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(request.createdAt).toBeGreaterThanOrEqual(before)
    expect(request.expiresAt - request.createdAt).toBe(60_000)
    expect(Object.isFrozen(request) && Object.isFrozen(request.args)).toBe(true)
    expect(context.requestContext).toBe(requestContext)
    expect(context.signal.aborted).toBe(false)
    expect(events).toEqual([
      expect.objectContaining({
        outcome: 'approved',
        enforced: true,
        principal: 'alice',
        requestId: request.id,
        decidedBy: 'reviewer-1',
      }),
    ])
  })

  it('defaults the timeout to 5 minutes', async () => {
    let request: ApprovalRequest | undefined
    const gate = createApprovalGate({
      policy: true,
      handler: (each) => {
        request = each
        return true
      },
    })
    await gate.check(call())
    expect(request!.expiresAt - request!.createdAt).toBe(300_000)
  })

  it('gives each call its own request id', async () => {
    const ids = new Set<string>()
    const gate = createApprovalGate({
      policy: true,
      handler: (request) => {
        ids.add(request.id)
        return true
      },
    })
    await Promise.all(Array.from({ length: 20 }, () => gate.check(call())))
    expect(ids.size).toBe(20)
  })

  it('denies with a readable tool result when the handler says no', async () => {
    const { gate, events } = gateWith({
      policy: true,
      handler: () => ({ approved: false, reason: 'too risky', by: 'bob' }),
    })
    const check = await gate.check(call())
    expect(check.allowed).toBe(false)
    if (check.allowed) return
    expect(isApprovalDenied(check.result)).toBe(true)
    expect(check.result.content[0].text).toBe(
      'The call to "delete_note" was denied: too risky. It did not run.',
    )
    expect(check.result._meta['mcpkit/approval']).toEqual({
      outcome: 'denied',
      requestId: check.event.requestId,
      reason: 'too risky',
    })
    expect(events).toEqual([
      expect.objectContaining({ outcome: 'denied', reason: 'too risky', decidedBy: 'bob' }),
    ])
  })

  it('reads a plain false as a denial and anything unclear as a denial too', async () => {
    const no = await createApprovalGate({ policy: true, handler: () => false }).check(call())
    expect(no.allowed).toBe(false)
    const odd = createApprovalGate({
      policy: true,
      handler: (() => 'yes') as unknown as () => boolean,
    })
    const check = await odd.check(call())
    expect(check.allowed).toBe(false)
    expect(check.event.reason).toMatch(/neither a boolean/)
    const truthy = createApprovalGate({
      policy: true,
      handler: (() => ({ approved: 'true' })) as unknown as () => boolean,
    })
    expect((await truthy.check(call())).allowed).toBe(false)
  })

  it('awaits an ApprovalDecider', async () => {
    const decider = {
      decide: vi.fn(async (request: ApprovalRequest) => ({
        approved: request.args.id === 'ok',
        by: 'decider',
      })),
    }
    const gate = createApprovalGate({ policy: true, handler: decider })
    expect((await gate.check(call({ args: { id: 'ok' } }))).allowed).toBe(true)
    expect((await gate.check(call({ args: { id: 'no' } }))).allowed).toBe(false)
    expect(decider.decide).toHaveBeenCalledTimes(2)
  })

  it('denies, without asking, when no handler is configured', async () => {
    const { gate, events } = gateWith({ policy: true })
    const check = await gate.check(call())
    expect(check.allowed).toBe(false)
    if (check.allowed) return
    expect(check.result.content[0].text).toMatch(/`approval.handler`.*`handler`/)
    expect(events).toEqual([expect.objectContaining({ outcome: 'denied', requestId: undefined })])
  })

  it('fails closed when the handler throws or rejects, with its message as the reason', async () => {
    const { gate, events } = gateWith({
      policy: true,
      handler: () => {
        throw new Error('approval service unreachable')
      },
    })
    const check = await gate.check(call())
    expect(check.allowed).toBe(false)
    expect(check.event.reason).toBe('approval service unreachable')
    const rejecting = createApprovalGate({
      policy: true,
      handler: async () => Promise.reject(new Error('rejected')),
    })
    const rejected = await rejecting.check(call())
    expect(rejected.allowed).toBe(false)
    expect(rejected.event.reason).toBe('rejected')
    expect(events).toHaveLength(1)
  })

  it('fails closed when the policy throws: approval is required and the handler decides', async () => {
    const handler = vi.fn(() => true)
    const { gate, events } = gateWith({
      policy: () => {
        throw new Error('rules unavailable')
      },
      handler,
    })
    expect((await gate.check(call())).allowed).toBe(true)
    expect(handler).toHaveBeenCalledTimes(1)
    expect(events[0]).toMatchObject({
      outcome: 'approved',
      reason: expect.stringMatching(/rules unavailable/),
    })
    const denying = createApprovalGate({
      policy: () => {
        throw new Error('rules unavailable')
      },
    })
    expect((await denying.check(call())).allowed).toBe(false)
  })

  it('fails closed when the principal function throws', async () => {
    const handler = vi.fn(() => true)
    const { gate, events } = gateWith({
      policy: false,
      handler,
      principal: () => {
        throw new Error('no session')
      },
    })
    const check = await gate.check(call())
    expect(check.allowed).toBe(false)
    expect(handler).not.toHaveBeenCalled()
    expect(events).toEqual([
      expect.objectContaining({
        outcome: 'denied',
        principal: 'anonymous',
        reason: expect.stringMatching(/no session/),
      }),
    ])
  })

  it('denies arguments it cannot read (a cycle), whatever the policy', async () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    const { gate, events } = gateWith({ policy: false })
    const check = await gate.check(call({ args: cyclic }))
    expect(check.allowed).toBe(false)
    expect(events).toEqual([expect.objectContaining({ outcome: 'denied', argsDigest: '' })])
  })

  it('resolves the principal: fixed, from a function, or from the request context', async () => {
    const principals: string[] = []
    const handler = (request: ApprovalRequest) => {
      principals.push(request.principal)
      return true
    }
    const requestContext = new RequestContext({ principal: 'ctx-user', userId: 'u-7' })
    await createApprovalGate({ policy: true, handler, principal: 'fixed' }).check(
      call({ requestContext }),
    )
    await createApprovalGate({
      policy: true,
      handler,
      principal: (context) => context?.get('userId') as string,
    }).check(call({ requestContext }))
    await createApprovalGate({ policy: true, handler }).check(call({ requestContext }))
    await createApprovalGate({ policy: true, handler }).check(call())
    expect(principals).toEqual(['fixed', 'u-7', 'ctx-user', 'anonymous'])
  })

  it('passes the principal to the policy', async () => {
    const gate = createApprovalGate({
      policy: ({ principal }) => principal !== 'admin',
      handler: () => false,
      principal: (context) => context?.get('user') as string | undefined,
    })
    const admin = await gate.check(call({ requestContext: new RequestContext({ user: 'admin' }) }))
    expect(admin.event.outcome).toBe('not-required')
    const other = await gate.check(call({ requestContext: new RequestContext({ user: 'eve' }) }))
    expect(other.event.outcome).toBe('denied')
  })

  describe('shadow mode', () => {
    it('logs what it would hold as required, runs it, and never asks the handler', async () => {
      const handler = vi.fn(() => false)
      const { gate, events } = gateWith({
        mode: 'shadow',
        policy: { tools: { delete_note: true, list_notes: false } },
        handler,
      })
      expect((await gate.check(call())).allowed).toBe(true)
      expect((await gate.check(call({ toolName: 'list_notes' }))).allowed).toBe(true)
      expect(handler).not.toHaveBeenCalled()
      expect(events.map(({ outcome, enforced }) => ({ outcome, enforced }))).toEqual([
        { outcome: 'required', enforced: false },
        { outcome: 'not-required', enforced: false },
      ])
      expect(events[0]!.requestId).toBeUndefined()
    })
  })

  describe('onDecision', () => {
    it('is called exactly once per checked call, whatever the outcome', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
      const { handler, waiting } = manualHandler()
      const { gate, events } = gateWith({
        policy: ({ args }) => args.id !== 'free',
        handler,
        timeout: 500,
      })
      const controller = new AbortController()
      const checks = [
        gate.check(call({ args: { id: 'free' } })),
        gate.check(call({ args: { id: 'approve-me' } })),
        gate.check(call({ args: { id: 'deny-me' } })),
        gate.check(call({ args: { id: 'let-expire' } })),
        gate.check(call({ args: { id: 'abort-me' }, signal: controller.signal })),
      ]
      // Let the digests (real async crypto) finish so the handler has been asked four times.
      while (waiting.size < 4) await new Promise((resolve) => setImmediate(resolve))
      for (const { request, answer } of waiting.values()) {
        if (request.args.id === 'approve-me') answer(true)
        if (request.args.id === 'deny-me') answer(false)
      }
      controller.abort()
      // 'let-expire' reaches its 500 ms timeout.
      await vi.advanceTimersByTimeAsync(500)
      const results = await Promise.all(checks)
      expect(results.map((check) => check.event.outcome)).toEqual([
        'not-required',
        'approved',
        'denied',
        'expired',
        'denied',
      ])
      expect(events).toHaveLength(5)
      expect(events.map((event) => event.outcome).sort()).toEqual(
        ['approved', 'denied', 'denied', 'expired', 'not-required'].sort(),
      )
      // Late answers after the end change nothing and emit nothing.
      for (const { answer } of waiting.values()) answer(true)
      for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve))
      expect(events).toHaveLength(5)
    })

    it('swallows a throwing or rejecting hook', async () => {
      const throwing = createApprovalGate({
        policy: true,
        handler: () => true,
        onDecision: () => {
          throw new Error('audit sink down')
        },
      })
      expect((await throwing.check(call())).allowed).toBe(true)
      const rejecting = createApprovalGate({
        policy: false,
        onDecision: (async () => {
          throw new Error('async audit sink down')
        }) as unknown as () => void,
      })
      expect((await rejecting.check(call())).allowed).toBe(true)
    })
  })

  describe('expiry', () => {
    it("denies an unanswered call as 'expired' and aborts the handler's signal", async () => {
      const { handler, waiting } = manualHandler()
      const { gate, events } = gateWith({ policy: true, handler, timeout: 50 })
      const started = Date.now()
      const check = await gate.check(call())
      expect(Date.now() - started).toBeGreaterThanOrEqual(45)
      expect(check.allowed).toBe(false)
      if (check.allowed) return
      expect(check.result._meta['mcpkit/approval'].outcome).toBe('expired')
      expect(check.result.content[0].text).toMatch(
        /^The call to "delete_note" was denied: no decision within 50 ms/,
      )
      const { context, request } = [...waiting.values()][0]!
      expect(context.signal.aborted).toBe(true)
      expect(Date.now()).toBeGreaterThanOrEqual(request.expiresAt)
      expect(events).toEqual([
        expect.objectContaining({ outcome: 'expired', requestId: request.id }),
      ])
    })

    it('leaves no timer running once a decision is made', async () => {
      vi.useFakeTimers()
      const gate = createApprovalGate({ policy: true, handler: async () => true, timeout: 60_000 })
      const check = await gate.check(call())
      expect(check.allowed).toBe(true)
      expect(vi.getTimerCount()).toBe(0)
    })

    it('expires by the clock, even with fake timers', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
      const { handler, waiting } = manualHandler()
      const gate = createApprovalGate({ policy: true, handler, timeout: 1_000 })
      const pending = gate.check(call())
      // Let the digest (real async crypto) finish so the handler has been asked.
      while (waiting.size === 0) await new Promise((resolve) => setImmediate(resolve))
      expect(vi.getTimerCount()).toBe(1)
      await vi.advanceTimersByTimeAsync(999)
      let settled = false
      void pending.then(() => {
        settled = true
      })
      await Promise.resolve()
      expect(settled).toBe(false)
      await vi.advanceTimersByTimeAsync(1)
      expect((await pending).event.outcome).toBe('expired')
      expect(vi.getTimerCount()).toBe(0)
    })
  })

  describe('abort', () => {
    it("stops waiting when the call's signal aborts: denied, reason 'aborted'", async () => {
      const { handler, waiting } = manualHandler()
      const { gate, events } = gateWith({ policy: true, handler })
      const controller = new AbortController()
      const pending = gate.check(call({ signal: controller.signal }))
      await until(() => waiting.size === 1)
      const { context } = [...waiting.values()][0]!
      controller.abort(new Error('user left'))
      const check = await pending
      expect(check.allowed).toBe(false)
      expect(check.event).toMatchObject({ outcome: 'denied', reason: 'aborted' })
      expect(context.signal.aborted).toBe(true)
      expect(context.signal.reason).toEqual(new Error('user left'))
      expect(events).toHaveLength(1)
    })

    it('does not ask the handler for a call aborted before it started', async () => {
      const handler = vi.fn(() => true)
      const gate = createApprovalGate({ policy: true, handler })
      const check = await gate.check(call({ signal: AbortSignal.abort() }))
      expect(check.event).toMatchObject({ outcome: 'denied', reason: 'aborted' })
      expect(handler).not.toHaveBeenCalled()
    })

    it('leaves no listener on a long-lived signal', async () => {
      const controller = new AbortController()
      const gate = createApprovalGate({ policy: true, handler: async () => true })
      for (let index = 0; index < 200; index++) {
        await gate.check(call({ args: { index }, signal: controller.signal }))
      }
      const { handler, waiting } = manualHandler()
      const denying = createApprovalGate({ policy: true, handler, timeout: 20 })
      await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          denying.check(call({ args: { index }, signal: controller.signal })),
        ),
      )
      expect(waiting.size).toBe(20)
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    })
  })

  describe('binding', () => {
    it('refuses an approval if the arguments changed while the call waited', async () => {
      const { handler, waiting } = manualHandler()
      const { gate, events } = gateWith({ policy: true, handler })
      const args: Record<string, unknown> = { id: 'n1' }
      const pending = gate.check(call({ args }))
      await until(() => waiting.size === 1)
      const { request, answer } = [...waiting.values()][0]!
      args.id = 'everything'
      expect(request.args).toEqual({ id: 'n1' })
      answer(true)
      const check = await pending
      expect(check.allowed).toBe(false)
      expect(events[0]).toMatchObject({
        outcome: 'denied',
        reason: expect.stringMatching(/arguments changed/),
      })
    })

    it('does not let a handler change what it approves', async () => {
      const gate = createApprovalGate({
        policy: true,
        handler: (request) => {
          expect(() => {
            ;(request.args as Record<string, unknown>).id = 'other'
          }).toThrow(TypeError)
          return true
        },
      })
      expect((await gate.check(call())).allowed).toBe(true)
    })
  })

  describe('concurrency', () => {
    it('never serializes calls: many wait at once and each settles on its own', async () => {
      const { handler, waiting } = manualHandler()
      const gate = createApprovalGate({ policy: true, handler })
      const checks = Array.from({ length: 50 }, (_, index) => gate.check(call({ args: { index } })))
      await until(() => waiting.size === 50)
      const entries = [...waiting.values()].sort(
        (a, b) => (b.request.args.index as number) - (a.request.args.index as number),
      )
      for (const { request, answer } of entries) answer((request.args.index as number) % 3 === 0)
      const results = await Promise.all(checks)
      expect(results.map((check) => check.allowed)).toEqual(
        results.map((_, index) => index % 3 === 0),
      )
    })

    it('does not hold a free call behind one waiting for approval', async () => {
      const { handler, waiting } = manualHandler()
      const gate = createApprovalGate({
        policy: ({ toolName }) => toolName === 'delete_note',
        handler,
      })
      const held = gate.check(call())
      await until(() => waiting.size === 1)
      const free = await gate.check(call({ toolName: 'list_notes' }))
      expect(free.allowed).toBe(true)
      for (const { answer } of waiting.values()) answer(true)
      expect((await held).allowed).toBe(true)
    })
  })

  describe('needsApproval', () => {
    it('evaluates the policy only', async () => {
      const handler = vi.fn(() => true)
      const onDecision = vi.fn()
      const gate = createApprovalGate({
        policy: { tools: { delete_note: true }, default: false },
        handler,
        onDecision,
      })
      expect(await gate.needsApproval(call())).toBe(true)
      expect(await gate.needsApproval(call({ toolName: 'list_notes' }))).toBe(false)
      expect(handler).not.toHaveBeenCalled()
      expect(onDecision).not.toHaveBeenCalled()
    })

    it('fails closed', async () => {
      const throwing = createApprovalGate({
        policy: () => {
          throw new Error('x')
        },
      })
      expect(await throwing.needsApproval(call())).toBe(true)
      const badPrincipal = createApprovalGate({
        policy: false,
        principal: () => {
          throw new Error('x')
        },
      })
      expect(await badPrincipal.needsApproval(call())).toBe(true)
    })
  })

  describe('options', () => {
    it('refuses invalid ones when built', () => {
      expect(() => createApprovalGate({ policy: 'yes' as unknown as boolean })).toThrow(TypeError)
      expect(() => createApprovalGate({ policy: true, timeout: 0 })).toThrow(/timeout/)
      expect(() => createApprovalGate({ policy: true, timeout: 2 ** 31 })).toThrow(/timeout/)
      expect(() =>
        createApprovalGate({ policy: true, handler: {} as unknown as () => boolean }),
      ).toThrow(/handler/)
      expect(() =>
        createApprovalGate({ policy: true, mode: 'audit' as unknown as 'shadow' }),
      ).toThrow(/mode/)
    })
  })
})
