// The approval store on a real redis-server: a call waiting in one process is released by a
// decision made in another, exactly once, only by its principal; Redis stopped mid-run gives
// typed errors within the command timeout and never an approval, and service resumes when it
// is back, in this process and in another one, for a call that waited through the outage;
// close() leaves no connection (CLIENT LIST).
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import {
  RedisApprovalStore,
  RedisConnection,
  RedisOAuthStorage,
  RedisServerEventBus,
} from '@mcpkit/redis'
import { ApprovalError, ApprovalQueue, isApprovalDenied, withApproval } from '@mcpkit/tool-approval'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildFixtures } from '../fixtures/build.mjs'
import { outcomeWithin, settle, thrownBy } from '../support/helpers.js'
import { startLineChild } from '../support/line-child.js'
import { waitFor } from '../support/processes.js'
import { hasRedisServer, type RedisServer, startRedisServer } from '../support/redis.js'

const available = hasRedisServer()
let redis: RedisServer
let fixtures: string
const connections: RedisConnection[] = []

beforeAll(async () => {
  if (!available) return
  redis = await startRedisServer()
  fixtures = buildFixtures().dir
})

afterAll(async () => {
  await Promise.all(connections.map((connection) => connection.close()))
  await redis?.stop()
})

function connect(options: {
  keyPrefix: string
  commandTimeout?: number
  name?: string
  server?: RedisServer
}) {
  const logs: { level: string; message: string }[] = []
  const connection = new RedisConnection({
    url: (options.server ?? redis).url,
    keyPrefix: options.keyPrefix,
    commandTimeout: options.commandTimeout ?? 2000,
    ...(options.name ? { redis: { connectionName: options.name } } : {}),
    log: (level, message) => logs.push({ level, message }),
  })
  connections.push(connection)
  return { connection, logs }
}

/** A child process whose call waits for approval. */
function startWaiter(env: Record<string, string>, server: RedisServer = redis) {
  return startLineChild(join(fixtures, 'redis-approval-waiter.js'), {
    REDIS_URL: server.url,
    ...env,
  })
}

/** How many clients of `server` are connected under a name starting with `name`. */
async function connectedAs(admin: RedisConnection, name: string): Promise<number> {
  const list = (await admin.run('client list', (client) => client.client('LIST'))) as string
  return list.split('\n').filter((line) => line.includes(` name=${name}`)).length
}

function deleteTool(queue: ApprovalQueue, options: { principal: string; timeout?: number }) {
  const runs: string[] = []
  const tool = withApproval(
    {
      id: 'delete_note',
      description: 'Deletes a note',
      inputSchema: { type: 'object', properties: { id: { type: 'string' } } },
      execute: async ({ id }: { id: string }, _context?: { signal?: AbortSignal }) => {
        runs.push(id)
        return `deleted ${id}`
      },
    },
    {
      policy: true,
      handler: queue,
      principal: options.principal,
      timeout: options.timeout ?? 30_000,
    },
  )
  return { tool, runs }
}

function nextPending(queue: ApprovalQueue): Promise<string> {
  return new Promise((resolve) => {
    const stop = queue.subscribe((change) => {
      if (change.type !== 'pending') return
      stop()
      resolve(change.request.id)
    })
  })
}

describe.skipIf(!available)('approvals across processes', () => {
  it('releases the call waiting in another process exactly once, and only for its principal', async () => {
    const keyPrefix = 'test-cross:'
    const waiter = startWaiter({ PRINCIPAL: 'alice', KEY_PREFIX: keyPrefix })
    try {
      const id = await waiter.line('PENDING')
      const first = new ApprovalQueue({
        store: new RedisApprovalStore({ connection: connect({ keyPrefix }).connection }),
      })
      const second = new ApprovalQueue({
        store: new RedisApprovalStore({ connection: connect({ keyPrefix }).connection }),
      })

      // Listed from here, for its principal only.
      expect((await first.pending({ principal: 'alice' })).map((request) => request.id)).toEqual([
        id,
      ])
      expect(await first.pending({ principal: 'bob' })).toEqual([])

      // Someone else cannot settle it, and learns nothing.
      const forbidden = await thrownBy(() => first.approve(id, { principal: 'bob' }))
      expect(forbidden).toBeInstanceOf(ApprovalError)
      expect((forbidden as ApprovalError).code).toBe('APPROVAL_FORBIDDEN')

      // Two reviewers in two processes' worth of connections at once: one wins.
      const outcomes = await Promise.all([
        settle(first.approve(id, { principal: 'alice', by: 'alice@example.com' })),
        settle(second.approve(id, { principal: 'alice', by: 'alice@example.com' })),
      ])
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1)
      const loser = outcomes.find((outcome) => outcome.status === 'rejected')
      expect((loser as { reason: ApprovalError }).reason.code).toBe('APPROVAL_NOT_FOUND')

      const { result, ran } = JSON.parse(await waiter.line('RESULT')) as {
        result: string
        ran: number
      }
      expect(result).toBe('deleted draft-1')
      expect(ran).toBe(1)
      expect(await waiter.exited).toBe(0)

      // Settled: cannot be settled again, either way.
      const replay = await thrownBy(() => first.deny(id, { principal: 'alice' }))
      expect((replay as ApprovalError).code).toBe('APPROVAL_NOT_FOUND')
      first.close()
      second.close()
    } finally {
      await waiter.stop()
    }
  })

  it('denies in the other process, with the reviewer’s reason, and audits it there', async () => {
    const keyPrefix = 'test-deny:'
    const local = new ApprovalQueue({
      store: new RedisApprovalStore({ connection: connect({ keyPrefix }).connection }),
    })
    const remote = new ApprovalQueue({
      store: new RedisApprovalStore({ connection: connect({ keyPrefix }).connection }),
    })
    const events: string[] = []
    const runs: string[] = []
    const tool = withApproval(
      {
        id: 'delete_note',
        description: 'd',
        inputSchema: { type: 'object' },
        execute: async ({ id }: { id: string }, _context?: { signal?: AbortSignal }) =>
          runs.push(id),
      },
      {
        policy: true,
        handler: local,
        principal: 'carol',
        timeout: 30_000,
        onDecision: (event) => events.push(`${event.outcome}:${event.reason}`),
      },
    )
    const pending = nextPending(local)
    const call = tool.execute({ id: 'n1' }, {})
    const id = await pending
    await remote.deny(id, { principal: 'carol', reason: 'keep it' })
    const result = await call
    expect(isApprovalDenied(result)).toBe(true)
    expect(runs).toEqual([])
    expect(events).toEqual(['denied:keep it'])
    local.close()
    remote.close()
  })
})

describe.skipIf(!available)('a dropped pub/sub connection', () => {
  it('still releases the waiting call, from the store, once the connection is back', async () => {
    const keyPrefix = 'test-resync:'
    const { connection } = connect({ keyPrefix, name: 'mcpkit-resync-waiter' })
    const queue = new ApprovalQueue({ store: new RedisApprovalStore({ connection }) })
    const reviewer = new ApprovalQueue({
      store: new RedisApprovalStore({ connection: connect({ keyPrefix }).connection }),
    })
    const { tool, runs } = deleteTool(queue, { principal: 'erin' })
    const pending = nextPending(queue)
    const call = tool.execute({ id: 'r1' }, {})
    const id = await pending
    const { connection: admin } = connect({ keyPrefix: 'admin:' })
    // The waiter's pub/sub connection drops, and the decision is published while it is away.
    await admin.run('client kill', (client) =>
      client.call('CLIENT', 'KILL', 'TYPE', 'pubsub', 'SKIPME', 'yes'),
    )
    await reviewer.approve(id, { principal: 'erin' })
    expect(await call).toBe('deleted r1')
    expect(runs).toEqual(['r1'])
    queue.close()
    reviewer.close()
  })
})

describe.skipIf(!available)('Redis stopped mid-run, then restarted', () => {
  it('fails fast with typed errors, never approves, and resumes without a restart', async () => {
    const keyPrefix = 'test-outage:'
    const commandTimeout = 300
    const { connection, logs } = connect({ keyPrefix, commandTimeout })
    const queue = new ApprovalQueue({ store: new RedisApprovalStore({ connection }) })
    const { connection: reviewerConnection } = connect({ keyPrefix, commandTimeout })
    const reviewer = new ApprovalQueue({
      store: new RedisApprovalStore({ connection: reviewerConnection }),
    })
    const { tool, runs } = deleteTool(queue, { principal: 'dave' })

    const pending = nextPending(queue)
    const abort = new AbortController()
    const waiting = tool.execute({ id: 'w1' }, { signal: abort.signal })
    const id = await pending

    await redis.stop()
    try {
      // A decision cannot be recorded: a typed error, within the timeout (plus scheduling).
      let started = Date.now()
      const refused = await thrownBy(() => reviewer.approve(id, { principal: 'dave' }))
      expect(Date.now() - started).toBeLessThan(commandTimeout + 1500)
      expect((refused as { code?: string }).code).toMatch(/^STORE_(UNAVAILABLE|TIMEOUT)$/)
      expect((refused as Error).name).toBe('RedisStoreError')

      // The waiting call is not approved by the outage.
      expect((await outcomeWithin(waiting, 50)).status).toBe('pending')

      // A new call is denied (the store could not keep its request), within the timeout.
      started = Date.now()
      const denied = await tool.execute({ id: 'w2' }, {})
      expect(Date.now() - started).toBeLessThan(commandTimeout + 1500)
      expect(isApprovalDenied(denied)).toBe(true)

      // OAuth storage: a typed error, never a value from elsewhere.
      const oauth = new RedisOAuthStorage({ connection })
      started = Date.now()
      const unread = await thrownBy(() => oauth.get('mcpkit-oauth:v1:server:dave:tokens'))
      expect(Date.now() - started).toBeLessThan(commandTimeout + 1500)
      expect((unread as { code?: string }).code).toMatch(/^STORE_(UNAVAILABLE|TIMEOUT)$/)

      // The event bus still delivers in this process, and reports the lost publish.
      const errors: Error[] = []
      const bus = new RedisServerEventBus({ connection, onError: (error) => errors.push(error) })
      const seen: string[] = []
      const unsubscribe = bus.subscribe((event) => seen.push(event.kind))
      bus.publish({ kind: 'tools_list_changed' })
      expect(seen).toEqual(['tools_list_changed'])
      expect(await waitFor(() => errors.length === 1, { timeoutMs: commandTimeout + 1500 })).toBe(
        true,
      )
      unsubscribe()
      bus.close()

      // The caller gives up: its call is denied as aborted, never run.
      abort.abort()
      expect(isApprovalDenied(await waiting)).toBe(true)
      expect(runs).toEqual([])
      expect(
        logs.some((line) => line.level === 'error' && /connection failed/.test(line.message)),
      ).toBe(true)
    } finally {
      if (redis.pid === 0 || !(await redisUp(connection))) await redis.start()
    }

    // Back: the same queue and connection serve again.
    expect(await waitFor(() => connection.client.status === 'ready', { timeoutMs: 5000 })).toBe(
      true,
    )
    expect(
      await waitFor(() => reviewerConnection.client.status === 'ready', { timeoutMs: 5000 }),
    ).toBe(true)
    const again = nextPending(queue)
    const call = tool.execute({ id: 'w3' }, {})
    const newId = await again
    // The subscriber reconnects on its own; a decision made meanwhile is read from the store.
    expect(
      await waitFor(async () => (await reviewer.pending({ principal: 'dave' })).length === 1),
    ).toBe(true)
    await reviewer.approve(newId, { principal: 'dave' })
    expect(await call).toBe('deleted w3')
    expect(runs).toEqual(['w3'])
    const oauth = new RedisOAuthStorage({ connection })
    await oauth.set('mcpkit-oauth:v1:server:dave:tokens', '{"ok":true}')
    expect(await oauth.get('mcpkit-oauth:v1:server:dave:tokens')).toBe('{"ok":true}')
    expect(logs.some((line) => line.level === 'info' && /is back/.test(line.message))).toBe(true)
    queue.close()
    reviewer.close()
  })
})

describe.skipIf(!available)('Redis stopped mid-run, then restarted, seen by two processes', () => {
  it('both fail fast, the waiting call is not approved, both resume, and the call is released once', async () => {
    // A Redis that keeps its data across the restart (append-only file), as in production.
    const persistent = await startRedisServer({ persist: true })
    const keyPrefix = 'test-outage-two:'
    const commandTimeout = 300
    const waiter = startWaiter(
      {
        PRINCIPAL: 'gail',
        KEY_PREFIX: keyPrefix,
        COMMAND_TIMEOUT: String(commandTimeout),
        APPROVAL_TIMEOUT: '20000',
        CONNECTION_NAME: 'mcpkit-outage-waiter',
      },
      persistent,
    )
    const { connection: reviewerConnection, logs } = connect({
      keyPrefix,
      commandTimeout,
      name: 'mcpkit-outage-reviewer',
      server: persistent,
    })
    const reviewer = new ApprovalQueue({
      store: new RedisApprovalStore({ connection: reviewerConnection }),
    })
    try {
      const id = await waiter.line('PENDING')
      const result = waiter.line('RESULT', 25_000)
      result.catch(() => {}) // awaited below
      expect(await reviewer.pending({ principal: 'gail' })).toHaveLength(1)

      await persistent.stop()
      // The other process sees the outage (its connection logs it) ...
      expect(await waiter.line('LOG error', 5000)).toMatch(/connection failed/)
      // ... and so does this one: a decision cannot be recorded, a typed error in time.
      const started = Date.now()
      const refused = await thrownBy(() => reviewer.approve(id, { principal: 'gail' }))
      expect(Date.now() - started).toBeLessThan(commandTimeout + 1500)
      expect((refused as Error).name).toBe('RedisStoreError')
      expect((refused as { code?: string }).code).toMatch(/^STORE_(UNAVAILABLE|TIMEOUT)$/)
      expect(logs.some((line) => line.level === 'error')).toBe(true)
      // The call waiting in the other process is not approved by the outage.
      expect((await outcomeWithin(result, 50)).status).toBe('pending')
      expect(waiter.child.exitCode).toBeNull()

      await persistent.start()
      // Both processes resume without a restart of their own.
      expect(await waiter.line('LOG info', 10_000)).toMatch(/is back/)
      expect(
        await waitFor(() => reviewerConnection.client.status === 'ready', { timeoutMs: 5000 }),
      ).toBe(true)
      // The request survived; a decision made now releases the call that waited, once.
      expect(
        await waitFor(
          async () =>
            (await reviewer.pending({ principal: 'gail' })).some((request) => request.id === id),
          { timeoutMs: 5000 },
        ),
      ).toBe(true)
      await reviewer.approve(id, { principal: 'gail', by: 'gail@example.com' })
      expect(JSON.parse(await result)).toEqual({ result: 'deleted draft-1', ran: 1 })
      expect(await waiter.exited).toBe(0)
      const again = await thrownBy(() => reviewer.approve(id, { principal: 'gail' }))
      expect((again as ApprovalError).code).toBe('APPROVAL_NOT_FOUND')

      // Connections: the other process closed its own on exit, and close() ends this one's.
      const { connection: admin } = connect({ keyPrefix: 'admin:', server: persistent })
      expect(
        await waitFor(async () => (await connectedAs(admin, 'mcpkit-outage-waiter')) === 0, {
          timeoutMs: 5000,
        }),
      ).toBe(true)
      expect(await connectedAs(admin, 'mcpkit-outage-reviewer')).toBe(2) // commands + pub/sub
      reviewer.close()
      await reviewerConnection.close()
      expect(
        await waitFor(async () => (await connectedAs(admin, 'mcpkit-outage-')) === 0, {
          timeoutMs: 5000,
        }),
      ).toBe(true)
      await admin.close()
    } finally {
      reviewer.close()
      await waiter.stop()
      await reviewerConnection.close()
      await persistent.stop()
      if (persistent.dataDir) rmSync(persistent.dataDir, { recursive: true, force: true })
    }
  })
})

async function redisUp(connection: RedisConnection): Promise<boolean> {
  try {
    await connection.run('ping', (client) => client.ping())
    return true
  } catch {
    return false
  }
}

describe.skipIf(!available)('close()', () => {
  it('leaves no Redis connection open (CLIENT LIST)', async () => {
    const { connection: admin } = connect({ keyPrefix: 'admin:' })
    const named = async () => {
      const list = (await admin.run('client list', (client) => client.client('LIST'))) as string
      return list.split('\n').filter((line) => line.includes('name=mcpkit-close-test')).length
    }
    const { connection } = connect({ keyPrefix: 'test-close:', name: 'mcpkit-close-test' })
    const queue = new ApprovalQueue({ store: new RedisApprovalStore({ connection }) })
    const bus = new RedisServerEventBus({ connection })
    bus.subscribe(() => {})
    await queue.pending()
    // Commands and pub/sub: two connections.
    expect(await waitFor(async () => (await named()) === 2, { timeoutMs: 5000 })).toBe(true)
    await connection.close()
    expect(await waitFor(async () => (await named()) === 0, { timeoutMs: 5000 })).toBe(true)
    const late = await thrownBy(() => queue.pending())
    expect((late as { code?: string }).code).toBe('STORE_UNAVAILABLE')
    await connection.close() // idempotent
  })
})
