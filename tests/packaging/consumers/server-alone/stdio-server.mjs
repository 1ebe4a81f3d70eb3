// An MCP server over stdio, from the published @mcpkit/mcp-server-core alone (plus zod, its
// peer). The client projects start it as their stdio server.
import { createMCPTool, MCPServer } from '@mcpkit/mcp-server-core'
import { z } from 'zod'

const server = new MCPServer({
  name: 'smoke-notes',
  version: '1.0.0',
  tools: {
    add: createMCPTool({
      id: 'add',
      description: 'Adds two numbers',
      inputSchema: z.object({ a: z.number(), b: z.number() }),
      outputSchema: z.object({ sum: z.number() }),
      annotations: { readOnlyHint: true },
      execute: async ({ a, b }) => ({ sum: a + b }),
    }),
    delete_note: createMCPTool({
      id: 'delete_note',
      description: 'Deletes a note',
      inputSchema: z.object({ id: z.string() }),
      annotations: { destructiveHint: true },
      execute: async ({ id }) => `deleted note ${id}`,
    }),
  },
})

await server.startStdio()
