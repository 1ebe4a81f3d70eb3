// Two MCPServer processes sharing a real redis-server, behind the demo's round-robin proxy:
// a 2026-07-28 listen stream on one instance gets a notification raised on the other; an
// `input_required` retry crosses instances (and a state signed with another key is refused);
// a 2025 session stays on its instance (affinity by Mcp-Session-Id), answers 404 elsewhere,
// and when its instance dies mcpkit's client starts a new session without replaying a call
// that may have run.
import { join } from 'node:path'
import { startRoundRobinProxy } from '@mcpkit/demo'
import { MCPClient } from '@mcpkit/mcp-client-core'
import type { LogMessage } from '@mcpkit/types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildFixtures } from '../fixtures/build.mjs'
import { expectMCPError, textOf } from '../support/helpers.js'
import { waitFor } from '../support/processes.js'
import { hasRedisServer, type RedisServer, startRedisServer } from '../support/redis.js'
import { type StartedServer, startListeningProcess } from '../support/servers.js'

const available = hasRedisServer()
const KEY = 'a shared request-state key, 32 bytes or more'
let redis: RedisServer
let fixtures: string
const started: StartedServer[] = []
const clients: MCPClient[] = []

beforeAll(async () => {
  if (!available) return
  fixtures = buildFixtures().dir
  redis = await startRedisServer()
})

afterAll(async () => {
  await Promise.all(clients.map((client) => client.disconnect()))
  await Promise.all(started.map((instance) => instance.stop()))
  await redis?.stop()
})

async function startInstance(name: string, options: { keyPrefix: string; key?: string }) {
  const instance = await startListeningProcess({
    args: [join(fixtures, 'redis-mcp-instance.js')],
    path: '/mcp',
    label: `instance ${name}`,
    env: {
      REDIS_URL: redis.url,
      KEY_PREFIX: options.keyPrefix,
      INSTANCE: name,
      REQUEST_STATE_KEY: options.key ?? KEY,
    },
  })
  started.push(instance)
  return instance
}

function clientOf(url: URL, options: { id: string; protocolVersion?: 'legacy' }) {
  const lines: LogMessage[] = []
  const client = new MCPClient({
    id: options.id,
    servers: {
      notes: {
        url,
        ...(options.protocolVersion ? { protocolVersion: options.protocolVersion } : {}),
        logger: (line) => lines.push(line),
      },
    },
  })
  clients.push(client)
  return { client, lines }
}

async function call(client: MCPClient, tool: string, args: Record<string, unknown> = {}) {
  const found = (await client.listToolsets()).notes?.[tool]
  if (!found) throw new Error(`no tool ${tool}`)
  return textOf(await found.execute(args))
}

describe.skipIf(!available)('2026-07-28 era across instances', () => {
  it('delivers a notification raised on one instance to a listen stream on the other', async () => {
    const [a, b] = await Promise.all([
      startInstance('A', { keyPrefix: 'modern-bus:' }),
      startInstance('B', { keyPrefix: 'modern-bus:' }),
    ])
    const { client: listener, lines } = clientOf(a.url, { id: 'redis-listener' })
    const updates: string[] = []
    let notified: () => void = () => {}
    const updated = new Promise<void>((resolve) => {
      notified = resolve
    })
    listener.resources.onUpdated('notes', ({ uri }) => {
      updates.push(uri)
      notified()
    })
    expect(await call(listener, 'instance')).toBe('A')
    await listener.resources.subscribe('notes', 'notes://status')
    expect(
      await waitFor(() => lines.some((line) => line.message.includes('listen stream open')), {
        timeoutMs: 10_000,
      }),
    ).toBe(true)

    const { client: writer } = clientOf(b.url, { id: 'redis-writer' })
    expect(await call(writer, 'touch', { uri: 'notes://status' })).toBe(
      'touched notes://status on B',
    )
    await updated
    expect(updates).toEqual(['notes://status'])
  })

  it('accepts an input_required retry on the other instance, and refuses a state signed elsewhere', async () => {
    const [a, b] = await Promise.all([
      startInstance('A', { keyPrefix: 'modern-state:' }),
      startInstance('B', { keyPrefix: 'modern-state:' }),
    ])
    const proxy = await startRoundRobinProxy({ upstreams: [a.url.origin, b.url.origin] })
    try {
      const { client } = clientOf(new URL('/mcp', proxy.url), { id: 'redis-interview' })
      const questions: string[] = []
      client.elicitation.onRequest('notes', async (request) => {
        questions.push(String(request.message))
        return { action: 'accept', content: { name: 'Ada' } }
      })
      const toolsets = await client.listToolsets()
      // Round-robin: the first call and its retry land on different instances.
      const answer = textOf(await toolsets.notes!.interview!.execute({}))
      expect(questions).toHaveLength(1)
      const asked = /asked on (\w)/.exec(questions[0]!)?.[1]
      const answered = /answered on (\w)/.exec(answer)?.[1]
      expect(answer.startsWith('Ada')).toBe(true)
      expect(asked).toBeDefined()
      expect(answered).toBeDefined()
      expect(asked).not.toBe(answered)
    } finally {
      await proxy.close()
    }

    // An instance with another key: the retry carries a state it did not sign.
    const foreign = await startInstance('C', {
      keyPrefix: 'modern-state:',
      key: 'another key, also 32 bytes or more!',
    })
    const mixed = await startRoundRobinProxy({ upstreams: [a.url.origin, foreign.url.origin] })
    try {
      const { client } = clientOf(new URL('/mcp', mixed.url), { id: 'redis-interview-foreign' })
      client.elicitation.onRequest('notes', async () => ({
        action: 'accept',
        content: { name: 'Eve' },
      }))
      const toolsets = await client.listToolsets()
      // listToolsets went to one instance; the call to the other, its retry back to the first:
      // make the question come from A and the retry reach C by aligning the rotation.
      const outcomes: string[] = []
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          outcomes.push(textOf(await toolsets.notes!.interview!.execute({})))
        } catch (error) {
          outcomes.push(`error:${(error as { code?: string }).code}:${(error as Error).message}`)
        }
      }
      // Every crossing between A and C is refused; nothing answered with a foreign state.
      expect(outcomes.every((outcome) => outcome.startsWith('error:'))).toBe(true)
      expect(outcomes.join('\n')).toMatch(/requestState|state/i)
    } finally {
      await mixed.close()
    }
  })
})

describe.skipIf(!available)('2025 sessions across instances', () => {
  it('keeps a session on its instance, answers 404 elsewhere, and re-initializes after its instance dies without replaying a write', async () => {
    const [a, b] = await Promise.all([
      startInstance('A', { keyPrefix: 'legacy:' }),
      startInstance('B', { keyPrefix: 'legacy:' }),
    ])
    const proxy = await startRoundRobinProxy({ upstreams: [a.url.origin, b.url.origin] })
    try {
      const { client } = clientOf(new URL('/mcp', proxy.url), {
        id: 'redis-legacy',
        protocolVersion: 'legacy',
      })
      // Every call of the session goes to the instance that opened it, whatever the rotation.
      const home = await call(client, 'instance')
      for (let index = 0; index < 4; index++) expect(await call(client, 'instance')).toBe(home)
      expect(proxy.pinnedSessions).toBe(1)
      const counts = [await call(client, 'count'), await call(client, 'count')]
      expect(counts).toEqual([`${home}:1`, `${home}:2`])

      // The same session id sent to the other instance directly: 404, as for an unknown session.
      const other = home === 'A' ? b : a
      const owner = home === 'A' ? a : b
      const [sessionId] = [...proxy.sessions.keys()]
      expect(sessionId).toBeDefined()
      const answer = await fetch(other.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': sessionId!,
          'mcp-protocol-version': '2025-11-25',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      })
      expect(answer.status).toBe(404)

      // A write in flight when its instance dies: not sent again (it may have run).
      const toolsets = await client.listToolsets()
      const write = toolsets.notes!.slow_write!.execute({})
      expect(
        await waitFor(() => owner.output().includes('SLOW_WRITE_STARTED'), { timeoutMs: 10_000 }),
      ).toBe(true)
      process.kill(owner.pid, 'SIGKILL')
      await expectMCPError(write, 'CONNECTION_CLOSED')

      // The next call: the proxy sends it to the survivor, which answers 404; the client opens
      // a new session there and sends the call once.
      const survivor = home === 'A' ? 'B' : 'A'
      expect(await call(client, 'count')).toBe(`${survivor}:1`)
      expect(await call(client, 'instance')).toBe(survivor)
    } finally {
      await proxy.close()
    }
  })
})
