// Seed 002 (MCPClient reference), "Examples" → "Static Tool Configuration".
import { MCPClient } from '@mcpkit/mcp' // CHANGED: was '@mastra/mcp'
import { assert, ok } from './check.mjs'
import { Agent } from './mastra-stand-ins.mjs' // CHANGED: was '@mastra/core/agent'; structural stand-in (no model)

const mcp = new MCPClient({
  servers: {
    stockPrice: {
      command: process.execPath, // CHANGED: was 'npx'; the test's stock price server, run with node
      args: [process.env.SEED_STDIO_SERVER!], // CHANGED: was ['tsx', 'stock-price.ts']
      env: {
        API_KEY: 'your-api-key',
      },
      // CHANGED: was `log:`; the option (in @mastra/mcp too) is `logger`
      logger: (logMessage) => {
        console.log(`[${logMessage.level}] ${logMessage.message}`)
      },
    },
    weather: {
      url: new URL(process.env.SEED_SSE_URL!), // CHANGED: was http://localhost:8080/sse; the test's legacy SSE endpoint
    },
  },
  timeout: 30000, // Global 30s timeout
})

// Create an agent with access to all tools
const agent = new Agent({
  id: 'multi-tool-agent',
  name: 'Multi-tool Agent',
  instructions: 'You have access to multiple tool servers.',
  model: 'openai/gpt-5.4',
  tools: await mcp.listTools(),
})

// Example of using resource methods
async function checkWeatherResource() {
  try {
    const weatherResources = await mcp.resources.list()
    if (weatherResources.weather && weatherResources.weather.length > 0) {
      const currentWeatherURI = weatherResources.weather[0].uri
      const weatherData = await mcp.resources.read('weather', currentWeatherURI)
      // CHANGED: `contents[0]` is a text or a blob part; narrowed with `'text' in` before reading `.text`
      const part = weatherData.contents[0]
      console.log('Weather data:', 'text' in part ? part.text : part.blob)
    }
  } catch (error) {
    console.error('Error fetching weather resource:', error)
  }
}
checkWeatherResource()

// Example of using prompt methods
async function checkWeatherPrompt() {
  try {
    const weatherPrompts = await mcp.prompts.list()
    if (weatherPrompts.weather && weatherPrompts.weather.length > 0) {
      const currentWeatherPrompt = weatherPrompts.weather.find((p) => p.name === 'current')
      if (currentWeatherPrompt) {
        console.log('Weather prompt:', currentWeatherPrompt)
      } else {
        console.log('Current weather prompt not found')
      }
    }
  } catch (error) {
    console.error('Error fetching weather prompt:', error)
  }
}
checkWeatherPrompt()

// ── check (added by the test) ──
// Run the two helpers again, awaited, so their output is complete before disconnecting.
await Promise.all([checkWeatherResource(), checkWeatherPrompt()])
const answer = await agent.generate('AAPL')
assert.match(String(JSON.stringify(answer.toolResults)), /echo: AAPL/)
const tools = await mcp.listTools()
const price = await tools.stockPrice_getStockPrice!.execute({ symbol: 'AAPL' })
assert.match(JSON.stringify(price), /API key received/)
await mcp.disconnect()
ok('002-static-tools')
