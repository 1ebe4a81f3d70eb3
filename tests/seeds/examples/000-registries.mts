// Seed 000 (production guide), "Connecting to MCP Registries": the five client configurations.
import { MCPClient } from '@mcpkit/mcp' // CHANGED: added; the seed's snippets assume it
import { assert, ok } from './check.mjs'

const clients: MCPClient[] = [] // CHANGED: added; collects each snippet's client for the check

// Smithery.ai
{
  // CHANGED: block scope; every snippet declares `mcp`
  const mcp = new MCPClient({
    id: 'smithery-client',
    servers: {
      sequentialThinking: {
        command: process.execPath, // CHANGED: was 'npx'; the test's stdio server, run with node
        args: [
          process.env.SEED_STDIO_SERVER!, // CHANGED: was '-y', '@smithery/cli@latest', 'run', …
          '--config',
          '{}',
        ],
      },
    },
  })
  clients.push(mcp)
}

// Composio.dev
{
  const mcp = new MCPClient({
    id: 'composio-client',
    servers: {
      googleSheets: {
        url: new URL('/sse?app=googlesheets', process.env.SEED_SSE_URL!), // CHANGED: was https://mcp.composio.dev/googlesheets/[your-private-url-path]
      },
      gmail: {
        url: new URL('/sse?app=gmail', process.env.SEED_SSE_URL!), // CHANGED: was https://mcp.composio.dev/gmail/[your-private-url-path]
      },
    },
  })
  clients.push(mcp)
}

// mcp.run
{
  const mcp = new MCPClient({
    id: 'mcprun-client',
    servers: {
      myProfile: {
        url: new URL(process.env.MCP_RUN_SSE_URL!), // Treat this like a password (the test sets it)
      },
    },
  })
  clients.push(mcp)
}

// Klavis AI
{
  const mcp = new MCPClient({
    id: 'klavis-client',
    servers: {
      salesforce: {
        url: new URL('/mcp?instance_id=YOUR_INSTANCE_ID', process.env.SEED_HTTP_URL!), // CHANGED: was https://salesforce-mcp-server.klavis.ai/mcp/?instance_id=…
      },
      hubspot: {
        url: new URL('/mcp?instance_id=YOUR_INSTANCE_ID', process.env.SEED_HTTP_URL!), // CHANGED: was https://hubspot-mcp-server.klavis.ai/mcp/?instance_id=…
      },
    },
  })
  clients.push(mcp)
}

// Ampersand
{
  const mcp = new MCPClient({
    id: 'ampersand-client',
    servers: {
      '@amp-labs/mcp-server': {
        // CHANGED: was https://mcp.withampersand.com/v1/sse?…; the test's SSE endpoint, same query
        // (and the seed's \` escapes removed). A string URL: mcpkit takes `URL | string`.
        url: `${process.env.SEED_SSE_URL!}?${new URLSearchParams({
          apiKey: process.env.AMPERSAND_API_KEY!,
          project: process.env.AMPERSAND_PROJECT_ID!,
          integrationName: process.env.AMPERSAND_INTEGRATION_NAME!,
          groupRef: process.env.AMPERSAND_GROUP_REF!,
        })}`,
      },
    },
  })
  clients.push(mcp)
}

// ── check (added by the test): every configuration connects and lists tools ──
for (const client of clients) {
  const { tools, errors } = await client.listToolsWithErrors()
  assert.deepEqual(errors, {})
  assert.ok(Object.keys(tools).length > 0)
  await client.disconnect()
}
ok('000-registries')
