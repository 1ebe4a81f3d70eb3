// TypeScript (ESM, node16 resolution, skipLibCheck: false) against the published .d.ts.
import assert from 'node:assert/strict'
import {
  MCPClient,
  type MCPClientOptions,
  type MCPTool,
  type ToolsetsWithErrors,
} from '@mcpkit/mcp-client-core'

const serverScript = process.env.MCPKIT_SMOKE_STDIO_SERVER
if (!serverScript) throw new Error('MCPKIT_SMOKE_STDIO_SERVER names the stdio server script')

const options: MCPClientOptions = {
  servers: {
    notes: { command: process.execPath, args: [serverScript], stderr: 'ignore', timeout: 20_000 },
  },
  logger: (message) => {
    if (message.level === 'error') console.error(message.serverName, message.message)
  },
}
const mcp = new MCPClient(options)
try {
  const { toolsets, errors }: ToolsetsWithErrors = await mcp.listToolsetsWithErrors()
  assert.deepEqual(errors, {})
  const add: MCPTool | undefined = toolsets.notes?.add
  assert.ok(add, 'notes.add is listed')
  assert.equal(add.serverName, 'notes')
  assert.deepEqual(add.annotations, { readOnlyHint: true })
  assert.deepEqual(await add.execute({ a: 1, b: 1 }), { sum: 2 })
} finally {
  await mcp.disconnect()
}
console.log('SMOKE OK client-alone/main.mts')
