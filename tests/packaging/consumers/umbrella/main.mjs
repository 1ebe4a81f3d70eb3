// ESM: one install of @mcpkit/mcp serves an MCPServer over Streamable HTTP on 127.0.0.1 and
// connects an MCPClient to it: tools, resources and prompts, as a @mastra/mcp user writes them.
import assert from 'node:assert/strict'
import http from 'node:http'
import {
  createMCPTool,
  createSimpleTokenProvider,
  MCPClient,
  MCPClientPool,
  MCPServer,
} from '@mcpkit/mcp'
import { z } from 'zod'

const server = new MCPServer({
  name: 'umbrella-esm',
  version: '1.0.0',
  tools: {
    whoami: createMCPTool({
      id: 'whoami',
      description: 'The bearer token the call arrived with',
      inputSchema: z.object({}),
      execute: async (_input, { extra }) => extra.authInfo?.token ?? 'anonymous',
    }),
    getWeather: createMCPTool({
      id: 'getWeather',
      description: 'Current weather for a city',
      inputSchema: z.object({ city: z.string() }),
      execute: async ({ city }) => `Weather in ${city} is sunny.`,
    }),
  },
  resources: {
    listResources: async () => [{ uri: 'weather://current', name: 'Current weather' }],
    getResourceContent: async ({ uri }) => ({ text: `${uri}: 21 °C` }),
  },
  prompts: {
    listPrompts: async () => [{ name: 'current', description: 'Ask for the weather' }],
    getPromptMessages: async ({ name }) => ({
      messages: [{ role: 'user', content: { type: 'text', text: `prompt ${name}` } }],
    }),
  },
})
const httpServer = http.createServer((req, res) => {
  // The host app's auth middleware: MCPServer hands req.auth to tools as extra.authInfo.
  const token = req.headers.authorization?.replace(/^Bearer /, '')
  if (token) req.auth = { token, clientId: `user-of-${token}`, scopes: [] }
  void server.startHTTP({
    url: new URL(req.url ?? '/', 'http://127.0.0.1'),
    httpPath: '/mcp',
    req,
    res,
  })
})
await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
const { port } = httpServer.address()

const mcp = new MCPClient({
  servers: { weather: { url: new URL(`http://127.0.0.1:${port}/mcp`) } },
})
try {
  const tools = await mcp.listTools()
  const result = await tools.weather_getWeather.execute({ city: 'Tokyo' })
  assert.deepEqual(result.content, [{ type: 'text', text: 'Weather in Tokyo is sunny.' }])
  const resources = await mcp.resources.list()
  assert.equal(resources.weather[0].uri, 'weather://current')
  const read = await mcp.resources.read('weather', 'weather://current')
  assert.equal(read.contents[0].text, 'weather://current: 21 °C')
  const { messages } = await mcp.prompts.get({ serverName: 'weather', name: 'current' })
  assert.equal(messages[0].content.text, 'prompt current')

  // Per-user pooled clients, each with its own token (createSimpleTokenProvider).
  const pool = new MCPClientPool({ max: 10 })
  const url = new URL(`http://127.0.0.1:${port}/mcp`)
  for (const user of ['alice', 'bob', 'alice']) {
    const seen = await pool.withClient(
      { user, credentials: `token-${user}` },
      ({ id }) =>
        new MCPClient({
          id,
          servers: { weather: { url, authProvider: createSimpleTokenProvider(`token-${user}`) } },
        }),
      async (client) => (await client.listTools()).weather_whoami.execute({}),
    )
    assert.deepEqual(seen.content, [{ type: 'text', text: `token-${user}` }])
  }
  const stats = pool.stats()
  assert.equal(stats.size, 2)
  assert.equal(stats.hits, 1)
  await pool.close()
} finally {
  await mcp.disconnect()
  await server.close()
  await new Promise((resolve) => httpServer.close(resolve))
}
console.log('SMOKE OK umbrella/main.mjs')
