// Seed 002 (MCPClient reference), "`progress` Property" and "progress.onUpdate".
import { MCPClient } from '@mcpkit/mcp' // CHANGED: added; the seed's snippets assume it
import { assert, ok } from './check.mjs'

const mcpClient = new MCPClient({
  servers: {
    myServer: {
      url: new URL(process.env.SEED_HTTP_URL!), // CHANGED: was http://localhost:4111/api/mcp/myServer/mcp; the test's local server
      // Enabled by default; set to false to disable
      enableProgressTracking: true,
    },
  },
})

// Subscribe to progress updates for a specific server
await mcpClient.progress.onUpdate('myServer', (params) => {
  console.log('📊 Progress:', params.progress, '/', params.total)
  if (params.message) console.log('Message:', params.message)
  if (params.progressToken) console.log('Token:', params.progressToken)
})

// ── check (added by the test): a tool that reports progress, with runId as progressToken ──
const updates: number[] = []
mcpClient.progress.onUpdate('myServer', (params) => updates.push(params.progress))
const tools = await mcpClient.listTools()
await tools.myServer_long_task!.execute({ steps: 3 }, { runId: 'run-42' })
assert.deepEqual(updates, [1, 2, 3])
await mcpClient.disconnect()

// To disable progress tracking for a server:
{
  // CHANGED: block scope; the seed's two snippets both declare `mcpClient`
  const mcpClient = new MCPClient({
    servers: {
      myServer: {
        url: new URL(process.env.SEED_HTTP_URL!), // CHANGED: was http://localhost:4111/api/mcp/myServer/mcp
        enableProgressTracking: false,
      },
    },
  })
  // ── check (added by the test): no progress token is sent, so no update arrives ──
  const none: number[] = []
  mcpClient.progress.onUpdate('myServer', (params) => none.push(params.progress))
  const quiet = await mcpClient.listTools()
  await quiet.myServer_long_task!.execute({ steps: 2 })
  assert.deepEqual(none, [])
  await mcpClient.disconnect()
}
ok('002-progress')
