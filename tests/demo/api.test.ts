// The demo's HTTP API against a real demo (notes over Streamable HTTP, utilities over stdio):
// credentials, bad bodies, approval ids that are unknown, expired or someone else's, and a
// tool server that goes down mid-life.
import { createDemo, type Demo, RuleBasedProvider } from '@mcpkit/demo'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isProcessAlive, waitFor } from '../support/processes.js'
import { api, chat, waitForPending } from './support.js'

describe('demo API: credentials and bodies', () => {
  let demo: Demo

  beforeAll(async () => {
    // Long enough for a test to act on a pending request, short enough to wait for an expiry.
    demo = await createDemo({ provider: new RuleBasedProvider(), approvalTimeout: 2000 })
  })
  afterAll(() => demo?.close())

  it.each([
    ['GET', '/api/approvals'],
    ['GET', '/api/pool'],
    ['POST', '/api/chat'],
    ['POST', '/api/approvals/some-id/approve'],
  ])('%s %s without a credential → 401 with a JSON error', async (method, path) => {
    const answer = await api<{ error: { code: string; message: string } }>(demo, path, {
      method,
      ...(method === 'POST' ? { body: { message: 'list notes' } } : {}),
    })
    expect(answer.status).toBe(401)
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/)
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/)
    expect(answer.body.error.code).toBe('UNAUTHORIZED')
    expect(answer.body.error.message).toMatch(/Authorization: Bearer/)
  })

  it.each([
    ['an unknown token', 'Bearer demo-mallory-not-a-real-token'],
    ['another scheme', `Basic ${Buffer.from('alice:secret').toString('base64')}`],
    ['an empty bearer', 'Bearer '],
  ])('a chat with %s → 401, and no tool runs', async (_case, authorization) => {
    const before = demo.notes.store.ownerCount
    const answer = await api<{ error: { code: string } }>(demo, '/api/chat', {
      authorization,
      body: { message: 'add note sneaky' },
    })
    expect(answer.status).toBe(401)
    expect(answer.body.error.code).toBe('UNAUTHORIZED')
    expect(demo.notes.store.ownerCount).toBe(before)
  })

  it('the page and the demo user directory need no credential', async () => {
    const page = await fetch(demo.url)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/text\/html/)
    expect(await page.text()).toContain('<script src="/app.js"')
    const users = await api<{ users: { name: string; token: string }[] }>(demo, '/api/users')
    expect(users.status).toBe(200)
    expect(users.body.users.map((user) => user.name)).toEqual(demo.users.map((user) => user.name))
  })

  it('the notes MCP endpoint itself refuses requests without a valid bearer token', async () => {
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'test', version: '1' },
      },
    }
    for (const authorization of [undefined, 'Bearer wrong']) {
      const response = await fetch(demo.notes.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...(authorization ? { authorization } : {}),
        },
        body: JSON.stringify(initialize),
      })
      expect(response.status).toBe(401)
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
        'UNAUTHORIZED',
      )
    }
  })

  it.each([
    ['invalid JSON', '{"message": ', 400, 'INVALID_JSON'],
    ['no message', '{}', 400, 'INVALID_REQUEST'],
    ['an empty message', '{"message": "  "}', 400, 'INVALID_REQUEST'],
    ['a non-object body', '["list notes"]', 400, 'INVALID_REQUEST'],
    [
      'a message over 2000 characters',
      JSON.stringify({ message: 'x'.repeat(2001) }),
      400,
      'INVALID_REQUEST',
    ],
    ['a body over 16 KiB', JSON.stringify({ message: 'x'.repeat(20_000) }), 413, 'BODY_TOO_LARGE'],
  ])('a chat with %s → %i %s', async (_case, rawBody, status, code) => {
    const answer = await api<{ error: { code: string } }>(demo, '/api/chat', {
      user: demo.users[0]!,
      rawBody,
    })
    expect(answer.status).toBe(status)
    expect(answer.body.error.code).toBe(code)
  })

  it('unknown routes → 404 JSON; wrong methods → 405 with Allow', async () => {
    const user = demo.users[0]!
    const missing = await api<{ error: { code: string } }>(demo, '/api/nothing', { user })
    expect(missing.status).toBe(404)
    expect(missing.body.error.code).toBe('NOT_FOUND')
    const wrong = await api<{ error: { code: string } }>(demo, '/api/chat', { user })
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get('allow')).toBe('POST')
  })

  it('an approval id that does not exist → 404', async () => {
    const answer = await api<{ error: { code: string } }>(
      demo,
      '/api/approvals/00000000-0000-4000-8000-000000000000/approve',
      { user: demo.users[0]!, body: {} },
    )
    expect(answer.status).toBe(404)
    expect(answer.body.error.code).toBe('APPROVAL_NOT_FOUND')
    const deny = await api<{ error: { code: string } }>(demo, '/api/approvals/nope/deny', {
      user: demo.users[0]!,
      body: { reason: 'no' },
    })
    expect(deny.status).toBe(404)
  })

  it('an expired approval → 410, and the agent says the call was denied', async () => {
    const user = demo.users[1]!
    const added = await chat(demo, user, 'add note [owner:bob] keep me')
    const noteId = (added.toolCalls[0]!.result as { note: { id: string } }).note.id
    const pendingChat = chat(demo, user, `delete note ${noteId}`)
    const request = await waitForPending(demo, user)
    expect(request.toolName).toBe('delete_note')
    expect(request.args).toEqual({ id: noteId })
    const reply = await pendingChat // expires after the demo's approvalTimeout
    expect(reply.toolCalls[0]!.approval).toMatchObject({
      requestId: request.id,
      outcome: 'expired',
    })
    expect(reply.toolCalls[0]!.error).toMatch(/denied/)
    expect(reply.reply).toMatch(/nobody approved it in time/)

    const late = await api<{ error: { code: string; message: string } }>(
      demo,
      `/api/approvals/${request.id}/approve`,
      { user, body: {} },
    )
    expect(late.status).toBe(410)
    expect(late.body.error.code).toBe('APPROVAL_EXPIRED')
    // The note is still there: nothing reached the notes server.
    const listed = await chat(demo, user, 'list notes')
    expect(listed.toolCalls[0]!.result).toMatchObject({ notes: [{ id: noteId }] })
  })

  it("another user's approval → 403, and it stays pending for its owner", async () => {
    const [alice, bob] = [demo.users[0]!, demo.users[1]!]
    const added = await chat(demo, alice, 'add note [owner:alice] mine')
    const noteId = (added.toolCalls[0]!.result as { note: { id: string } }).note.id
    const pendingChat = chat(demo, alice, `delete note ${noteId}`)
    const request = await waitForPending(demo, alice)

    const bobsView = await api<{ pending: unknown[] }>(demo, '/api/approvals', { user: bob })
    expect(bobsView.body.pending).toEqual([])
    for (const action of ['approve', 'deny']) {
      const answer = await api<{ error: { code: string } }>(
        demo,
        `/api/approvals/${request.id}/${action}`,
        { user: bob, body: {} },
      )
      expect(answer.status).toBe(403)
      expect(answer.body.error.code).toBe('APPROVAL_FORBIDDEN')
    }
    const alicesView = await api<{ pending: { id: string }[] }>(demo, '/api/approvals', {
      user: alice,
    })
    expect(alicesView.body.pending.map((pending) => pending.id)).toContain(request.id)

    const denied = await api(demo, `/api/approvals/${request.id}/deny`, {
      user: alice,
      body: { reason: 'changed my mind' },
    })
    expect(denied.status).toBe(200)
    const reply = await pendingChat
    expect(reply.toolCalls[0]!.approval).toMatchObject({
      outcome: 'denied',
      reason: 'changed my mind',
    })
    expect(reply.reply).toMatch(/approval was denied \(changed my mind\)/)

    // Settled: a second decision finds nothing to settle.
    const again = await api(demo, `/api/approvals/${request.id}/approve`, {
      user: alice,
      body: {},
    })
    expect(again.status).toBe(404)
  })
})

describe('demo API: a tool server that is down', () => {
  let demo: Demo

  beforeAll(async () => {
    demo = await createDemo({ provider: new RuleBasedProvider(), userCount: 3 })
  })
  afterAll(() => demo?.close())

  it('answers 200 with the tool error, for pooled and new users, and other tools keep working', async () => {
    const [alice, bob] = [demo.users[0]!, demo.users[1]!]
    // alice's client is pooled and warm before the server goes away; bob has none yet.
    await chat(demo, alice, 'add note [owner:alice] before the outage')
    expect(demo.pool.stats().size).toBe(1)

    await demo.notes.close()

    const warm = await chat(demo, alice, 'list notes')
    expect(warm.toolCalls).toHaveLength(1)
    expect(warm.toolCalls[0]!.tool).toBe('notes_list_notes')
    expect(warm.toolCalls[0]!.error).toEqual(expect.any(String))
    expect(warm.reply).toMatch(/^The tool notes_list_notes failed: /)

    const cold = await chat(demo, bob, 'add note [owner:bob] during the outage')
    expect(cold.toolCalls[0]!.error).toMatch(/notes server is unavailable/)
    expect(cold.reply).toMatch(/failed/)
    // A client that could not connect is not pooled.
    expect(demo.pool.stats().failures).toBeGreaterThanOrEqual(1)

    const sum = await chat(demo, bob, 'calculate 1 + 2 * 3')
    expect(sum.toolCalls[0]!.result).toEqual({ expression: '1 + 2 * 3', value: 7 })
  })

  it('a utilities call with bad input is a tool error, not a failed request', async () => {
    const reply = await chat(demo, demo.users[2]!, 'what time is it in Mars/Olympus_Mons')
    expect(reply.toolCalls[0]!.error).toMatch(/Unknown time zone/)
    const division = await chat(demo, demo.users[2]!, 'calculate 1 / 0')
    expect(division.toolCalls[0]!.error).toMatch(/Division by zero/)
  })
})

describe('demo API: leaving while a call waits for approval', () => {
  let demo: Demo

  beforeAll(async () => {
    demo = await createDemo({ provider: new RuleBasedProvider(), approvalTimeout: 60_000 })
  })
  afterAll(() => demo?.close())

  it('a chat whose caller goes away withdraws its pending approval', async () => {
    const alice = demo.users[0]!
    const added = await chat(demo, alice, 'add note [owner:alice] stays')
    const noteId = (added.toolCalls[0]!.result as { note: { id: string } }).note.id
    const controller = new AbortController()
    const abandoned = fetch(new URL('/api/chat', demo.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: `delete note ${noteId}` }),
      signal: controller.signal,
    }).catch((error: unknown) => error)
    const request = await waitForPending(demo, alice)
    controller.abort()
    expect(await abandoned).toBeInstanceOf(Error)

    expect(
      await waitFor(
        async () => (await demo.approvals.pending({ principal: 'alice' })).length === 0,
      ),
    ).toBe(true)
    const late = await api(demo, `/api/approvals/${request.id}/approve`, { user: alice, body: {} })
    expect(late.status).toBe(404)
    expect(demo.notes.store.list('alice').map((note) => note.id)).toEqual([noteId])
  })

  it('close() answers a waiting call with a denial and leaves nothing running', async () => {
    const bob = demo.users[1]!
    const added = await chat(demo, bob, 'add note [owner:bob] stays too')
    const noteId = (added.toolCalls[0]!.result as { note: { id: string } }).note.id
    const utilitiesPid = await demo.utilitiesPid()
    const waiting = demo.chat(bob, `delete note ${noteId}`)
    await waitForPending(demo, bob)

    const started = Date.now()
    await demo.close()
    expect(Date.now() - started).toBeLessThan(5000)
    const reply = await waiting
    expect(reply.toolCalls[0]!.approval).toMatchObject({
      outcome: 'denied',
      reason: 'the demo is shutting down',
    })
    expect(demo.notes.store.list('bob').map((note) => note.id)).toEqual([noteId])
    expect(demo.pool.stats().size).toBe(0)
    expect(await waitFor(() => !isProcessAlive(utilitiesPid))).toBe(true)
  })
})

describe('demo API: the protocol era of each server', () => {
  const demos: Demo[] = []
  afterAll(async () => {
    for (const demo of demos) await demo.close()
  })

  type Status = {
    servers: Record<string, { era: string; protocolVersion: string } | undefined>
    notesProtocolVersion: string
  }

  it('reports the era each server was reached on: notes on 2026-07-28 by default (auto)', async () => {
    const demo = await createDemo({ provider: new RuleBasedProvider(), userCount: 1 })
    demos.push(demo)
    const alice = demo.users[0]!
    const before = await api<Status>(demo, '/api/pool', { user: alice })
    expect(before.body.notesProtocolVersion).toBe('auto')
    // The utilities server (stdio) is connected at start; the notes one on the first chat.
    // An MCPServer over stdio serves both eras: auto lands on the modern one.
    expect(before.body.servers.utilities).toMatchObject({ era: 'modern' })
    expect(before.body.servers.notes).toBeUndefined()
    await chat(demo, alice, 'list notes')
    const after = await api<Status>(demo, '/api/pool', { user: alice })
    const notes = after.body.servers.notes
    expect(notes).toEqual({ era: 'modern', protocolVersion: '2026-07-28' })
  })

  it('speaks the legacy era to the notes service when pinned so', async () => {
    const demo = await createDemo({
      provider: new RuleBasedProvider(),
      userCount: 1,
      notesProtocolVersion: 'legacy',
    })
    demos.push(demo)
    const alice = demo.users[0]!
    await chat(demo, alice, 'list notes')
    const status = await api<Status>(demo, '/api/pool', { user: alice })
    expect(status.body.notesProtocolVersion).toBe('legacy')
    expect(status.body.servers.notes?.era).toBe('legacy')
  })
})
