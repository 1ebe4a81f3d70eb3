// Seed 004 (MCPServer reference), "startHTTP()" (stateless: sessionIdGenerator undefined). The
// test connects an MCPClient to http://127.0.0.1:<port>/mcp.

import { createMCPTool, MCPServer } from '@mcpkit/mcp' // CHANGED: added; the seed's snippet assumes a `server`
import http from 'http'
import { z } from 'zod' // CHANGED: added, for the tool below

// CHANGED: added; the `server` the snippet uses (the constructor example's tool)
const server = new MCPServer({
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
const PORT = Number(process.env.PORT ?? 1234) // CHANGED: added; the seed leaves PORT undefined (the test passes 0: a free port)

const httpServer = http.createServer(async (req, res) => {
  await server.startHTTP({
    url: new URL(req.url || '', 'http://localhost:1234'),
    httpPath: `/mcp`,
    req,
    res,
    options: {
      sessionIdGenerator: undefined,
    },
  })
})

// CHANGED: listens on 127.0.0.1 only (the seed: every interface) and prints the port it got
httpServer.listen(PORT, '127.0.0.1', () => {
  console.log(`HTTP server listening on port ${PORT}`)
  console.log(`SEED LISTENING ${(httpServer.address() as { port: number }).port}`)
})
