// TypeScript compiled to CommonJS (node16 resolution picks the .d.cts types and the .cjs build).
import assert = require('node:assert/strict')

import { createMCPTool, MCPServer, type ServerInfo } from '@mcpkit/mcp-server-core'
import { z } from 'zod'

async function main(): Promise<void> {
  const server = new MCPServer({
    name: 'smoke-cts',
    version: '2.0.0',
    description: 'CommonJS consumer',
    tools: {
      shout: createMCPTool({
        id: 'shout',
        description: 'Upper-cases a text',
        inputSchema: z.object({ text: z.string() }),
        execute: async ({ text }) => text.toUpperCase(),
      }),
    },
  })
  const info: ServerInfo = server.getServerInfo()
  assert.equal(info.name, 'smoke-cts')
  assert.equal(info.version_detail.version, '2.0.0')
  const result = await server.executeTool('shout', { text: 'cts' })
  assert.deepEqual(result.content, [{ type: 'text', text: 'CTS' }])
  await server.close()
  console.log('SMOKE OK server-alone/main.cts')
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
