import { RequestContext } from '@mcpkit/types'
import { describe, expect, it } from 'vitest'
import { scopeOfOutgoingRequest } from '../sdk-contract.js'
import { currentRequestContext, runWithRequestContext } from './request-context-storage.js'
import { needsRequestScope, type RequestScope, requestScopeOptions } from './request-scope.js'

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
