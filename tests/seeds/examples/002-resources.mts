// Seed 002 (MCPClient reference), "`resources` Property" and its method examples, in order.
import { MCPClient } from '@mcpkit/mcp' // CHANGED: added; the seed's snippets assume it
import { assert, ok } from './check.mjs'

const mcpClient = new MCPClient({
  // CHANGED: was `/* ...servers configuration... */`; the examples read 'myWeatherServer'
  servers: { myWeatherServer: { url: new URL(process.env.SEED_HTTP_URL!) } },
})

// Access resource methods via mcpClient.resources
const allResourcesByServer = await mcpClient.resources.list()
const templatesByServer = await mcpClient.resources.templates()
// ... and so on for other resource methods.

// resources.list()
const resourcesByServer = await mcpClient.resources.list()
for (const serverName in resourcesByServer) {
  console.log(`Resources from ${serverName}:`, resourcesByServer[serverName])
}

// resources.templates()
{
  // CHANGED: block scope; the seed's two snippets both declare `templatesByServer`
  const templatesByServer = await mcpClient.resources.templates()
  for (const serverName in templatesByServer) {
    console.log(`Templates from ${serverName}:`, templatesByServer[serverName])
  }
}

// resources.read()
const content = await mcpClient.resources.read('myWeatherServer', 'weather://current')
// CHANGED: `contents[0]` is a text or a blob part; narrowed with `'text' in` before reading `.text`
const first = content.contents[0]
console.log('Current weather:', first && 'text' in first ? first.text : first)

// resources.subscribe() / unsubscribe()
await mcpClient.resources.subscribe('myWeatherServer', 'weather://current')
await mcpClient.resources.unsubscribe('myWeatherServer', 'weather://current')

// resources.onUpdated()
mcpClient.resources.onUpdated('myWeatherServer', (params) => {
  console.log(`Resource updated on myWeatherServer: ${params.uri}`)
  // You might want to re-fetch the resource content here
  // await mcpClient.resources.read("myWeatherServer", params.uri);
})

// resources.onListChanged()
mcpClient.resources.onListChanged('myWeatherServer', () => {
  console.log('Resource list changed on myWeatherServer.')
  // You should re-fetch the list of resources
  // await mcpClient.resources.list();
})

// ── check (added by the test) ──
assert.equal(allResourcesByServer.myWeatherServer?.[0]?.uri, 'weather://current')
assert.equal(templatesByServer.myWeatherServer?.[0]?.uriTemplate, 'weather://{city}/current')
assert.ok(first && 'text' in first && first.text === 'Sunny, 21 °C')
// Subscribe again and make the server change the resource: the onUpdated handler above runs.
const updated = new Promise<void>((resolve) =>
  mcpClient.resources.onUpdated('myWeatherServer', () => resolve()),
)
await mcpClient.resources.subscribe('myWeatherServer', 'weather://current')
const tools = await mcpClient.listTools()
await tools.myWeatherServer_update_weather!.execute({})
await updated
await mcpClient.disconnect()
ok('002-resources')
