// TypeScript compiled to CommonJS: the .d.cts typings of @mcpkit/oauth take the app's own
// `OAuthError` (from its @modelcontextprotocol/server) and answer a bad token with 401.
import assert = require('node:assert/strict')

import { createProtectedResource, InvalidTokenError } from '@mcpkit/oauth'
import { OAuthError, OAuthErrorCode } from '@modelcontextprotocol/server'

async function main(): Promise<void> {
  // mcpkit's error class extends the app's own OAuthError: one class, one copy.
  assert.equal(Object.getPrototypeOf(InvalidTokenError), OAuthError)
  const auth = createProtectedResource({
    resource: 'http://127.0.0.1:3000/mcp',
    authorizationServers: ['https://auth.example.com'],
    verifier: {
      verifyAccessToken: async () => {
        throw new OAuthError(OAuthErrorCode.InvalidToken, 'bad token')
      },
    },
  })
  const answer = await auth.authenticate(
    new Request('http://127.0.0.1:3000/mcp', {
      method: 'POST',
      headers: { authorization: 'Bearer bad-token', 'content-type': 'application/json' },
    }),
  )
  if (!(answer instanceof Response)) throw new Error('a bad token was accepted')
  assert.equal(answer.status, 401)
  assert.match(answer.headers.get('www-authenticate') ?? '', /error="invalid_token"/)
  console.log('SMOKE OK app-with-sdk/main.cts')
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
