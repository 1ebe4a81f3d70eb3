// Seed 000 (production guide), "listTools() — Static Configuration".

import { MCPClient } from '@mcpkit/mcp' // CHANGED: was '@mastra/mcp'
import { assert, ok, textOf } from './check.mjs'
import { Agent } from './mastra-stand-ins.mjs' // CHANGED: was '@mastra/core/agent'; structural stand-in (no model)

const mcpClient = new MCPClient({
  id: 'static-client',
  servers: {
    weather: {
      url: new URL(process.env.SEED_HTTP_URL!), // CHANGED: was https://weather-api.example.com/mcp; the test's local server
      requestInit: {
        // CHANGED: the seed's \` escapes (a markdown artifact) removed
        headers: { Authorization: `Bearer ${process.env.WEATHER_API_KEY}` },
      },
    },
  },
})

export const weatherAgent = new Agent({
  id: 'weather-agent',
  name: 'Weather Agent',
  instructions: 'You help users check weather forecasts.',
  model: 'openai/gpt-4o',
  tools: await mcpClient.listTools(), // Loaded once, shared for all requests
})

// ── check (added by the test): the shared key reached the server ──
const answer = await weatherAgent.generate('forecast?')
assert.equal(
  JSON.parse(textOf(answer.toolResults.weather_whoami)).token,
  process.env.WEATHER_API_KEY,
)
await mcpClient.disconnect()
ok('000-static-agent')
