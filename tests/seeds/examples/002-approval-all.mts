// Seed 002 (MCPClient reference), "Tool approval" → "Require approval for all tools".
import { isApprovalDenied, MCPClient } from '@mcpkit/mcp' // CHANGED: was '@mastra/mcp' (the seed omits the import)
import { assert, ok, textOf } from './check.mjs'

const mcp = new MCPClient({
  servers: {
    github: {
      url: new URL(process.env.SEED_HTTP_URL!), // CHANGED: was http://localhost:3000/mcp; the test's local server
      requireToolApproval: true,
    },
  },
})

// ── check (added by the test) ──
// Mastra pauses the agent for its human-in-the-loop flow; mcpkit asks the client's
// `approval.handler`, and with none configured every held call is denied without running.
const tools = await mcp.listTools()
const result = await tools.github_list_repos!.execute({})
assert.ok(isApprovalDenied(result), 'held, and denied without an approval handler')
console.log(textOf(result))
await mcp.disconnect()
ok('002-approval-all')
