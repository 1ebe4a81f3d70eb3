/**
 * MCPClientPool against a real MCPServer over Streamable HTTP on 127.0.0.1. The server counts
 * sessions opened and closed, so "shared one connect", "disconnected on release" and "not
 * reused after rotation" are read off the server, not off the pool's own bookkeeping. Sessions
 * exist on the 2025 era only, so these clients speak it (`protocolVersion: 'legacy'`); the pool on
 * the 2026-07-28 era is in cache-scope.test.ts.
 */
import { MCPClient, MCPClientPool } from '@mcpkit/mcp-client-core'
import { createMCPTool, MCPServer } from '@mcpkit/mcp-server-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { expectMCPError, refusedPort, textOf } from '../support/helpers.js'
import { waitFor } from '../support/processes.js'
import { type Host, hostServer } from '../support/server-host.js'

let host: Host
const opened: string[] = []
const closed: string[] = []
let posts = 0

beforeAll(async () => {
  const server = new MCPServer({
    name: 'pool-target',
    version: '1.0.0',
    tools: {
      whoami: createMCPTool({
        id: 'whoami',
        description: 'The caller as the server sees them',
        inputSchema: z.object({}),
        annotations: { readOnlyHint: true },
        execute: async (_input, { extra }) => ({
          user: extra?.authInfo?.extra?.sub,
          token: extra?.authInfo?.token,
        }),
      }),
    },
  })
  host = await hostServer(server, {
    options: {
      onsessioninitialized: (id: string) => void opened.push(id),
      onsessionclosed: (id: string) => void closed.push(id),
    },
    // Tokens look like "<user>:<secret>"; the server trusts them for this test.
    authenticate: (req) => {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
      if (!token) return undefined
      return { token, clientId: 'pool-test', scopes: [], extra: { sub: token.split(':')[0] } }
    },
  })
  host.httpServer.prependListener('request', (req) => {
    if (req.method === 'POST') posts += 1
  })
})

afterAll(async () => {
  await host?.close()
})

function clientFor(token: string) {
  return ({ id }: { id: string }) =>
    new MCPClient({
      id,
      servers: {
        target: {
          url: host.mcpUrl,
          protocolVersion: 'legacy',
          requestInit: { headers: { Authorization: `Bearer ${token}` } },
        },
      },
    })
}

async function whoami(client: MCPClient): Promise<{ user: string; token: string }> {
  const { target } = await client.listToolsets()
  return JSON.parse(textOf(await target!.whoami!.execute({})))
}

describe('MCPClientPool', () => {
  it('shares one connect among concurrent acquires of a key and keeps the client warm', async () => {
    const pool = new MCPClientPool()
    const before = opened.length
    const leases = await Promise.all(
      Array.from({ length: 20 }, () =>
        pool.acquire({ user: 'ann', credentials: 'ann:1' }, clientFor('ann:1')),
      ),
    )
    expect(opened.length - before).toBe(1)
    expect(new Set(leases.map((lease) => lease.client)).size).toBe(1)
    expect(pool.stats()).toMatchObject({ size: 1, inUse: 20, misses: 1, hits: 19 })
    for (const lease of leases) lease.release()
    expect(pool.stats()).toMatchObject({ inUse: 0, idle: 1 })

    // A later request finds the client warm: listToolsets() sends nothing.
    const postsBefore = posts
    const toolsets = await pool.withClient(
      { user: 'ann', credentials: 'ann:1' },
      clientFor('ann:1'),
      (client) => client.listToolsets(),
    )
    expect(Object.keys(toolsets.target ?? {})).toEqual(['whoami'])
    expect(posts).toBe(postsBefore)
    expect(pool.stats()).toMatchObject({ size: 1, misses: 1, hits: 20 })
    await pool.close()
  })

  it('gives each key its own client: nothing is shared between users', async () => {
    const pool = new MCPClientPool()
    const users = ['u1', 'u2', 'u3', 'u4']
    const seen = await Promise.all(
      users.flatMap((user) =>
        Array.from({ length: 5 }, () =>
          pool.withClient({ user, credentials: `${user}:s` }, clientFor(`${user}:s`), whoami),
        ),
      ),
    )
    seen.forEach((identity, index) => {
      const user = users[Math.floor(index / 5)]
      expect(identity).toEqual({ user, token: `${user}:s` })
    })
    expect(pool.stats()).toMatchObject({ size: 4, misses: 4, hits: 16 })
    await pool.close()
  })

  it('never disconnects a leased client: an evicted one keeps working and closes on release', async () => {
    const pool = new MCPClientPool({ max: 1 })
    const held = await pool.acquire('bea', clientFor('bea:1'))
    const closedBefore = closed.length
    // A second user pushes bea's client out of the one-slot pool while bea's request runs.
    await pool.withClient('cal', clientFor('cal:1'), whoami)
    expect(pool.stats().evictions).toBe(1)
    expect(await whoami(held.client)).toEqual({ user: 'bea', token: 'bea:1' })
    expect(closed.length).toBe(closedBefore)

    held.release()
    expect(await waitFor(() => closed.length === closedBefore + 1)).toBe(true)
    await expectMCPError(held.client.listTools(), 'DISCONNECTED')
    await pool.close()
  })

  it('disconnects a client idle for idleTtl, but not one held longer than that', async () => {
    const pool = new MCPClientPool({ idleTtl: 200 })
    const held = await pool.acquire('dan', clientFor('dan:1'))
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(await whoami(held.client)).toEqual({ user: 'dan', token: 'dan:1' })
    expect(pool.stats()).toMatchObject({ size: 1, expirations: 0 })

    held.release()
    expect(await waitFor(() => pool.stats().expirations === 1)).toBe(true)
    expect(pool.stats().size).toBe(0)
    await expectMCPError(held.client.listTools(), 'DISCONNECTED')
    // The next request builds a new client.
    expect(await pool.withClient('dan', clientFor('dan:1'), whoami)).toEqual({
      user: 'dan',
      token: 'dan:1',
    })
    expect(pool.stats().misses).toBe(2)
    await pool.close()
  })

  it('does not keep a client whose connect failed; the next acquire tries again', async () => {
    const pool = new MCPClientPool()
    const port = await refusedPort()
    let attempt = 0
    const create = ({ id }: { id: string }) => {
      attempt += 1
      const url = attempt === 1 ? new URL(`http://127.0.0.1:${port}/mcp`) : host.mcpUrl
      return new MCPClient({
        id,
        servers: { target: { url, requestInit: { headers: { Authorization: 'Bearer eve:1' } } } },
      })
    }
    const failures = await Promise.allSettled([
      pool.acquire('eve', create),
      pool.acquire('eve', create),
    ])
    expect(failures.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected'])
    expect(attempt).toBe(1)
    expect(pool.stats()).toMatchObject({ size: 0, inUse: 0, failures: 1 })

    expect(await pool.withClient('eve', create, whoami)).toEqual({ user: 'eve', token: 'eve:1' })
    expect(attempt).toBe(2)
    await pool.close()
  })

  it('never reuses a connection made with rotated credentials', async () => {
    const pool = new MCPClientPool()
    const first = await pool.acquire({ user: 'fay', credentials: 'fay:old' }, clientFor('fay:old'))
    first.release()
    const closedBefore = closed.length
    const second = await pool.acquire({ user: 'fay', credentials: 'fay:new' }, clientFor('fay:new'))
    expect(second.client).not.toBe(first.client)
    expect(await whoami(second.client)).toEqual({ user: 'fay', token: 'fay:new' })
    // The old client was retired and disconnected before the new one connected.
    expect(closed.length).toBe(closedBefore + 1)
    await expectMCPError(first.client.listTools(), 'DISCONNECTED')
    expect(pool.stats()).toMatchObject({ size: 1, misses: 2 })
    second.release()
    await pool.close()
  })

  it('delete(user) drops every client of that user', async () => {
    const pool = new MCPClientPool()
    const lease = await pool.acquire({ user: 'gus', credentials: 'gus:1' }, clientFor('gus:1'))
    lease.release()
    await pool.delete('gus')
    expect(pool.stats().size).toBe(0)
    await expectMCPError(lease.client.listTools(), 'DISCONNECTED')
    await pool.close()
  })

  it('close() waits for leases, disconnects everything and refuses new acquires', async () => {
    const pool = new MCPClientPool()
    const held = await pool.acquire('hal', clientFor('hal:1'))
    const idle = await pool.acquire('ivy', clientFor('ivy:1'))
    idle.release()
    let closedPool = false
    const closing = pool.close().then(() => {
      closedPool = true
    })
    await expectMCPError(pool.acquire('joe', clientFor('joe:1')), 'POOL_CLOSED')
    await expectMCPError(idle.client.listTools(), 'DISCONNECTED')
    // The leased client keeps working until it is released.
    expect(await whoami(held.client)).toEqual({ user: 'hal', token: 'hal:1' })
    expect(closedPool).toBe(false)
    held.release()
    await closing
    await expectMCPError(held.client.listTools(), 'DISCONNECTED')
    expect(pool.stats()).toMatchObject({ size: 0, inUse: 0 })
  })

  it('close() stops waiting for a lease that is never released after drainTimeout', async () => {
    const pool = new MCPClientPool()
    const held = await pool.acquire('kim', clientFor('kim:1'))
    await pool.close({ drainTimeout: 100 })
    await expectMCPError(held.client.listTools(), 'DISCONNECTED')
  })

  it('rejects bad keys and options with clear errors', async () => {
    expect(() => new MCPClientPool({ max: 0 })).toThrow(/max/)
    expect(() => new MCPClientPool({ idleTtl: -1 })).toThrow(/idleTtl/)
    expect(() => new MCPClientPool({ streamIdleTtl: -1 })).toThrow(/streamIdleTtl/)
    expect(() => new MCPClientPool({ streamIdleTtl: true as never })).toThrow(/streamIdleTtl/)
    const pool = new MCPClientPool()
    await expect(pool.acquire('', clientFor('x:1'))).rejects.toThrow(/non-empty/)
    await expect(
      pool.acquire({ user: 'x', credentials: () => 'secret' }, clientFor('x:1')),
    ).rejects.toThrow(/JSON data/)
    await pool.close()
  })
})
