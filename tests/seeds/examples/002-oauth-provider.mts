// Seed 002 (MCPClient reference), "OAuth authentication" → MCPOAuthClientProvider.
import { MCPClient, MCPOAuthClientProvider } from '@mcpkit/mcp' // CHANGED: was '@mastra/mcp'
import { assert, ok, readLine, textOf } from './check.mjs'

// Create an OAuth provider
const oauthProvider = new MCPOAuthClientProvider({
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
      url: new URL(process.env.SEED_OAUTH_URL!), // CHANGED: was new URL('https://mcp.example.com/mcp')
      authProvider: oauthProvider,
    },
  },
})

// ── check (added by the test) ──
// The provider took its server URL from the definition it was put in.
const serverUrl = process.env.SEED_OAUTH_URL!
assert.equal(oauthProvider.serverUrl, new URL(serverUrl).href)
assert.equal(oauthProvider.clientMetadata.client_name, 'My MCP Client')
assert.equal(await oauthProvider.tokens(), undefined)
// The first call meets the server's 401: the provider registers itself (dynamic registration,
// with the seed's metadata), the seed's hook prints the authorization URL, the call fails.
const first = await client.listTools().catch((error: unknown) => error)
assert.equal((first as { code?: string }).code, 'UNAUTHORIZED')
// The user signs in; the browser comes back to the app's callback route, whose URL (typed by
// the test) finishes the authorization.
await oauthProvider.finishAuthorization(await readLine())
const tools = await client.listTools()
assert.ok(tools.protectedServer_whoami)
// whoami reports the token's subject and scopes as the protected server verified them.
const seen = JSON.parse(textOf(await tools.protectedServer_whoami.execute({}))) as {
  sub?: string
  scopes?: string[]
}
assert.equal(seen.sub, 'seed-user')
assert.ok(seen.scopes?.includes('notes:read'))
await client.disconnect()
ok('002-oauth-provider')
