// CommonJS: the app-with-sdk case from the .cjs builds. The app's own
// `@modelcontextprotocol/server` (its CommonJS build) is the copy every mcpkit package requires,
// and a verifier throwing the app's `OAuthError(InvalidToken)` gets a 401 challenge, never a 500.
const assert = require('node:assert/strict')
const http = require('node:http')
const { createMCPTool, MCPServer } = require('@mcpkit/mcp-server-core')
const { createProtectedResource, InvalidTokenError } = require('@mcpkit/oauth')
const { OAuthError, OAuthErrorCode } = require('@modelcontextprotocol/server')
const { z } = require('zod')

const resolveFrom = (path, specifier) =>
  require('node:module').createRequire(path).resolve(specifier)

async function main() {
  const serverCore = require.resolve('@mcpkit/mcp-server-core')
  const oauth = require.resolve('@mcpkit/oauth')
  for (const user of [serverCore, oauth, resolveFrom(serverCore, '@mcpkit/transports')]) {
    assert.equal(
      resolveFrom(user, '@modelcontextprotocol/server'),
      require.resolve('@modelcontextprotocol/server'),
      `the SDK as ${user} sees it`,
    )
  }
  assert.equal(Object.getPrototypeOf(InvalidTokenError), OAuthError)

  let server
  const httpServer = http.createServer((req, res) => {
    void server.startHTTP({
      url: new URL(req.url ?? '/', 'http://127.0.0.1'),
      httpPath: '/mcp',
      req,
      res,
    })
  })
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${httpServer.address().port}`
  server = new MCPServer({
    name: 'app-with-sdk-cjs',
    version: '1.0.0',
    auth: createProtectedResource({
      resource: `${origin}/mcp`,
      authorizationServers: ['https://auth.example.com'],
      verifier: {
        async verify() {
          throw new OAuthError(OAuthErrorCode.InvalidToken, 'bad token')
        },
      },
    }),
    tools: {
      ping: createMCPTool({
        id: 'ping',
        description: 'Answers pong',
        inputSchema: z.object({}),
        execute: async () => 'pong',
      }),
    },
  })
  try {
    const response = await fetch(`${origin}/mcp`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer bad-token',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    })
    const body = await response.text()
    assert.equal(response.status, 401, `bad token answered ${response.status}: ${body}`)
    const challenge = response.headers.get('www-authenticate') ?? ''
    assert.match(challenge, /^Bearer .*error="invalid_token"/)
    assert.match(challenge, /error_description="bad token"/)
    assert.equal(JSON.parse(body).error, 'invalid_token')
  } finally {
    await server.close()
    await new Promise((resolve) => httpServer.close(resolve))
  }
  console.log('SMOKE OK app-with-sdk/main.cjs')
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
