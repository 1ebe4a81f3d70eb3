// Ending calls early: a caller's abort signal cancels the call on the server, a request
// timeout rejects without sending the call again, and a long-lived client (or signal) does
// not collect one abort listener per call.
import { getEventListeners } from 'node:events'
import { MCPClient } from '@mcpkit/mcp-client-core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type FixtureServer, startFixture } from '../support/fixture-server.js'
import { expectMCPError, outcomeWithin, textOf } from '../support/helpers.js'
import { sleep, waitFor } from '../support/processes.js'

describe('ending calls early', () => {
  let fixture: FixtureServer

  beforeAll(async () => {
    fixture = await startFixture()
  })
  afterAll(async () => {
    fixture?.releaseBlocked()
    await fixture?.stop()
  })

  it('aborts a call through its signal: ABORTED at once, notifications/cancelled to the server', async () => {
    const client = new MCPClient({ id: 'abort', servers: { fixture: { url: fixture.url } } })
    try {
      const tools = await client.listTools()
      const before = fixture.callsTo('block')
      const controller = new AbortController()
      const call =
        tools.fixture_block?.execute({}, { signal: controller.signal }) ??
        Promise.reject(new Error('no block tool'))
      call.catch(() => {})
      expect(await waitFor(() => fixture.callsTo('block') === before + 1)).toBe(true)

      controller.abort(new Error('user closed the tab'))
      const outcome = await outcomeWithin(call, 1000)
      expect(outcome.status).toBe('rejected')
      if (outcome.status === 'rejected') {
        const error = await expectMCPError(Promise.reject(outcome.reason), 'ABORTED')
        expect(error.message).toContain('user closed the tab')
      }
      expect(
        await waitFor(() => fixture.rpcCount('notifications/cancelled') >= 1, {
          timeoutMs: 10_000,
        }),
      ).toBe(true)

      // An already-aborted signal sends nothing at all.
      const callsBefore = fixture.rpcCount('tools/call')
      await expectMCPError(
        () => tools.fixture_echo?.execute({ text: 'x' }, { signal: AbortSignal.abort() }),
        'ABORTED',
      )
      expect(fixture.rpcCount('tools/call')).toBe(callsBefore)

      // The client is still usable.
      expect(textOf(await tools.fixture_echo?.execute({ text: 'still here' }))).toBe('still here')
    } finally {
      fixture.releaseBlocked()
      await client.disconnect()
    }
  })

  it('rejects a call that outlives its timeout with REQUEST_TIMEOUT and does not send it again', async () => {
    const client = new MCPClient({
      id: 'request-timeout',
      servers: { fixture: { url: fixture.url, timeout: 500 } },
    })
    try {
      const tools = await client.listTools()
      const before = fixture.callsTo('block')
      const started = Date.now()
      const error = await expectMCPError(() => tools.fixture_block?.execute({}), 'REQUEST_TIMEOUT')
      const elapsed = Date.now() - started
      expect(elapsed).toBeGreaterThanOrEqual(450)
      expect(elapsed).toBeLessThan(2500)
      expect(error.message).toContain('"fixture"')
      await sleep(300)
      expect(fixture.callsTo('block')).toBe(before + 1)
    } finally {
      fixture.releaseBlocked()
      await client.disconnect()
    }
  })

  it('makes 1,600 calls on one client without an abort-listener build-up (no MaxListenersExceededWarning)', async () => {
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    // The signal each HTTP request carries, and how many abort listeners it already has: a
    // per-request listener on one long-lived signal shows up here long before Node warns.
    let mostListeners = 0
    const client = new MCPClient({
      id: 'many-calls',
      servers: {
        fixture: {
          url: fixture.url,
          fetch: (url, init) => {
            if (init?.signal) {
              mostListeners = Math.max(
                mostListeners,
                getEventListeners(init.signal, 'abort').length,
              )
            }
            return fetch(url, init)
          },
        },
      },
    })
    try {
      const tools = await client.listTools()
      const echo = tools.fixture_echo
      for (let index = 0; index < 1600; index++) {
        await echo?.execute({ text: String(index) })
      }
      expect(mostListeners, 'abort listeners already on the signal of one request').toBeLessThan(50)
      await sleep(50)
      const leaks = warnings
        .filter((warning) => warning.name === 'MaxListenersExceededWarning')
        .map((warning) => warning.message)
      expect(leaks.slice(0, 1), `${leaks.length} warnings`).toEqual([])
    } finally {
      process.off('warning', onWarning)
      await client.disconnect()
    }
  })

  it('leaves no listener on a caller signal shared by 300 calls', async () => {
    const client = new MCPClient({
      id: 'shared-signal',
      servers: { fixture: { url: fixture.url } },
    })
    try {
      const tools = await client.listTools()
      const controller = new AbortController()
      for (let index = 0; index < 300; index++) {
        await tools.fixture_echo?.execute({ text: String(index) }, { signal: controller.signal })
      }
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    } finally {
      await client.disconnect()
    }
  })

  // Joined with AbortSignal.any(), an agent's long-lived signal would keep what each join
  // registers on it for as long as it lives (nodejs/node#55351).
  it('heeds both a signal and an abortSignal, and joins neither to the other', async () => {
    const client = new MCPClient({ id: 'two-signals', servers: { fixture: { url: fixture.url } } })
    const joins = vi.spyOn(AbortSignal, 'any')
    try {
      const tools = await client.listTools()
      const agent = new AbortController()
      for (let index = 0; index < 20; index++) {
        const call = new AbortController()
        await tools.fixture_echo?.execute(
          { text: String(index) },
          { signal: call.signal, abortSignal: agent.signal },
        )
      }
      const joined = joins.mock.calls.filter(([signals]) => [...signals].includes(agent.signal))
      expect(joined).toHaveLength(0)
      expect(getEventListeners(agent.signal, 'abort')).toHaveLength(0)

      const before = fixture.callsTo('block')
      const blocked =
        tools.fixture_block?.execute(
          {},
          { signal: new AbortController().signal, abortSignal: agent.signal },
        ) ?? Promise.reject(new Error('no block tool'))
      blocked.catch(() => {})
      expect(await waitFor(() => fixture.callsTo('block') === before + 1)).toBe(true)
      agent.abort(new Error('the agent stopped'))
      const error = await expectMCPError(blocked, 'ABORTED')
      expect(error.message).toContain('the agent stopped')
    } finally {
      joins.mockRestore()
      await client.disconnect()
    }
  })
})
