// disconnect(): idempotent, ends in-flight calls with DISCONNECTED, ends the Streamable HTTP
// session with DELETE, and leaves no process (the whole process group of an npx-style
// wrapper included), socket, handle or timer behind, even for hundreds of clients.
import { join } from 'node:path'
import { type LogHandler, MCPClient } from '@mcpkit/mcp-client-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FixtureServer, startFixture } from '../support/fixture-server.js'
import {
  activeResources,
  expectMCPError,
  outcomeWithin,
  resourceSurplus,
} from '../support/helpers.js'
import {
  isProcessAlive,
  isProcessGroupAlive,
  makeTempDir,
  processGroupMembers,
  readPids,
  sleep,
  waitFor,
  waitForPids,
  watchExits,
} from '../support/processes.js'
import {
  EVERYTHING_BIN,
  everythingStdio,
  NPX_LIKE_WRAPPER,
  RECORD_PID,
} from '../support/servers.js'

let dir: { path: string; remove(): Promise<void> }
let fixture: FixtureServer

beforeAll(async () => {
  dir = await makeTempDir('disconnect')
  fixture = await startFixture()
})
afterAll(async () => {
  fixture?.releaseBlocked()
  await fixture?.stop()
  await dir?.remove()
})

describe('disconnect()', () => {
  it('is idempotent, also when called concurrently and before any connection', async () => {
    const never = new MCPClient({
      id: 'never-connected',
      servers: { fixture: { url: fixture.url } },
    })
    await never.disconnect()
    await never.disconnect()

    const client = new MCPClient({ id: 'idempotent', servers: { fixture: { url: fixture.url } } })
    await client.listTools()
    await Promise.all([client.disconnect(), client.disconnect()])
    await client.disconnect()
  })

  it('terminates the Streamable HTTP session with DELETE', async () => {
    const client = new MCPClient({ id: 'delete', servers: { fixture: { url: fixture.url } } })
    await client.listTools()
    const sessionId = fixture.requests.find(
      (request) => request.rpcMethods.includes('tools/list') && request.sessionId,
    )?.sessionId
    expect(sessionId).toBeDefined()
    await client.disconnect()
    const deletes = fixture.requests.filter((request) => request.method === 'DELETE')
    expect(deletes.map((request) => request.sessionId)).toContain(sessionId)
    expect(fixture.deletedSessions).toContain(sessionId)
  })

  it('rejects an in-flight HTTP call with DISCONNECTED', async () => {
    const client = new MCPClient({
      id: 'in-flight-http',
      servers: { fixture: { url: fixture.url } },
    })
    const tools = await client.listTools()
    const before = fixture.callsTo('block')
    const call = tools.fixture_block?.execute({}) ?? Promise.reject(new Error('no block tool'))
    call.catch(() => {})
    expect(await waitFor(() => fixture.callsTo('block') === before + 1)).toBe(true)

    const started = Date.now()
    await client.disconnect()
    const outcome = await outcomeWithin(call, 3000)
    expect(outcome.status).toBe('rejected')
    if (outcome.status === 'rejected')
      await expectMCPError(Promise.reject(outcome.reason), 'DISCONNECTED')
    expect(Date.now() - started).toBeLessThan(3000)
    fixture.releaseBlocked()
  })

  it('abandons a connection still being opened: the waiting call rejects with DISCONNECTED', async () => {
    const hanging = await startFixture({ mode: 'hang' })
    const client = new MCPClient({
      id: 'disconnect-while-connecting',
      servers: { slow: { url: hanging.url, timeout: 10_000 } },
    })
    try {
      const read = client.resources.read('slow', 'fixture://status')
      read.catch(() => {})
      expect(await waitFor(() => hanging.requests.length > 0)).toBe(true)
      const started = Date.now()
      await client.disconnect()
      expect(Date.now() - started).toBeLessThan(3000)
      const outcome = await outcomeWithin(read, 1000)
      expect(outcome.status).toBe('rejected')
      if (outcome.status === 'rejected') {
        await expectMCPError(Promise.reject(outcome.reason), 'DISCONNECTED')
      }
      // Nothing tries again afterwards.
      const count = hanging.requests.length
      await sleep(500)
      expect(hanging.requests.length).toBe(count)
    } finally {
      await hanging.stop()
    }
  })

  it('ends a stdio server that is still starting when disconnect() is called', async () => {
    const pidFile = join(dir.path, 'starting.pids')
    const client = new MCPClient({
      id: 'disconnect-while-spawning',
      servers: {
        silent: {
          command: process.execPath,
          args: ['--require', RECORD_PID, '-e', 'setInterval(() => {}, 1000)'],
          env: { MCPKIT_TEST_PID_FILE: pidFile },
          timeout: 10_000,
        },
      },
    })
    const list = client.listTools()
    list.catch(() => {})
    const [pid] = await waitForPids(pidFile)
    const started = Date.now()
    await client.disconnect()
    expect(Date.now() - started).toBeLessThan(6000)
    const outcome = await outcomeWithin(list, 1000)
    expect(outcome.status).toBe('rejected')
    expect(isProcessAlive(pid ?? 0)).toBe(false)
  })

  it('rejects calls made after disconnect() with DISCONNECTED', async () => {
    const client = new MCPClient({
      id: 'after-disconnect',
      servers: { fixture: { url: fixture.url } },
    })
    const tools = await client.listTools()
    await client.disconnect()
    const requests = fixture.requests.length
    await expectMCPError(() => tools.fixture_echo?.execute({ text: 'late' }), 'DISCONNECTED')
    await expectMCPError(() => client.listTools(), 'DISCONNECTED')
    expect(fixture.requests.length).toBe(requests)
  })

  it('rejects an in-flight stdio call with DISCONNECTED and stops the server', async () => {
    const pidFile = join(dir.path, 'in-flight.pids')
    const client = new MCPClient({
      id: 'in-flight-stdio',
      servers: { everything: { ...everythingStdio(pidFile), timeout: 20_000 } },
    })
    const tools = await client.listTools()
    const [pid] = await waitForPids(pidFile)
    // The call is in flight once the server reports its first step (an event, not a sleep).
    let running: () => void = () => {}
    const inFlight = new Promise<void>((resolve) => {
      running = resolve
    })
    client.progress.onUpdate('everything', () => running())
    const call =
      tools['everything_trigger-long-running-operation']?.execute({ duration: 20, steps: 20 }) ??
      Promise.reject(new Error('no tool'))
    call.catch(() => {})
    expect((await outcomeWithin(inFlight, 10_000)).status).toBe('fulfilled')
    await client.disconnect()
    const outcome = await outcomeWithin(call, 3000)
    expect(outcome.status).toBe('rejected')
    if (outcome.status === 'rejected')
      await expectMCPError(Promise.reject(outcome.reason), 'DISCONNECTED')
    expect(isProcessAlive(pid ?? 0)).toBe(false)
  })
})

describe('process-wide side effects', () => {
  it('installs no signal or exit handlers and leaves global fetch alone', async () => {
    const events = ['SIGTERM', 'SIGINT', 'SIGHUP', 'exit', 'beforeExit', 'uncaughtException']
    const counts = () => events.map((event) => process.listenerCount(event))
    const before = counts()
    const globalFetch = globalThis.fetch
    const clients = Array.from(
      { length: 12 },
      (_, index) =>
        new MCPClient({
          id: `side-effects-${index}`,
          servers: { fixture: { url: fixture.url } },
        }),
    )
    const stdio = new MCPClient({
      id: 'side-effects-stdio',
      servers: { everything: { ...everythingStdio(), timeout: 20_000 } },
    })
    try {
      await Promise.all([...clients, stdio].map((client) => client.listTools()))
      expect(counts()).toEqual(before)
      expect(globalThis.fetch).toBe(globalFetch)
    } finally {
      await Promise.all([...clients, stdio].map((client) => client.disconnect()))
    }
    expect(counts()).toEqual(before)
  })
})

describe('an npx-style wrapper', () => {
  it('is ended with the server it started and everything else in its process group', async () => {
    const pidFile = join(dir.path, 'wrapped.pids')
    const exits = await watchExits(pidFile)
    const client = new MCPClient({
      id: 'npx-wrapper',
      servers: {
        wrapped: {
          command: process.execPath,
          args: [
            NPX_LIKE_WRAPPER,
            process.execPath,
            '--require',
            RECORD_PID,
            EVERYTHING_BIN,
            'stdio',
          ],
          env: { MCPKIT_TEST_PID_FILE: pidFile, MCPKIT_TEST_WRAPPER_SIDECAR: '1' },
          stderr: 'ignore',
          timeout: 20_000,
        },
      },
    })
    const tools = await client.listTools()
    expect(Object.keys(tools)).toContain('wrapped_echo')

    const [serverPid] = await waitForPids(pidFile)
    const [wrapperPid] = await waitForPids(`${pidFile}.wrapper`)
    const [sidecarPid] = await waitForPids(`${pidFile}.sidecar`)
    const pids = [wrapperPid, serverPid, sidecarPid] as number[]
    for (const pid of pids) expect(isProcessAlive(pid)).toBe(true)
    // The wrapper leads its own process group (so the client can end all of it).
    expect(processGroupMembers(wrapperPid as number).sort()).toEqual([...pids].sort())

    await exits.reported(pids, 10_000)

    await client.disconnect()
    // disconnect() resolves once the server is gone; its group's exits are events, waited for
    // with a deadline.
    try {
      expect(await exits.exited(pids, 10_000)).toEqual([])
    } finally {
      await exits.close()
    }
    for (const pid of pids) expect(isProcessAlive(pid), `pid ${pid}`).toBe(false)
    expect(isProcessGroupAlive(wrapperPid as number)).toBe(false)
  })
})

describe('disconnect() of many clients', () => {
  it('leaves no process, socket, handle or timer after 200 clients (mostly HTTP, some stdio)', async () => {
    const httpCount = 160 // Streamable HTTP
    const sseCount = 30 // legacy SSE, reached through the 405 fallback
    const stdioCount = 10
    const wrappedCount = 4 // of the stdio ones: started through an npx-style wrapper
    const legacy = await startFixture({ mode: 'sse-only' })
    // Let the fixture's idle keep-alive sockets from earlier tests close first.
    await waitFor(() => fixture.openConnections === 0, { timeoutMs: 5000 })
    const baseline = activeResources()

    const stdioPidFile = join(dir.path, 'many.pids')
    const exits = await watchExits(stdioPidFile)
    const clients: MCPClient[] = []
    // What the clients report (a DELETE that could not be sent says so), for the failure message.
    const warnings: string[] = []
    const logger: LogHandler = ({ level, message }) => {
      if (level === 'warning' || level === 'error') warnings.push(message)
    }
    for (let index = 0; index < httpCount; index++) {
      clients.push(
        new MCPClient({
          id: `many-http-${index}`,
          servers: { fixture: { url: fixture.url } },
          logger,
        }),
      )
    }
    for (let index = 0; index < sseCount; index++) {
      clients.push(
        new MCPClient({ id: `many-sse-${index}`, servers: { legacy: { url: legacy.url } } }),
      )
    }
    for (let index = 0; index < stdioCount - wrappedCount; index++) {
      clients.push(
        new MCPClient({
          id: `many-stdio-${index}`,
          servers: { everything: { ...everythingStdio(stdioPidFile), timeout: 30_000 } },
        }),
      )
    }
    for (let index = 0; index < wrappedCount; index++) {
      clients.push(
        new MCPClient({
          id: `many-wrapped-${index}`,
          servers: {
            everything: {
              command: process.execPath,
              args: [NPX_LIKE_WRAPPER, process.execPath, ...everythingStdio(stdioPidFile).args],
              env: { MCPKIT_TEST_PID_FILE: stdioPidFile, MCPKIT_TEST_WRAPPER_SIDECAR: '1' },
              stderr: 'ignore',
              timeout: 30_000,
            },
          },
        }),
      )
    }

    // Connect all (in batches, to stay kind to two cores) and use each once.
    for (let start = 0; start < clients.length; start += 25) {
      await Promise.all(
        clients.slice(start, start + 25).map(async (client) => {
          const tools = await client.listTools()
          expect(Object.keys(tools).length).toBeGreaterThan(0)
        }),
      )
    }
    const serverPids = await waitForPids(stdioPidFile, stdioCount)
    expect(serverPids).toHaveLength(stdioCount)
    const wrapperPids = await waitForPids(`${stdioPidFile}.wrapper`, wrappedCount)
    const sidecarPids = await waitForPids(`${stdioPidFile}.sidecar`, wrappedCount)
    const pids = [...serverPids, ...wrapperPids, ...sidecarPids]
    for (const pid of pids) expect(isProcessAlive(pid)).toBe(true)
    await exits.reported(pids, 10_000)
    // The groups the client must end: each direct server's and each wrapper's.
    const groups = [
      ...serverPids.filter((pid) => processGroupMembers(pid).includes(pid)),
      ...wrapperPids,
    ]
    expect(groups).toHaveLength(stdioCount)
    expect(fixture.sessionCount).toBe(httpCount)
    expect(fixture.openConnections).toBeGreaterThan(0)
    expect(legacy.sessionCount).toBe(sseCount)

    await Promise.all(clients.map((client) => client.disconnect()))

    // No child process left: servers, wrappers, and the sidecars only a group kill ends. Each
    // exit is an event (its beacon's connection closes), waited for with a deadline well past
    // the SIGKILL that follows SIGTERM after 2 s.
    try {
      expect(await exits.exited(pids, 15_000)).toEqual([])
    } finally {
      await exits.close()
    }
    expect(pids.filter((pid) => isProcessAlive(pid))).toEqual([])
    expect(groups.filter((pgid) => isProcessGroupAlive(pgid))).toEqual([])

    // Every session ended by DELETE, no socket left open to the server (idle keep-alive
    // sockets are closed within 2 s; an open stream would stay).
    const deletes = fixture.requests.filter((request) => request.method === 'DELETE')
    const statuses = deletes.map((request) => request.status ?? 'no answer yet')
    expect(
      fixture.sessionCount,
      `sessions left after disconnect(); ${deletes.length} DELETEs arrived, statuses ${JSON.stringify(statuses.filter((status) => status !== 200))} besides ${statuses.filter((status) => status === 200).length}×200; client warnings: ${JSON.stringify(warnings)}`,
    ).toBe(0)
    await waitFor(() => fixture.openConnections === 0 && legacy.openConnections === 0, {
      timeoutMs: 5000,
    })
    expect(fixture.openConnections).toBe(0)
    // Legacy SSE: every stream closed, and nothing reconnects afterwards.
    expect(legacy.sessionCount).toBe(0)
    expect(legacy.openConnections).toBe(0)
    const legacyRequests = legacy.requests.length

    // No handle or timer left in this process beyond what it had before.
    await waitFor(() => Object.keys(resourceSurplus(baseline, activeResources())).length === 0, {
      timeoutMs: 10_000,
    })
    expect(resourceSurplus(baseline, activeResources())).toEqual({})
    expect(readPids(stdioPidFile)).toHaveLength(stdioCount)
    expect(legacy.requests.length).toBe(legacyRequests)
    await legacy.stop()
  })
})
