// Seed 002 (MCPClient reference), "Quick Token Provider".
import { createSimpleTokenProvider, MCPClient } from '@mcpkit/mcp' // CHANGED: was '@mastra/mcp'
import { assert, ok, textOf } from './check.mjs'

const provider = createSimpleTokenProvider('your-access-token', {
  redirectUrl: 'http://localhost:3000/callback',
  clientMetadata: {
    redirect_uris: ['http://localhost:3000/callback'],
    client_name: 'Test Client',
  },
})

const client = new MCPClient({
  servers: {
    testServer: {
      url: new URL(process.env.SEED_HTTP_URL!), // CHANGED: was https://mcp.example.com/mcp; the test's local server
      authProvider: provider,
    },
  },
})

// ── check (added by the test): the server received the token ──
const tools = await client.listTools()
const seen = JSON.parse(textOf(await tools.testServer_whoami!.execute({})))
assert.equal(seen.token, 'your-access-token')
console.log('token received by the server:', seen.token)
await client.disconnect()
ok('002-simple-token')
