// TypeScript compiled to CommonJS (the .d.cts types and the .cjs build).
import assert = require('node:assert/strict')

import { MCPClient, type ToolsWithErrors } from '@mcpkit/mcp-client-core'

async function main(): Promise<void> {
  const serverScript = process.env.MCPKIT_SMOKE_STDIO_SERVER
  if (!serverScript) throw new Error('MCPKIT_SMOKE_STDIO_SERVER names the stdio server script')
  const mcp = new MCPClient({
    id: 'smoke-cts',
    servers: { notes: { command: process.execPath, args: [serverScript], stderr: 'ignore' } },
  })
  try {
    const { tools, errors }: ToolsWithErrors = await mcp.listToolsWithErrors()
    assert.deepEqual(errors, {})
    const add = tools.notes_add
    if (!add) throw new Error('notes_add is not listed')
    assert.deepEqual(await add.execute({ a: 3, b: 4 }), { sum: 7 })
  } finally {
    await mcp.disconnect()
  }
  console.log('SMOKE OK client-alone/main.cts')
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
