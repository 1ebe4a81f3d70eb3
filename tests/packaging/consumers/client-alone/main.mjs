// ESM: MCPClient from the published @mcpkit/mcp-client-core alone, against the server-alone
// project's stdio server (another project, its own node_modules).
import assert from 'node:assert/strict'
import { MCPClient } from '@mcpkit/mcp-client-core'

const serverScript = process.env.MCPKIT_SMOKE_STDIO_SERVER
assert.ok(serverScript, 'MCPKIT_SMOKE_STDIO_SERVER names the stdio server script')

const mcp = new MCPClient({
  servers: { notes: { command: process.execPath, args: [serverScript] } },
})
try {
  const tools = await mcp.listTools()
  assert.deepEqual(Object.keys(tools).sort(), ['notes_add', 'notes_delete_note'])
  assert.deepEqual(await tools.notes_add.execute({ a: 2, b: 3 }), { sum: 5 })
  const text = await tools.notes_delete_note.execute({ id: 'n-1' })
  assert.deepEqual(text.content, [{ type: 'text', text: 'deleted note n-1' }])
} finally {
  await mcp.disconnect()
}
console.log('SMOKE OK client-alone/main.mjs')
