// Seed 000 (production guide), "Performance Considerations": the LRU pool of per-user clients.
// (mcpkit ships this as MCPClientPool; the seed's hand-made version works as written.)

import { MCPClient } from '@mcpkit/mcp' // CHANGED: was '@mastra/mcp'
import { LRUCache } from 'lru-cache'
import { assert, ok, textOf } from './check.mjs'
import { mastra } from './mastra-stand-ins.mjs' // CHANGED: added; the seed's `mastra` instance, a stand-in

// Pool of per-user MCPClient instances with automatic TTL-based cleanup
const clientPool = new LRUCache<string, MCPClient>({
  max: 100, // Maximum simultaneous user connections
  ttl: 1000 * 60 * 5, // 5-minute idle TTL
  dispose: async (client) => {
    // Auto-disconnect on eviction
    await client.disconnect()
  },
})

async function getOrCreateClient(userId: string, apiKey: string): Promise<MCPClient> {
  const cached = clientPool.get(userId)
  if (cached) return cached

  const client = new MCPClient({
    id: `mcp-${userId}`, // CHANGED: the seed's \` escapes removed
    servers: {
      github: {
        url: new URL(process.env.SEED_HTTP_URL!), // CHANGED: was https://api.github.com/mcp; the test's local server
        requestInit: {
          headers: { Authorization: `Bearer ${apiKey}` }, // CHANGED: the seed's \` escapes removed
        },
      },
    },
  })

  clientPool.set(userId, client)
  return client
}

async function handleRequest(userId: string, apiKey: string, prompt: string) {
  const client = await getOrCreateClient(userId, apiKey)
  const agent = mastra.getAgent('devAgent')

  return agent.generate(prompt, {
    toolsets: await client.listToolsets(),
  })
  // Note: don't disconnect pooled clients — the LRU handles cleanup
}

// ── check (added by the test) ──
const first = await handleRequest('carol', 'key-carol', 'hi')
const again = await handleRequest('carol', 'key-carol', 'hi')
assert.equal(JSON.parse(textOf(first.toolResults['github.whoami'])).token, 'key-carol')
assert.equal(JSON.parse(textOf(again.toolResults['github.whoami'])).token, 'key-carol')
assert.equal(clientPool.size, 1, 'one pooled client for the user')
const client = clientPool.get('carol')!
clientPool.clear() // eviction runs dispose, which disconnects
await client.disconnect() // idempotent: waits for the disconnect dispose started
ok('000-lru-pool')
