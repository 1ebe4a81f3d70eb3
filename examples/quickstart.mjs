// Connects to the reference MCP server over stdio, lists its tools and calls two of them.
// Run from the repository root: pnpm example
import { createRequire } from 'node:module'
import { MCPClient } from '@mcpkit/mcp-client-core'

const require = createRequire(import.meta.url)
const everything = require.resolve('@modelcontextprotocol/server-everything/dist/index.js')

const mcp = new MCPClient({
  servers: {
    everything: { command: process.execPath, args: [everything, 'stdio'], stderr: 'ignore' },
  },
})

try {
  const toolsets = await mcp.listToolsets()
  console.log('tools:', Object.keys(toolsets.everything).join(', '))

  const tools = await mcp.listTools()
  console.log(await tools.everything_echo.execute({ message: 'hello from mcpkit' }))
  console.log(await tools['everything_get-sum'].execute({ a: 2, b: 3 }))
} finally {
  await mcp.disconnect()
}
