// Seed 002 (MCPClient reference), "Using custom fetch for dynamic authentication".
import { MCPClient, RequestContext } from '@mcpkit/mcp' // CHANGED: added; the seed's snippet assumes MCPClient (RequestContext: @mastra/core/di in Mastra)
import { assert, ok, textOf } from './check.mjs'
import { Agent, openai } from './mastra-stand-ins.mjs' // CHANGED: Agent and openai() are stand-ins (no model)

const mcpClient = new MCPClient({
  servers: {
    apiServer: {
      url: new URL(process.env.SEED_HTTP_URL!), // CHANGED: was https://api.example.com/mcp; the test's local server
      fetch: async (url, init, requestContext) => {
        const headers = new Headers(init?.headers)
        // Forward auth cookie from the incoming request
        const cookie = requestContext?.get('cookie')
        if (cookie) {
          headers.set('cookie', String(cookie)) // CHANGED: String(); mcpkit's RequestContext values are `unknown`
        }
        return fetch(url, { ...init, headers })
      },
    },
  },
})

// Use with an agent — requestContext is automatically forwarded
const agent = new Agent({
  name: 'My Agent',
  instructions: 'You are a helpful assistant.',
  model: openai('gpt-5.4'),
  tools: await mcpClient.listTools(),
})

// CHANGED: added; the incoming request's context the seed calls `myRequestContext`
const myRequestContext = new RequestContext().set('cookie', 'session=abc123')

// CHANGED: `const answer =` added, for the check below
const answer = await agent.generate('Hello!', {
  requestContext: myRequestContext, // forwarded to the custom fetch
})

// ── check (added by the test): whoami ran with the request's cookie ──
const whoami = JSON.parse(textOf(answer.toolResults.apiServer_whoami))
assert.equal(whoami.cookie, 'session=abc123')
console.log('cookie received by the server:', whoami.cookie)
await mcpClient.disconnect()
ok('002-custom-fetch')
