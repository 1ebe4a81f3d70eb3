import { RequestContext } from '@mcpkit/types'
import { describe, expect, it } from 'vitest'
import { scopeOfOutgoingRequest } from '../sdk-contract.js'
import { currentRequestContext, runWithRequestContext } from './request-context-storage.js'
import {
  needsRequestScope,
  type RequestScope,
  RequestsInFlight,
  requestScopeOptions,
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

describe('requestScopeOptions', () => {
  it('makes request options that name their scope to the transports, spread or not', () => {
    const mine = scope()
    const other = scope()
    const options = requestScopeOptions(mine)
    expect(scopeOfOutgoingRequest(options)).toBe(mine)
    // The SDK spreads a call's options into the ones it hands the transport.
    expect(scopeOfOutgoingRequest({ ...options, relatedRequestId: 4 })).toBe(mine)
    expect(scopeOfOutgoingRequest(requestScopeOptions(other))).toBe(other)
    // Requests of no scope: none given, or a resumption token listener of someone else's.
    expect(scopeOfOutgoingRequest(undefined)).toBeUndefined()
    expect(scopeOfOutgoingRequest({ onresumptiontoken: () => {} })).toBeUndefined()
    // The transport calls it with each SSE event id; it does nothing with them.
    expect(options.onresumptiontoken('event-7')).toBeUndefined()
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

describe('RequestsInFlight', () => {
  it('finds each request’s scope by id until it is deleted, numbers and strings alike', () => {
    const table = new RequestsInFlight(1024)
    const scopes = Array.from({ length: 20 }, scope)
    for (const [index, each] of scopes.entries()) table.set(index % 2 ? index : `r-${index}`, each)
    expect(table.size).toBe(20)
    for (const [index, each] of scopes.entries()) {
      expect(table.get(index % 2 ? index : `r-${index}`)).toBe(each)
    }
    expect(table.get('1')).toBeUndefined()
    table.delete(7)
    table.delete('r-0')
    table.delete(19)
    table.delete(99)
    expect(table.size).toBe(17)
    expect([table.get(7), table.get('r-0'), table.get(19)]).toEqual([
      undefined,
      undefined,
      undefined,
    ])
    expect(table.get(9)).toBe(scopes[9])
    expect(table.get('r-18')).toBe(scopes[18])
  })

  it('replaces the scope of an id set again, and keeps one entry for it', () => {
    const table = new RequestsInFlight(8)
    const [first, second] = [scope(), scope()]
    table.set(1, first)
    table.set(1, second)
    expect(table.size).toBe(1)
    expect(table.get(1)).toBe(second)
  })

  it('forgets the oldest requests past its bound', () => {
    const table = new RequestsInFlight(16)
    const scopes = Array.from({ length: 20 }, scope)
    for (const [id, each] of scopes.entries()) table.set(id, each)
    expect(table.size).toBe(16)
    for (const id of [0, 1, 2, 3]) expect(table.get(id)).toBeUndefined()
    for (let id = 4; id < 20; id++) expect(table.get(id)).toBe(scopes[id])
  })

  it('keeps the order of the rest when one goes, so the bound drops the oldest', () => {
    const table = new RequestsInFlight(3)
    const scopes = Array.from({ length: 5 }, scope)
    table.set(0, scopes[0] as RequestScope)
    table.set(1, scopes[1] as RequestScope)
    table.set(2, scopes[2] as RequestScope)
    table.delete(0)
    table.set(3, scopes[3] as RequestScope)
    table.set(4, scopes[4] as RequestScope)
    // Request 1 is now the oldest: it goes, not request 2.
    expect([0, 1, 2, 3, 4].map((id) => table.get(id))).toEqual([
      undefined,
      undefined,
      scopes[2],
      scopes[3],
      scopes[4],
    ])
  })

  it('empties on clear()', () => {
    const table = new RequestsInFlight(8)
    table.set(1, scope())
    table.set('two', scope())
    table.clear()
    expect(table.size).toBe(0)
    expect(table.get(1)).toBeUndefined()
    table.set(3, scope())
    expect(table.size).toBe(1)
  })
})
