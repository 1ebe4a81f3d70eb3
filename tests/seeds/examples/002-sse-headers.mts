// Seed 002 (MCPClient reference), "Using SSE request headers" (both options).
import { MCPClient } from '@mcpkit/mcp' // CHANGED: added; the seed's snippet assumes it
import { assert, ok, textOf } from './check.mjs'

// Option 1: Using requestInit and eventSourceInit (required for SSE)
const sseClient = new MCPClient({
  servers: {
    exampleServer: {
      url: new URL(process.env.SEED_SSE_URL!), // CHANGED: was https://your-mcp-server.com/sse; the test's legacy SSE endpoint
      // Note: requestInit alone isn't enough for SSE
      requestInit: {
        headers: {
          Authorization: 'Bearer your-token',
        },
      },
      // This is also required for SSE connections with custom headers
      eventSourceInit: {
        fetch(input: Request | URL | string, init?: RequestInit) {
          const headers = new Headers(init?.headers || {})
          headers.set('Authorization', 'Bearer your-token')
          return fetch(input, {
            ...init,
            headers,
          })
        },
      },
    },
  },
})

// Option 2: Using custom fetch (simpler, works for both Streamable HTTP and SSE)
const sseClientWithFetch = new MCPClient({
  servers: {
    exampleServer: {
      url: new URL(process.env.SEED_SSE_URL!), // CHANGED: was https://your-mcp-server.com/sse
      fetch: async (url, init) => {
        const headers = new Headers(init?.headers || {})
        headers.set('Authorization', 'Bearer your-token')
        return fetch(url, {
          ...init,
          headers,
        })
      },
    },
  },
})

// ── check (added by the test): both reach the SSE server with the token ──
for (const client of [sseClient, sseClientWithFetch]) {
  const tools = await client.listTools()
  const whoami = JSON.parse(textOf(await tools.exampleServer_whoami!.execute({})))
  assert.equal(whoami.token, 'your-token')
  await client.disconnect()
}
ok('002-sse-headers')
