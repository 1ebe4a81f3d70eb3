// Seed 000 (production guide), "listToolsets() — Dynamic Configuration" (handleRequest).
import { MCPClient } from '@mcpkit/mcp' // CHANGED: was '@mastra/mcp'
import { assert, ok, textOf } from './check.mjs'
import { mastra } from './mastra-stand-ins.mjs' // CHANGED: was './mastra'; stand-in (no model)

async function handleRequest(userPrompt: string, userId: string, userApiKey: string) {
  const userMcp = new MCPClient({
    id: `mcp-client-${userId}`, // Scoped to this user (CHANGED: the seed's \` escapes removed)
    servers: {
      github: {
        url: new URL(process.env.SEED_HTTP_URL!), // CHANGED: was https://api.github.com/mcp; the test's local server
        requestInit: {
          headers: { Authorization: `Bearer ${userApiKey}` }, // CHANGED: the seed's \` escapes removed
        },
      },
    },
  })

  const agent = mastra.getAgent('devAgent')

  try {
    const response = await agent.generate(userPrompt, {
      toolsets: await userMcp.listToolsets(), // Injected per-request
    })
    return response
  } finally {
    await userMcp.disconnect() // Critical — see below
  }
}

// ── check (added by the test): two users at once, each with their own key ──
const [alice, bob] = await Promise.all([
  handleRequest('hi', 'alice', 'key-alice'),
  handleRequest('hi', 'bob', 'key-bob'),
])
assert.equal(JSON.parse(textOf(alice.toolResults['github.whoami'])).token, 'key-alice')
assert.equal(JSON.parse(textOf(bob.toolResults['github.whoami'])).token, 'key-bob')
console.log('each request used its own user key')
ok('000-dynamic-request')
