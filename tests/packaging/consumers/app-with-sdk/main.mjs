// ESM: an app that depends on the SDK v2 packages itself (caret ranges, from the registry) and
// installs @mcpkit/mcp-server-core, @mcpkit/oauth and @mcpkit/mcp-client-core next to them.
// npm must give the app and every mcpkit package one copy of the SDK, so the `OAuthError` the
// app imports is the class mcpkit sees: a token verifier that throws the app's own
// `new OAuthError(OAuthErrorCode.InvalidToken, …)` gets the client a 401 with a challenge, never
// a 500 (the bug an exact SDK pin caused: two copies, every instanceof failing).
import assert from 'node:assert/strict'
import http from 'node:http'
import { createRequire } from 'node:module'
import { MCPClient } from '@mcpkit/mcp-client-core'
import { createMCPTool, MCPServer } from '@mcpkit/mcp-server-core'
import {
  createProtectedResource,
  createSimpleTokenProvider,
  InvalidTokenError,
} from '@mcpkit/oauth'
import { OAuthError, OAuthErrorCode } from '@modelcontextprotocol/server'
import { z } from 'zod'

const require = createRequire(import.meta.url)

/** The file `specifier` is for the package that `path` (a resolved file) belongs to. */
const resolveFrom = (path, specifier) => createRequire(path).resolve(specifier)

// One copy: every mcpkit package resolves the SDK to the app's own files.
const serverCore = require.resolve('@mcpkit/mcp-server-core')
const transports = resolveFrom(serverCore, '@mcpkit/transports')
const oauth = require.resolve('@mcpkit/oauth')
const clientCore = require.resolve('@mcpkit/mcp-client-core')
for (const [sdk, users] of [
  ['@modelcontextprotocol/server', [serverCore, transports, oauth]],
  ['@modelcontextprotocol/client', [clientCore, transports, oauth]],
]) {
  for (const user of users) {
    assert.equal(resolveFrom(user, sdk), require.resolve(sdk), `${sdk} as ${user} sees it`)
  }
}
// The optional peer: the client core finds the app's @mcpkit/oauth.
assert.equal(resolveFrom(clientCore, '@mcpkit/oauth'), oauth)
// The class itself crosses the boundary: mcpkit's InvalidTokenError extends the app's OAuthError.
// (Checked by identity: the SDK's Symbol.hasInstance makes `instanceof` pass across copies too.)
assert.equal(Object.getPrototypeOf(InvalidTokenError), OAuthError)
assert.ok(new InvalidTokenError('x') instanceof OAuthError)

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
const verified = []
server = new MCPServer({
  name: 'app-with-sdk',
  version: '1.0.0',
  auth: createProtectedResource({
    resource: `${origin}/mcp`,
    authorizationServers: ['https://auth.example.com'],
    verifier: {
      async verify(token, { resource }) {
        verified.push(token)
        // The app's own class, from its own @modelcontextprotocol/server import.
        if (token !== 'good-token') throw new OAuthError(OAuthErrorCode.InvalidToken, 'bad token')
        return {
          token,
          clientId: 'app-client',
          scopes: [],
          expiresAt: Math.floor(Date.now() / 1000) + 3600,
          resource,
          extra: { sub: 'user-1' },
        }
      },
    },
  }),
  tools: {
    whoami: createMCPTool({
      id: 'whoami',
      description: 'Who is calling',
      inputSchema: z.object({}),
      execute: async (_input, { extra }) => `you are ${extra.authInfo?.extra?.sub}`,
    }),
  },
})

const clients = []
try {
  // A bad bearer token, raw: 401 with a Bearer challenge naming the verifier's reason.
  const response = await fetch(`${origin}/mcp`, {
    method: 'POST',
    headers: {
      authorization: 'Bearer bad-token',
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'raw-fetch', version: '1.0.0' },
      },
    }),
  })
  const challenge = response.headers.get('www-authenticate') ?? ''
  assert.equal(
    response.status,
    401,
    `bad token answered ${response.status}: ${await response.text()}`,
  )
  assert.match(challenge, /^Bearer /)
  assert.match(challenge, /error="invalid_token"/)
  assert.match(challenge, /error_description="bad token"/)
  assert.ok(
    challenge.includes(`resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`),
    challenge,
  )
  assert.deepEqual(verified, ['bad-token'])

  // The same through MCPClient: a refused token is UNAUTHORIZED, not a server error.
  const refused = new MCPClient({
    id: 'app-with-sdk-bad',
    servers: {
      notes: {
        url: new URL(`${origin}/mcp`),
        authProvider: createSimpleTokenProvider('bad-token'),
      },
    },
  })
  clients.push(refused)
  const { errors } = await refused.listToolsWithErrors()
  assert.equal(errors.notes?.code, 'UNAUTHORIZED', String(errors.notes))

  // A good token reaches the tool, with the verifier's authInfo.
  const accepted = new MCPClient({
    id: 'app-with-sdk-good',
    servers: {
      notes: {
        url: new URL(`${origin}/mcp`),
        authProvider: createSimpleTokenProvider('good-token'),
      },
    },
  })
  clients.push(accepted)
  const tools = await accepted.listTools()
  const result = await tools.notes_whoami.execute({})
  assert.deepEqual(result.content, [{ type: 'text', text: 'you are user-1' }])
} finally {
  await Promise.all(clients.map((client) => client.disconnect()))
  await server.close()
  await new Promise((resolve) => httpServer.close(resolve))
}
console.log('SMOKE OK app-with-sdk/main.mjs')
