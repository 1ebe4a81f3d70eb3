// What happens when a server goes away under a live client: a dead stdio server is started
// again on the next call, an HTTP session that the server forgot is re-initialised for calls
// that are safe to repeat, and a call that may have run is never sent a second time.
import { join } from 'node:path'
import { MCPClient } from '@mcpkit/mcp-client-core'
import { isMCPKitError } from '@mcpkit/types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FixtureServer, startFixture } from '../support/fixture-server.js'
import { outcomeWithin, textOf } from '../support/helpers.js'
import {
  isProcessAlive,
  makeTempDir,
  readPids,
  sleep,
  waitFor,
  waitForPids,
} from '../support/processes.js'
import { everythingStdio } from '../support/servers.js'

describe('recovery of a stdio server', () => {
  let dir: { path: string; remove(): Promise<void> }
  beforeAll(async () => {
    dir = await makeTempDir('recovery')
  })
  afterAll(async () => {
    await dir?.remove()
  })

  it('starts a killed stdio server again on the next call', async () => {
    const pidFile = join(dir.path, 'everything.pids')
    const client = new MCPClient({
      id: 'stdio-recovery',
      servers: { everything: { ...everythingStdio(pidFile), timeout: 20_000 } },
    })
    try {
      const tools = await client.listTools()
      const echo = tools.everything_echo
      expect(textOf(await echo?.execute({ message: 'before' }))).toBe('Echo: before')
      const [firstPid] = await waitForPids(pidFile, 1)
      if (firstPid === undefined) throw new Error('no pid')

      process.kill(firstPid, 'SIGKILL')
      expect(await waitFor(() => !isProcessAlive(firstPid), { timeoutMs: 5000 })).toBe(true)
      await sleep(100) // let the client see the pipe close

      // The tool object from before the crash still works: the server is started again.
      expect(textOf(await echo?.execute({ message: 'after' }))).toBe('Echo: after')
      const pids = readPids(pidFile)
      expect(pids).toHaveLength(2)
      expect(pids[1]).not.toBe(firstPid)
      expect(isProcessAlive(pids[1] ?? 0)).toBe(true)

      // Lists work too.
      const prompts = await client.prompts.list()
      expect((prompts.everything ?? []).map((prompt) => prompt.name)).toContain('simple-prompt')
    } finally {
      await client.disconnect()
    }
    for (const pid of readPids(pidFile)) expect(isProcessAlive(pid)).toBe(false)
  })
})

describe('a stdio call cut off by the server dying', () => {
  let dir: { path: string; remove(): Promise<void> }
  beforeAll(async () => {
    dir = await makeTempDir('stdio-cut')
  })
  afterAll(async () => {
    await dir?.remove()
  })

  it('rejects a non-idempotent call with CONNECTION_CLOSED and does not send it again', async () => {
    const pidFile = join(dir.path, 'cut.pids')
    const client = new MCPClient({
      id: 'stdio-cut-off',
      servers: { everything: { ...everythingStdio(pidFile), timeout: 20_000 } },
    })
    let elicitations = 0
    try {
      // The elicitation tool is not idempotent; the server dies while it waits for the answer.
      client.elicitation.onRequest('everything', async () => {
        elicitations++
        const [pid] = readPids(pidFile)
        if (pid !== undefined) process.kill(pid, 'SIGKILL')
        await sleep(200)
        return { action: 'decline' }
      })
      const tools = await client.listTools()
      const trigger = tools['everything_trigger-elicitation-request']
      expect(trigger?.annotations?.idempotentHint).toBe(false)
      const started = Date.now()
      const outcome = await outcomeWithin(trigger?.execute({}) ?? Promise.reject(), 5000)
      expect(outcome.status).toBe('rejected')
      if (outcome.status === 'rejected') {
        expect((outcome.reason as { code?: string }).code).toBe('CONNECTION_CLOSED')
        expect((outcome.reason as Error).message).toContain('everything')
      }
      expect(Date.now() - started).toBeLessThan(5000)
      await sleep(500)
      // Sent once: one elicitation, and no second server was started to run it again.
      expect(elicitations).toBe(1)
      expect(readPids(pidFile)).toHaveLength(1)
    } finally {
      await client.disconnect()
    }
  })
})

describe('recovery of an HTTP session', () => {
  let fixture: FixtureServer
  beforeAll(async () => {
    fixture = await startFixture()
  })
  afterAll(async () => {
    await fixture?.stop()
  })

  it('re-initialises transparently for list calls when the server answers 404 for the session', async () => {
    const client = new MCPClient({
      id: 'session-expiry',
      servers: { fixture: { url: fixture.url } },
    })
    try {
      expect((await client.resources.list()).fixture).toHaveLength(1)
      const initializesBefore = fixture.rpcCount('initialize')

      await fixture.dropSessions()
      const resources = await client.resources.list()
      expect((resources.fixture ?? []).map((resource) => resource.uri)).toEqual([
        'fixture://status',
      ])
      const prompts = await client.prompts.list()
      expect((prompts.fixture ?? []).map((prompt) => prompt.name)).toEqual(['greet'])
      expect(fixture.rpcCount('initialize')).toBe(initializesBefore + 1)
      // The 404 was seen (the old session was used and refused), then a new session began.
      expect(fixture.requests.some((request) => request.status === 404)).toBe(true)
      expect(fixture.sessionCount).toBe(1)
    } finally {
      await client.disconnect()
    }
  })

  it('sends a non-idempotent call again after a 404 for its session, and it runs once', async () => {
    const client = new MCPClient({
      id: 'expired-increment',
      servers: { fixture: { url: fixture.url } },
    })
    try {
      const tools = await client.listTools()
      await fixture.dropSessions()
      const before = fixture.callsTo('increment')
      const result = (await tools.fixture_increment?.execute({})) as { count: number }
      expect(typeof result.count).toBe('number')
      expect(fixture.callsTo('increment')).toBe(before + 1)
    } finally {
      await client.disconnect()
    }
  })

  it('renews resource subscriptions after reconnecting, so onUpdated keeps hearing them', async () => {
    const uri = 'fixture://status'
    const client = new MCPClient({
      id: 'renew-subscriptions',
      servers: { fixture: { url: fixture.url } },
    })
    const updates: string[] = []
    try {
      client.resources.onUpdated('fixture', ({ uri: changed }) => updates.push(changed))
      await client.resources.subscribe('fixture', uri)
      expect(fixture.subscribersOf(uri)).toBe(1)
      await fixture.restart()
      expect(fixture.subscribersOf(uri)).toBe(0)
      await client.resources.list() // reconnects
      expect(await waitFor(() => fixture.subscribersOf(uri) === 1, { timeoutMs: 10_000 })).toBe(
        true,
      )
      // Updates travel on the GET stream; give it a moment to open, then notify.
      await waitFor(
        () => fixture.requests.filter((request) => request.method === 'GET').length >= 2,
        { timeoutMs: 10_000 },
      )
      await sleep(50)
      await fixture.notifyResourceUpdated(uri)
      expect(await waitFor(() => updates.includes(uri), { timeoutMs: 10_000 })).toBe(true)
    } finally {
      await client.disconnect()
    }
  })

  it('keeps working after the server restarts (all sessions and sockets lost)', async () => {
    const client = new MCPClient({
      id: 'server-restart',
      servers: { fixture: { url: fixture.url } },
    })
    try {
      const tools = await client.listTools()
      expect(textOf(await tools.fixture_echo?.execute({ text: 'one' }))).toBe('one')
      await fixture.restart()
      const read = await client.resources.read('fixture', 'fixture://status')
      expect((read.contents[0] as { text?: string }).text).toBe('ok')
      // An idempotent tool (annotated so) from the old tool list still works.
      expect(textOf(await tools.fixture_echo?.execute({ text: 'two' }))).toBe('two')
    } finally {
      await client.disconnect()
    }
  })
})

describe('recovery of a legacy SSE connection', () => {
  let fixture: FixtureServer
  beforeAll(async () => {
    fixture = await startFixture({ mode: 'sse-only' })
  })
  afterAll(async () => {
    await fixture?.stop()
  })

  it('reconnects after the server ended the SSE stream (session forgotten)', async () => {
    const client = new MCPClient({ id: 'sse-recovery', servers: { legacy: { url: fixture.url } } })
    try {
      const tools = await client.listTools()
      expect(textOf(await tools.legacy_echo?.execute({ text: 'before' }))).toBe('before')
      await fixture.dropSessions()
      await sleep(100)
      const resources = await client.resources.list()
      expect((resources.legacy ?? []).map((resource) => resource.uri)).toEqual(['fixture://status'])
      expect(textOf(await tools.legacy_echo?.execute({ text: 'after' }))).toBe('after')
    } finally {
      await client.disconnect()
    }
  })

  it('reconnects after the server restarted', async () => {
    const client = new MCPClient({ id: 'sse-restart', servers: { legacy: { url: fixture.url } } })
    try {
      const tools = await client.listTools()
      await fixture.restart()
      await sleep(100)
      const prompts = await client.prompts.list()
      expect((prompts.legacy ?? []).map((prompt) => prompt.name)).toEqual(['greet'])
      expect(textOf(await tools.legacy_echo?.execute({ text: 'again' }))).toBe('again')
    } finally {
      await client.disconnect()
    }
  })
})

describe.each(['streamable', 'sse-only'] as const)(
  'a call cut off by the server dying (%s)',
  (mode) => {
    let fixture: FixtureServer
    beforeAll(async () => {
      fixture = await startFixture({ mode })
    })
    afterAll(async () => {
      await fixture?.stop()
    })

    it('does not replay a non-idempotent call cut off by the server dying, and rejects it clearly', async () => {
      const client = new MCPClient({
        id: `no-replay-${mode}`,
        servers: { fixture: { url: fixture.url, timeout: 20_000 } },
      })
      try {
        const tools = await client.listTools()
        const block = tools.fixture_block
        expect(block?.annotations?.idempotentHint).toBe(false)
        const callsBefore = fixture.callsTo('block')

        const call = block?.execute({}) ?? Promise.reject(new Error('no block tool'))
        call.catch(() => {}) // observed below
        expect(await waitFor(() => fixture.callsTo('block') === callsBefore + 1)).toBe(true)

        // The server dies mid-call and comes back on the same port.
        await fixture.restart()

        const outcome = await outcomeWithin(call, 5_000)
        expect(outcome.status, 'the cut-off call must reject, well before its 20 s timeout').toBe(
          'rejected',
        )
        if (outcome.status === 'rejected') {
          const error = outcome.reason
          expect(isMCPKitError(error), `not an mcpkit error: ${String(error)}`).toBe(true)
          expect(['CONNECTION_CLOSED', 'CONNECTION_FAILED']).toContain(
            (error as { code: string }).code,
          )
          expect((error as Error).message).toContain('fixture')
        }

        // Not sent again: the restarted server never saw a second `block` call.
        await sleep(1000)
        expect(fixture.callsTo('block')).toBe(callsBefore + 1)

        // The client itself recovered: the next call goes through (and is counted once).
        const incrementsBefore = fixture.callsTo('increment')
        await tools.fixture_increment?.execute({})
        expect(fixture.callsTo('increment')).toBe(incrementsBefore + 1)
      } finally {
        fixture.releaseBlocked()
        await client.disconnect()
      }
    })
  },
)
