// Seed 002 (MCPClient reference), "`prompts` Property" and its method examples, in order.
import { MCPClient } from '@mcpkit/mcp' // CHANGED: added; the seed's snippets assume it
import { assert, ok } from './check.mjs'

const mcpClient = new MCPClient({
  // CHANGED: was `/* ...servers configuration... */`; the examples read 'myWeatherServer'
  servers: { myWeatherServer: { url: new URL(process.env.SEED_HTTP_URL!) } },
})

// Access prompt methods via mcpClient.prompts
const allPromptsByServer = await mcpClient.prompts.list()
const { prompt, messages } = await mcpClient.prompts.get({
  serverName: 'myWeatherServer',
  name: 'current',
})

// prompts.list()
const promptsByServer = await mcpClient.prompts.list()
for (const serverName in promptsByServer) {
  console.log(`Prompts from ${serverName}:`, promptsByServer[serverName])
}

// prompts.get()
{
  // CHANGED: block scope; the seed's two snippets both declare `prompt` and `messages`
  const { prompt, messages } = await mcpClient.prompts.get({
    serverName: 'myWeatherServer',
    name: 'current',
    args: { location: 'London' },
  })
  console.log(prompt)
  console.log(messages)
  // ── check (added by the test) ──
  assert.deepEqual(messages[0]?.content, { type: 'text', text: 'current weather in London?' })
}

// prompts.onListChanged()
mcpClient.prompts.onListChanged('myWeatherServer', () => {
  console.log('Prompt list changed on myWeatherServer.')
  // You should re-fetch the list of prompts
  // await mcpClient.prompts.list();
})

// ── check (added by the test) ──
assert.equal(allPromptsByServer.myWeatherServer?.[0]?.name, 'current')
assert.equal(prompt.name, 'current')
assert.deepEqual(messages[0]?.content, { type: 'text', text: 'current weather in Tokyo?' })
await mcpClient.disconnect()
ok('002-prompts')
