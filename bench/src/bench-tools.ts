import type { McpServer } from '@modelcontextprotocol/server'
import { z } from 'zod'

/**
 * The bench servers' tools: `echo`, `add` (with an `outputSchema`, so clients validate its
 * results) and `get_time`. `stdio-server.mjs` registers the same in plain JavaScript.
 */
export function registerBenchTools(server: McpServer): McpServer {
  server.registerTool(
    'echo',
    {
      description: 'Echoes the message back',
      inputSchema: z.object({ message: z.string().describe('text to echo') }),
    },
    async ({ message }) => ({ content: [{ type: 'text', text: message }] }),
  )
  server.registerTool(
    'add',
    {
      description: 'Adds two numbers',
      inputSchema: z.object({ a: z.number(), b: z.number() }),
      outputSchema: z.object({ sum: z.number() }),
    },
    async ({ a, b }) => ({
      content: [{ type: 'text', text: String(a + b) }],
      structuredContent: { sum: a + b },
    }),
  )
  server.registerTool(
    'get_time',
    { description: 'Returns the server time as an ISO string' },
    async () => ({ content: [{ type: 'text', text: new Date().toISOString() }] }),
  )
  return server
}
