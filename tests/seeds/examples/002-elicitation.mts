// Seed 002 (MCPClient reference), "`elicitation` Property" and its handler example.
import { MCPClient } from '@mcpkit/mcp' // CHANGED: added; the seed's snippets assume it
import { assert, ok, textOf } from './check.mjs'

const mcpClient = new MCPClient({
  // CHANGED: was `/* ...servers configuration... */`; the examples use 'serverName'
  servers: { serverName: { url: new URL(process.env.SEED_HTTP_URL!) } },
})

// Set up elicitation handler
mcpClient.elicitation.onRequest('serverName', async (request) => {
  if (!('requestedSchema' in request)) return { action: 'decline' } // CHANGED: added; the handler's type also covers URL-mode requests, which carry no schema
  // Handle elicitation request from server
  console.log('Server requests:', request.message)
  console.log('Schema:', request.requestedSchema)

  // Return user response
  return {
    action: 'accept',
    content: { name: 'John Doe', email: 'john@example.com' },
  }
})

// elicitation.onRequest(serverName, handler) → Example (replaces the handler above: one per server)
mcpClient.elicitation.onRequest('serverName', async (request) => {
  if (!('requestedSchema' in request)) return { action: 'decline' } // CHANGED: added; the handler's type also covers URL-mode requests, which carry no schema
  console.log(`Server requests: ${request.message}`)

  // Example: Simple user input collection
  if (request.requestedSchema.properties.name) {
    // Simulate user accepting and providing data
    return {
      action: 'accept',
      content: {
        name: 'Alice Smith',
        email: 'alice@example.com',
      },
    }
  }

  // Simulate user declining the request
  return { action: 'decline' }
})

// ── check (added by the test) ──
const tools = await mcpClient.listTools()
const result = textOf(await tools.serverName_collectContactInfo!.execute({}))
assert.equal(result, 'contact: {"name":"Alice Smith","email":"alice@example.com"}')
console.log(result)
await mcpClient.disconnect()
ok('002-elicitation')
