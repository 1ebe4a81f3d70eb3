// Seed 004 (MCPServer reference), "startStdio()". The test connects an MCPClient to this
// process over stdio.
import { createMCPTool, MCPServer } from '@mcpkit/mcp' // CHANGED: added; the seed's snippet assumes it
import { z } from 'zod' // CHANGED: added, for the tool below

const server = new MCPServer({
  // 上記の設定例
  // CHANGED: the seed's "configuration from above" filled in (name and version are required)
  name: 'My Custom Server',
  version: '1.0.0',
  tools: {
    weatherTool: createMCPTool({
      id: 'getWeather',
      description: 'Gets the current weather for a location.',
      inputSchema: z.object({ location: z.string() }),
      execute: async ({ location }) => `Weather in ${location} is sunny.`,
    }),
  },
})

await server.startStdio()
