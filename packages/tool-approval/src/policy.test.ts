import { RequestContext, type RequireToolApprovalContext } from '@mcpkit/types'
import { describe, expect, it } from 'vitest'
import { assertValidPolicy, evaluatePolicy, resolvePrincipal } from './policy.js'

function context(overrides: Partial<RequireToolApprovalContext> = {}): RequireToolApprovalContext {
  return {
    toolName: 'delete_note',
    serverName: 'notes',
    args: { id: 'n1' },
    requestContext: null,
    annotations: undefined,
    principal: 'alice',
    ...overrides,
  }
}

describe('evaluatePolicy', () => {
  it('takes true and false as they are', async () => {
    expect(await evaluatePolicy(true, context())).toEqual({ required: true, failure: undefined })
    expect(await evaluatePolicy(false, context())).toEqual({ required: false, failure: undefined })
  })

  it('calls a function (sync or async) with the whole context', async () => {
    const seen: RequireToolApprovalContext[] = []
    const rule = (ctx: RequireToolApprovalContext) => {
      seen.push(ctx)
      return ctx.args.force === true
    }
    expect((await evaluatePolicy(rule, context({ args: { force: true } }))).required).toBe(true)
    expect((await evaluatePolicy(rule, context({ args: {} }))).required).toBe(false)
    expect(seen[0]).toMatchObject({
      toolName: 'delete_note',
      serverName: 'notes',
      principal: 'alice',
    })
    const asyncRule = async (ctx: RequireToolApprovalContext) => ctx.principal !== 'admin'
    expect((await evaluatePolicy(asyncRule, context({ principal: 'admin' }))).required).toBe(false)
    expect((await evaluatePolicy(asyncRule, context())).required).toBe(true)
  })

  it('fails closed when the function throws or rejects', async () => {
    const throwing = () => {
      throw new Error('policy database down')
    }
    const verdict = await evaluatePolicy(throwing, context())
    expect(verdict.required).toBe(true)
    expect(verdict.failure).toMatch(/policy database down/)
    const rejecting = async () => Promise.reject(new Error('nope'))
    expect((await evaluatePolicy(rejecting, context())).required).toBe(true)
  })

  it('fails closed when the function returns something other than a boolean', async () => {
    const forgotReturn = (() => undefined) as unknown as () => boolean
    const verdict = await evaluatePolicy(forgotReturn, context())
    expect(verdict.required).toBe(true)
    expect(verdict.failure).toMatch(/undefined instead of a boolean/)
    const truthyString = (() => 'no') as unknown as () => boolean
    expect((await evaluatePolicy(truthyString, context())).required).toBe(true)
  })

  describe('a per-tool map', () => {
    const map = {
      tools: {
        delete_note: true,
        list_notes: false,
        update_note: ({ args }: RequireToolApprovalContext) => args.title === 'secret',
      },
    }

    it('uses the rule named by the tool name', async () => {
      expect((await evaluatePolicy(map, context({ toolName: 'delete_note' }))).required).toBe(true)
      expect((await evaluatePolicy(map, context({ toolName: 'list_notes' }))).required).toBe(false)
      const update = context({ toolName: 'update_note', args: { title: 'secret' } })
      expect((await evaluatePolicy(map, update)).required).toBe(true)
      expect(
        (await evaluatePolicy(map, context({ toolName: 'update_note', args: { title: 'x' } })))
          .required,
      ).toBe(false)
    })

    it('without default, holds an unnamed tool unless it is annotated read-only', async () => {
      expect((await evaluatePolicy(map, context({ toolName: 'other' }))).required).toBe(true)
      const readOnly = context({ toolName: 'other', annotations: { readOnlyHint: true } })
      expect((await evaluatePolicy(map, readOnly)).required).toBe(false)
      const notReadOnly = context({ toolName: 'other', annotations: { readOnlyHint: false } })
      expect((await evaluatePolicy(map, notReadOnly)).required).toBe(true)
    })

    it('with default, uses it for unnamed tools, read-only or not', async () => {
      const withDefault = { ...map, default: false }
      expect((await evaluatePolicy(withDefault, context({ toolName: 'other' }))).required).toBe(
        false,
      )
      const strict = { tools: {}, default: true }
      const readOnly = context({ toolName: 'other', annotations: { readOnlyHint: true } })
      expect((await evaluatePolicy(strict, readOnly)).required).toBe(true)
    })

    it('ignores inherited keys: a tool named "constructor" or "toString" is not in the map', async () => {
      const empty = { tools: {}, default: true }
      expect((await evaluatePolicy(empty, context({ toolName: 'constructor' }))).required).toBe(
        true,
      )
      const lenient = { tools: {}, default: false }
      expect((await evaluatePolicy(lenient, context({ toolName: 'toString' }))).required).toBe(
        false,
      )
    })

    it('fails closed when a rule in the map throws', async () => {
      const throwing = {
        tools: {
          delete_note: () => {
            throw new Error('boom')
          },
        },
        default: false,
      }
      expect((await evaluatePolicy(throwing, context())).required).toBe(true)
    })
  })
})

describe('assertValidPolicy', () => {
  it('accepts the documented shapes', () => {
    expect(() => assertValidPolicy(true)).not.toThrow()
    expect(() => assertValidPolicy(() => false)).not.toThrow()
    expect(() => assertValidPolicy({ tools: { a: true }, default: () => true })).not.toThrow()
  })

  it('refuses anything else with a message naming the problem', () => {
    expect(() => assertValidPolicy(undefined)).toThrow(/must be true, false, a function/)
    expect(() => assertValidPolicy('yes')).toThrow(TypeError)
    expect(() => assertValidPolicy({ tools: { delete_note: 'always' } })).toThrow(
      /tool "delete_note"/,
    )
    expect(() => assertValidPolicy({ tools: {}, default: 1 })).toThrow(/"default"/)
  })
})

describe('resolvePrincipal', () => {
  const withPrincipal = new RequestContext({ principal: 'bob' })

  it('prefers a fixed string', () => {
    expect(resolvePrincipal('alice', withPrincipal)).toBe('alice')
  })

  it('calls a function with the request context', () => {
    const fromUser = (requestContext: RequestContext | null) =>
      requestContext?.get('userId') as string | undefined
    expect(resolvePrincipal(fromUser, new RequestContext({ userId: 'u-1' }))).toBe('u-1')
    expect(resolvePrincipal(fromUser, null)).toBe('anonymous')
  })

  it("defaults to the context's principal entry, else anonymous", () => {
    expect(resolvePrincipal(undefined, withPrincipal)).toBe('bob')
    expect(resolvePrincipal(undefined, new RequestContext({ principal: '' }))).toBe('anonymous')
    expect(resolvePrincipal(undefined, new RequestContext({ principal: 42 }))).toBe('anonymous')
    expect(resolvePrincipal(undefined, null)).toBe('anonymous')
  })
})
