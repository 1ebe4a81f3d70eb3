// TypeScript compiled to CommonJS, against zod 4.2.0's .d.cts declarations.
import assert = require('node:assert/strict')

import { createMCPTool, MCPServer } from '@mcpkit/mcp-server-core'
import { z } from 'zod'

async function main(): Promise<void> {
  const server = new MCPServer({
    name: 'zod-floor-cts',
    version: '1.0.0',
    tools: {
      sum: createMCPTool({
        id: 'sum',
        description: 'Adds numbers',
        inputSchema: z.object({ values: z.array(z.number()).min(1) }),
        execute: async ({ values }) => ({ total: values.reduce((a, b) => a + b, 0) }),
      }),
    },
  })
  const result = await server.executeTool('sum', { values: [1, 2, 3] })
  assert.deepEqual(result.content, [{ type: 'text', text: '{"total":6}' }])
  await assert.rejects(server.executeTool('sum', { values: [] }))
  await server.close()
  console.log('SMOKE OK zod-floor/main.cts')
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
