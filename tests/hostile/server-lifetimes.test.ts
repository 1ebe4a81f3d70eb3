// Issue 15, item 10: a call cannot pin a session, or a stateless request, forever. A call that
// outlives its time limit (`toolTimeoutMs`, or a tool's own `timeoutMs`) is answered `isError`
// and its signal aborts, so its session becomes idle and can expire or be evicted; a client that
// goes away takes its calls with it, on 2025 sessions, in stateless mode and on 2026-07-28.
// The time limits and idle expiry run on fake timers (the server is in this process); the
// sockets are real.
import http from 'node:http'
import { createMCPTool, MCPServer } from '@mcpkit/mcp-server-core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { envelope } from '../support/modern-wire.js'
import { waitFor } from '../support/processes.js'
import {
  type Host,
  hostServer,
  initializeBody,
  mcpPostHeaders,
  openRawSession,
  rawRequest,
} from '../support/server-host.js'

function hangingServer(config: { toolTimeoutMs?: number; quickMs?: number } = {}) {
  const counters = { running: 0, aborted: 0 }
  const waiters = new Set<() => void>()
  const changed = () => {
    for (const waiter of waiters) waiter()
  }
  /** Resolves once `predicate` holds on the counters: checked each time a call starts or aborts. */
  const until = (predicate: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (!predicate()) return
        waiters.delete(check)
        resolve()
      }
      waiters.add(check)
      check()
    })
  const hang = (id: string, timeoutMs?: number) =>
    createMCPTool({
      id,
      description: 'runs until its signal aborts',
      ...(timeoutMs ? { timeoutMs } : {}),
      execute: (_input, { extra }) =>
        new Promise((_resolve, reject) => {
          counters.running++
          changed()
          extra.signal.addEventListener(
            'abort',
            () => {
              counters.running--
              counters.aborted++
              changed()
              reject(new Error('aborted'))
            },
            { once: true },
          )
        }),
    })
  const server = new MCPServer({
    name: 'lifetimes',
    version: '1.0.0',
    tools: { hang: hang('hang'), quick: hang('quick', config.quickMs ?? 300) },
    ...(config.toolTimeoutMs ? { toolTimeoutMs: config.toolTimeoutMs } : {}),
  })
  return { server, counters, until }
}

/** Timers and `Date` of this process (the server's call limits and session sweep) are fake. */
function fakeClock(): void {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  })
}

const hangCall = (name = 'hang', id = 5) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } })

/** Starts a POST whose client will hang up (`destroy()`) without reading the answer. */
function startPost(url: URL, headers: Record<string, string>, body: string): http.ClientRequest {
  const request = http.request(url, { method: 'POST', headers, agent: false })
  request.on('error', () => {})
  request.end(body)
  return request
}

/** Starts `count` calls, waits until all of them run, then every client hangs up. */
async function callThenLeave(
  count: number,
  counters: { running: number },
  start: () => http.ClientRequest,
): Promise<void> {
  const requests = Array.from({ length: count }, start)
  expect(await waitFor(() => counters.running === count, { timeoutMs: 5000, intervalMs: 10 })).toBe(
    true,
  )
  for (const request of requests) request.destroy()
}

const hosts: Host[] = []
afterEach(async () => {
  vi.useRealTimers()
  for (const host of hosts.splice(0)) await host.close()
})

describe('a call has a time limit', () => {
  it('ten hanging calls at a cap of ten sessions lock nobody out beyond the time limit', async () => {
    fakeClock()
    const { server, counters, until } = hangingServer({ toolTimeoutMs: 1000 })
    const host = await hostServer(server, { options: { maxSessions: 10 } })
    hosts.push(host)
    const sessions = await Promise.all(
      Array.from({ length: 10 }, () => openRawSession(host.mcpUrl)),
    )
    const calls = sessions.map((sessionId) =>
      rawRequest(host.mcpUrl, {
        headers: mcpPostHeaders(sessionId),
        body: hangCall(),
        timeoutMs: 10_000,
      }),
    )
    await until(() => counters.running === 10)
    const locked = await rawRequest(host.mcpUrl, {
      headers: mcpPostHeaders(),
      body: initializeBody(),
    })
    expect(locked.status, 'every session is busy').toBe(503)

    await vi.advanceTimersByTimeAsync(999)
    expect(counters, 'not cut off before the time limit').toEqual({ running: 10, aborted: 0 })
    await vi.advanceTimersByTimeAsync(1)
    const answers = await Promise.all(calls)
    for (const answer of answers) {
      expect(answer.text).toContain('"isError":true')
      expect(answer.text).toContain('did not finish within 1000 ms')
    }
    expect(counters).toEqual({ running: 0, aborted: 10 })
    const admitted = await rawRequest(host.mcpUrl, {
      headers: mcpPostHeaders(),
      body: initializeBody(),
    })
    expect(admitted.status, 'an idle session was evicted to make room').toBe(200)
  }, 20_000)

  it("a tool's own timeoutMs overrides the server's", async () => {
    fakeClock()
    const { server, counters, until } = hangingServer({ quickMs: 200 })
    const host = await hostServer(server)
    hosts.push(host)
    const sessionId = await openRawSession(host.mcpUrl)
    const answered = rawRequest(host.mcpUrl, {
      headers: mcpPostHeaders(sessionId),
      body: hangCall('quick'),
      timeoutMs: 5000,
    })
    await until(() => counters.running === 1)
    await vi.advanceTimersByTimeAsync(199)
    expect(counters.aborted, 'still running just before its own limit').toBe(0)
    // 200 ms, not the server's default (10 minutes).
    await vi.advanceTimersByTimeAsync(1)
    const answer = await answered
    expect(answer.text).toContain('did not finish within 200 ms')
    expect(counters.aborted).toBe(1)
  })

  it('a session whose call hung expires once the call has been cut off', async () => {
    fakeClock()
    const { server, counters, until } = hangingServer({ toolTimeoutMs: 500 })
    let closed = 0
    let onClosed = () => {}
    const sessionClosed = new Promise<void>((resolve) => {
      onClosed = resolve
    })
    const host = await hostServer(server, {
      options: {
        sessionIdleTimeoutMs: 400,
        onsessionclosed: () => {
          closed++
          onClosed()
        },
      },
    })
    hosts.push(host)
    const sessionId = await openRawSession(host.mcpUrl)
    const answered = rawRequest(host.mcpUrl, {
      headers: mcpPostHeaders(sessionId),
      body: hangCall(),
      timeoutMs: 5000,
    })
    await until(() => counters.running === 1)
    // Busy with its call, the session outlives its idle timeout…
    await vi.advanceTimersByTimeAsync(499)
    expect(closed, 'a session with a call running is not expired').toBe(0)
    // …until the call is cut off; then it is idle, and expires (the sweep runs every 100 ms).
    await vi.advanceTimersByTimeAsync(1)
    expect((await answered).text).toContain('did not finish within 500 ms')
    await vi.advanceTimersByTimeAsync(400 + 2 * 100)
    await sessionClosed
    expect(closed).toBe(1)
    const gone = await rawRequest(host.mcpUrl, {
      headers: mcpPostHeaders(sessionId),
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' }),
    })
    expect(gone.status).toBe(404)
  })
})

describe('a client that goes away takes its calls with it', () => {
  it('2025 session: the call is cancelled and the session is idle again', async () => {
    const { server, counters } = hangingServer()
    const host = await hostServer(server)
    hosts.push(host)
    const sessionId = await openRawSession(host.mcpUrl)
    await callThenLeave(1, counters, () =>
      startPost(host.mcpUrl, mcpPostHeaders(sessionId), hangCall()),
    )
    expect(await waitFor(() => counters.aborted === 1, { timeoutMs: 5000, intervalMs: 20 })).toBe(
      true,
    )
    expect(counters.running).toBe(0)
  })

  it('stateless 2025 requests: 50 abandoned calls are all aborted', async () => {
    const { server, counters } = hangingServer()
    const host = await hostServer(server, { options: { sessionIdGenerator: undefined } })
    hosts.push(host)
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 5,
      method: 'tools/call',
      params: { name: 'hang', arguments: {} },
    })
    await callThenLeave(50, counters, () => startPost(host.mcpUrl, mcpPostHeaders(), body))
    expect(await waitFor(() => counters.aborted === 50, { timeoutMs: 5000, intervalMs: 20 })).toBe(
      true,
    )
    expect(counters.running).toBe(0)
  })

  it('2026-07-28 requests: 50 abandoned calls are all aborted', async () => {
    const { server, counters } = hangingServer()
    const host = await hostServer(server)
    hosts.push(host)
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 5,
      method: 'tools/call',
      params: { name: 'hang', arguments: {}, _meta: envelope() },
    })
    const headers = {
      ...mcpPostHeaders(),
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'hang',
    }
    await callThenLeave(50, counters, () => startPost(host.mcpUrl, headers, body))
    expect(await waitFor(() => counters.aborted === 50, { timeoutMs: 5000, intervalMs: 20 })).toBe(
      true,
    )
    expect(counters.running).toBe(0)
  })

  it('at maxRequestsInFlight one more request gets 503, and the places come back when clients leave', async () => {
    const { server, counters } = hangingServer()
    const host = await hostServer(server, { options: { maxRequestsInFlight: 5 } })
    hosts.push(host)
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 5,
      method: 'tools/call',
      params: { name: 'hang', arguments: {}, _meta: envelope() },
    })
    const headers = {
      ...mcpPostHeaders(),
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'hang',
    }
    const requests = Array.from({ length: 5 }, () => startPost(host.mcpUrl, headers, body))
    expect(await waitFor(() => counters.running === 5, { timeoutMs: 5000, intervalMs: 10 })).toBe(
      true,
    )
    const refused = await rawRequest(host.mcpUrl, { headers, body })
    expect(refused.status).toBe(503)
    expect(refused.headers['retry-after']).toBe('1')
    for (const request of requests) request.destroy()
    expect(await waitFor(() => counters.running === 0, { timeoutMs: 5000, intervalMs: 10 })).toBe(
      true,
    )
    const served = await waitFor(
      async () => {
        const ping = await rawRequest(host.mcpUrl, {
          headers: { ...headers, 'mcp-method': 'server/discover', 'mcp-name': '' },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 6,
            method: 'server/discover',
            params: { _meta: envelope() },
          }),
        })
        return ping.status === 200
      },
      { timeoutMs: 5000, intervalMs: 50 },
    )
    expect(served, 'a place is free again').toBe(true)
  })
})
