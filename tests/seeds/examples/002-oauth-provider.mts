// Seed 002 (MCPClient reference), "OAuth authentication" → MCPOAuthClientProvider.
import { MCPClient, MCPOAuthClientProvider } from '@mcpkit/mcp' // CHANGED: was '@mastra/mcp'
import { assert, ok } from './check.mjs'

const serverUrl = new URL(process.env.SEED_HTTP_URL!) // CHANGED: added; was https://mcp.example.com/mcp below

// Create an OAuth provider
const oauthProvider = new MCPOAuthClientProvider({
  serverUrl, // CHANGED: added; mcpkit keys stored tokens by server (and principal), so it needs the URL
  redirectUrl: 'http://localhost:3000/oauth/callback',
  clientMetadata: {
    redirect_uris: ['http://localhost:3000/oauth/callback'],
    client_name: 'My MCP Client',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  },
  onRedirectToAuthorization: (url) => {
    // Handle authorization redirect (open browser, redirect response, etc.)
    console.log(`Please visit: ${url}`)
  },
})

// Use the provider with MCPClient
const client = new MCPClient({
  servers: {
    protectedServer: {
      url: serverUrl, // CHANGED: was new URL('https://mcp.example.com/mcp')
      authProvider: oauthProvider,
    },
  },
})

// ── check (added by the test) ──
// The local server does not ask for OAuth: the provider has no tokens yet, sends none, and the
// connection works; the provider's registration data is what the seed configured.
assert.equal(String(oauthProvider.redirectUrl), 'http://localhost:3000/oauth/callback')
assert.equal(oauthProvider.clientMetadata.client_name, 'My MCP Client')
assert.equal(await oauthProvider.tokens(), undefined)
const tools = await client.listTools()
assert.ok(tools.protectedServer_echo)
await client.disconnect()
ok('002-oauth-provider')
