// Seed 000 (production guide), gotcha 2 "SSE Auth Header Split".
import { MCPClient } from '@mcpkit/mcp' // CHANGED: added; the seed shows only the `servers` entry
import { assert, ok, textOf } from './check.mjs'

const client = new MCPClient({
  // CHANGED: added around the seed's `servers: { … }` fragment
  servers: {
    myServer: {
      url: new URL(process.env.SEED_SSE_URL!), // CHANGED: was https://example.com/mcp/sse; the test's legacy SSE endpoint
      requestInit: {
        headers: { Authorization: 'Bearer token' }, // For HTTP requests
      },
      // CHANGED: `eventSourceInit: { headers: { Authorization: 'Bearer token' } }` removed: not an
      // option in mcpkit (nor in the eventsource package); `requestInit.headers` already reach the
      // SSE stream, so the gotcha does not exist (the check below shows it)
    },
  },
})

// ── check (added by the test): the token reached the SSE server ──
const tools = await client.listTools()
assert.equal(JSON.parse(textOf(await tools.myServer_whoami!.execute({}))).token, 'token')
await client.disconnect()
ok('000-sse-auth-split')
