// Seed 002 (MCPClient reference), "Examples" → "Dynamic toolsets".

import { MCPClient } from '@mcpkit/mcp' // CHANGED: was '@mastra/mcp'
import { assert, ok, textOf } from './check.mjs'
import { Agent } from './mastra-stand-ins.mjs' // CHANGED: was '@mastra/core/agent'; structural stand-in (no model)

// Create the agent first, without any tools
const agent = new Agent({
  id: 'multi-tool-agent',
  name: 'Multi-tool Agent',
  instructions: 'You help users check stocks and weather.',
  model: 'openai/gpt-5.4',
})

// Later, configure MCP with user-specific settings
const mcp = new MCPClient({
  servers: {
    stockPrice: {
      command: process.execPath, // CHANGED: was 'npx'; the test's stock price server, run with node
      args: [process.env.SEED_STDIO_SERVER!], // CHANGED: was ['tsx', 'stock-price.ts']
      env: {
        API_KEY: 'user-123-api-key',
      },
      timeout: 20000, // Server-specific timeout
    },
    weather: {
      url: new URL(process.env.SEED_SSE_URL!), // CHANGED: was http://localhost:8080/sse; the test's legacy SSE endpoint
      requestInit: {
        headers: {
          Authorization: `Bearer user-123-token`,
        },
      },
    },
  },
})

// Pass all toolsets to stream() or generate()
const response = await agent.stream('How is AAPL doing and what is the weather?', {
  toolsets: await mcp.listToolsets(),
})

// ── check (added by the test) ──
// The stand-in agent called the tools that take a message (or nothing): both servers' echo,
// and weather's whoami, which shows the user's token reached the SSE server.
assert.match(JSON.stringify(response.toolResults['stockPrice.echo']), /echo: How is AAPL/)
const whoami = JSON.parse(textOf(response.toolResults['weather.whoami']))
assert.equal(whoami.token, 'user-123-token')
console.log(response.text)
await mcp.disconnect()
ok('002-dynamic-toolsets')
