// Seed 002 (MCPClient reference), "listTools()" and "listToolsets()": the one-line fragments,
// with the client and agent they refer to.
import { MCPClient } from '@mcpkit/mcp' // CHANGED: added; the fragments use an `mcp` client
import { assert, ok } from './check.mjs'
import { Agent } from './mastra-stand-ins.mjs' // CHANGED: was '@mastra/core/agent'; structural stand-in (no model)

// CHANGED: added; the client the fragments refer to, on the test's local server
const mcp = new MCPClient({ servers: { docs: { url: new URL(process.env.SEED_HTTP_URL!) } } })
const prompt = 'hello' // CHANGED: added; the fragment's `prompt`

new Agent({ id: 'agent', tools: await mcp.listTools() })

const agent = new Agent({ id: 'agent' }) // CHANGED: added; the fragment's `agent`
const res = await agent.stream(prompt, {
  toolsets: await mcp.listToolsets(),
})

// ── check (added by the test) ──
assert.equal(res.toolResults['docs.echo'] !== undefined, true, 'the agent could call docs.echo')
console.log(JSON.stringify(res.toolResults['docs.echo']))
await mcp.disconnect()
ok('002-tools-for-agents')
