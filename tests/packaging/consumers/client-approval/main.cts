// TypeScript compiled to CommonJS: withApproval keeps the wrapped tool's type.
import assert = require('node:assert/strict')

import { MCPClient, type MCPTool } from '@mcpkit/mcp-client-core'
import { withApproval } from '@mcpkit/tool-approval'

async function main(): Promise<void> {
  const serverScript = process.env.MCPKIT_SMOKE_STDIO_SERVER
  if (!serverScript) throw new Error('MCPKIT_SMOKE_STDIO_SERVER names the stdio server script')
  const mcp = new MCPClient({
    servers: { notes: { command: process.execPath, args: [serverScript], stderr: 'ignore' } },
  })
  try {
    const tools = await mcp.listTools()
    const add = tools.notes_add
    if (!add) throw new Error('notes_add is not listed')
    const guarded: MCPTool & { needsApproval: unknown } = withApproval(add, {
      policy: ({ args }) => Number(args.a) > 100,
      handler: () => true,
    })
    assert.equal(guarded.serverName, 'notes')
    assert.deepEqual(await guarded.execute({ a: 500, b: 1 }), { sum: 501 })
  } finally {
    await mcp.disconnect()
  }
  console.log('SMOKE OK client-approval/main.cts')
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
