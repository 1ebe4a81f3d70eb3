// Change notifications of an MCPServer reach both eras: 2025 sessions as before, 2026-07-28
// `subscriptions/listen` streams (HTTP through the event bus, stdio through the SDK's routing),
// tagged with their subscription id and filtered as asked. Cache hints on the 2026-07-28 results:
// safe defaults, one TTL for the server, overrides per method and per resource; 2025 results
// carry none.

import type { MCPServer } from '@mcpkit/mcp-server-core'
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createErasServer } from '../support/eras-server.js'
import { modernCall, openListen } from '../support/modern-wire.js'
import { everythingStdioTransport, type Host, hostServer } from '../support/server-host.js'

let host: Host
let server: MCPServer
beforeAll(async () => {
  server = createErasServer().server
  host = await hostServer(server)
})
afterAll(async () => {
  await host.close()
})

/** Resolves with the next notification of `method` a client receives. */
function nextNotification(
  client: Client,
  method: 'notifications/tools/list_changed' | 'notifications/resources/updated',
) {
  return new Promise<unknown>((resolve) => {
    client.setNotificationHandler(method, (notification) => resolve(notification))
  })
}

describe('notifications reach 2025 sessions and 2026-07-28 listen streams', () => {
  it('tools, prompts and resources changes, each to the streams that asked, with their id', async () => {
    const legacy = new Client({ name: 'legacy-listener', version: '1.0.0' })
    await legacy.connect(new StreamableHTTPClientTransport(host.mcpUrl))
    await legacy.subscribeResource({ uri: 'note://shared' })
    const tools = await openListen(host.mcpUrl, 11, { toolsListChanged: true })
    const prompts = await openListen(host.mcpUrl, 12, { promptsListChanged: true })
    const shared = await openListen(host.mcpUrl, 13, { resourceSubscriptions: ['note://shared'] })
    const other = await openListen(host.mcpUrl, 14, { resourceSubscriptions: ['note://mine'] })
    try {
      for (const stream of [tools, prompts, shared, other]) {
        expect(await stream.next()).toMatchObject({
          method: 'notifications/subscriptions/acknowledged',
        })
      }
      const legacyTools = nextNotification(legacy, 'notifications/tools/list_changed')
      const legacyUpdate = nextNotification(legacy, 'notifications/resources/updated')
      await server.tools.notifyListChanged()
      await server.prompts.notifyListChanged()
      await server.resources.notifyUpdated({ uri: 'note://shared' })
      await server.resources.notifyUpdated({ uri: 'note://mine' })
      const tagged = (id: number) => ({ _meta: { 'io.modelcontextprotocol/subscriptionId': id } })
      // Each stream gets only what it asked for: its first notification is its own kind.
      expect(await tools.next()).toMatchObject({
        method: 'notifications/tools/list_changed',
        params: tagged(11),
      })
      expect(await prompts.next()).toMatchObject({
        method: 'notifications/prompts/list_changed',
        params: tagged(12),
      })
      expect(await shared.next()).toMatchObject({
        method: 'notifications/resources/updated',
        params: { uri: 'note://shared', ...tagged(13) },
      })
      expect(await other.next()).toMatchObject({
        method: 'notifications/resources/updated',
        params: { uri: 'note://mine', ...tagged(14) },
      })
      await expect(legacyTools).resolves.toBeDefined()
      await expect(legacyUpdate).resolves.toMatchObject({ params: { uri: 'note://shared' } })
    } finally {
      for (const stream of [tools, prompts, shared, other]) stream.close()
      await legacy.close()
    }
  })

  it('over stdio, a connection pinned to 2026-07-28 gets its listen stream notified', async () => {
    const client = new Client(
      { name: 'stdio-listener', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    )
    await client.connect(everythingStdioTransport())
    try {
      const changed = nextNotification(client, 'notifications/tools/list_changed')
      const subscription = await client.listen({ toolsListChanged: true })
      expect(subscription.honoredFilter).toMatchObject({ toolsListChanged: true })
      await client.callTool({ name: 'test_trigger_tool_change', arguments: {} })
      await expect(changed).resolves.toBeDefined()
      await subscription.close()
    } finally {
      await client.close()
    }
  })
})

describe('cache hints', () => {
  it('one TTL for the server, per-method and per-resource overrides, private by default', async () => {
    const hints = async (method: string, params: Record<string, unknown> = {}) => {
      const answer = await modernCall(host.mcpUrl, { method, params })
      expect(answer.status, JSON.stringify(answer.body)).toBe(200)
      return { ttlMs: answer.body.result?.ttlMs, cacheScope: answer.body.result?.cacheScope }
    }
    expect(await hints('server/discover')).toEqual({ ttlMs: 60_000, cacheScope: 'private' })
    expect(await hints('tools/list')).toEqual({ ttlMs: 60_000, cacheScope: 'public' })
    expect(await hints('prompts/list')).toEqual({ ttlMs: 60_000, cacheScope: 'private' })
    expect(await hints('resources/list')).toEqual({ ttlMs: 60_000, cacheScope: 'private' })
    expect(await hints('resources/read', { uri: 'note://shared' })).toEqual({
      ttlMs: 5000,
      cacheScope: 'public',
    })
    expect(await hints('resources/read', { uri: 'note://mine' })).toEqual({
      ttlMs: 60_000,
      cacheScope: 'private',
    })
  })

  it('2025 results carry no cache fields', async () => {
    const client = new Client({ name: 'legacy-cache', version: '1.0.0' })
    await client.connect(new StreamableHTTPClientTransport(host.mcpUrl))
    try {
      const read = (await client.readResource({ uri: 'note://shared' })) as Record<string, unknown>
      expect(read.ttlMs).toBeUndefined()
      expect(read.cacheScope).toBeUndefined()
    } finally {
      await client.close()
    }
  })
})
