// `pnpm demo --instances 2`: two API instances sharing a Redis approval store behind the
// round-robin proxy. A chat waiting for approval on one instance is approved through the other,
// and through the proxy the page works whichever instance answers.
import { createScaledDemo, type Demo, RuleBasedProvider, type ScaledDemo } from '@mcpkit/demo'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, chat, waitForPending } from '../demo/support.js'
import { hasRedisServer, type RedisServer, startRedisServer } from '../support/redis.js'

const available = hasRedisServer()
let redis: RedisServer
let scaled: ScaledDemo

beforeAll(async () => {
  if (!available) return
  redis = await startRedisServer()
  scaled = await createScaledDemo({
    instances: 2,
    redisUrl: redis.url,
    provider: new RuleBasedProvider(),
  })
}, 60_000)

afterAll(async () => {
  await scaled?.close()
  await redis?.stop()
})

describe.skipIf(!available)('the scaled demo', () => {
  it('approves on one instance a call that waits on the other', async () => {
    const [first, second] = scaled.instances as [Demo, Demo]
    const user = scaled.users[0]!
    const added = await chat(first, user, 'add note [owner:alice] scaled')
    const noteId = (added.toolCalls[0]!.result as { note: { id: string } }).note.id

    const waiting = chat(first, user, `delete note ${noteId}`)
    const request = await waitForPending(second, user)
    expect(request.toolName).toBe('delete_note')
    // Another user cannot decide it, on any instance.
    const other = scaled.users[1]!
    const forbidden = await api(second, `/api/approvals/${request.id}/approve`, {
      user: other,
      body: {},
    })
    expect(forbidden.status).not.toBe(200)
    const approved = await api(second, `/api/approvals/${request.id}/approve`, { user, body: {} })
    expect(approved.status).toBe(200)
    const reply = await waiting
    expect(reply.toolCalls[0]!.approval).toMatchObject({
      requestId: request.id,
      outcome: 'approved',
    })
    // Settled once: a second approve through the first instance finds nothing pending.
    const again = await api(first, `/api/approvals/${request.id}/approve`, { user, body: {} })
    expect(again.status).toBe(404)
  })

  it('serves the page API through the proxy, round-robin', async () => {
    const front = { url: scaled.url } as Demo
    const user = scaled.users[2]!
    const before = [...scaled.proxy.served]
    for (let index = 0; index < 4; index++) {
      expect((await api(front, '/api/approvals', { user })).status).toBe(200)
    }
    expect(scaled.proxy.served.map((count, index) => count - (before[index] ?? 0))).toEqual([2, 2])
  })
})
