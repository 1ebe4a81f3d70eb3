/**
 * The bench servers' tools: `echo`, `add` (with an `outputSchema`, so clients validate its
 * results) and `get_time`. Plain JavaScript (types in `bench-tools.d.mts`), so that
 * `stdio-server.mjs`, started with `node` alone, registers the same tools as the TypeScript
 * servers.
 */
import { z } from 'zod'

/** Registers the tools on `server` and returns it. */
export function registerBenchTools(server) {
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
