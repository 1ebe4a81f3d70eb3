// TypeScript (ESM, node16 resolution, skipLibCheck: false): the published .d.ts must type a
// tool's input from its zod schema and type-check the whole declaration graph.
import assert from 'node:assert/strict'
import {
  createMCPTool,
  MCPServer,
  type MCPServerConfig,
  type MCPServerResources,
  type ToolInfo,
} from '@mcpkit/mcp-server-core'
import { z } from 'zod'

const multiply = createMCPTool({
  id: 'multiply',
  description: 'Multiplies two numbers',
  inputSchema: z.object({ a: z.number(), b: z.number() }),
  outputSchema: z.object({ product: z.number() }),
  execute: async ({ a, b }, { extra }) => {
    const product: number = a * b // a and b are numbers, inferred from the zod schema
    if (extra.signal.aborted) throw new Error('aborted')
    return { product }
  },
})

const resources: MCPServerResources = {
  listResources: () => [{ uri: 'memo://today', name: 'Today', mimeType: 'text/plain' }],
  getResourceContent: ({ uri }) => ({ text: `contents of ${uri}` }),
}

const config: MCPServerConfig = {
  name: 'smoke-ts',
  version: '1.0.0',
  tools: { multiply },
  resources,
}
const server = new MCPServer(config)

const info: ToolInfo[] = server.getToolListInfo().tools
assert.deepEqual(
  info.map((tool) => tool.name),
  ['multiply'],
)
const result = await server.executeTool('multiply', { a: 6, b: 7 })
assert.equal((result.structuredContent as { product: number }).product, 42)
await assert.rejects(server.executeTool('nope', {}), (error: Error & { code?: string }) => {
  assert.equal(error.code, 'TOOL_NOT_FOUND')
  return true
})
await server.close()
console.log('SMOKE OK server-alone/main.mts')
