// Seed 000 (production guide), "Constructor and Configuration".
import { MCPClient } from '@mcpkit/mcp' // CHANGED: was '@mastra/mcp'
import { assert, ok } from './check.mjs'

const mcpClient = new MCPClient({
  id: 'my-mcp-client', // Required when running multiple instances
  servers: {
    wikipedia: {
      command: process.execPath, // CHANGED: was 'npx'; the test's stdio server, run with node
      args: [process.env.SEED_STDIO_SERVER!], // CHANGED: was ['-y', 'wikipedia-mcp']
    },
    weather: {
      url: new URL(process.env.SEED_HTTP_URL!), // CHANGED: was https://server.smithery.ai/@smithery-ai/weather/mcp
    },
  },
  timeout: 60000, // Optional: ms before connection times out (default: 60000)
})

// ── check (added by the test): nothing connected until the first list ──
const tools = await mcpClient.listTools()
assert.ok(tools.wikipedia_echo && tools.weather_echo)
await mcpClient.disconnect()
ok('000-client-constructor')
