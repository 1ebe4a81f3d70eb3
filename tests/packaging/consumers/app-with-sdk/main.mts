// TypeScript (ESM, skipLibCheck: false): the app types its verifier with its own SDK's
// `AuthInfo` and `OAuthError`, and they are the types mcpkit's `TokenVerifier` and
// `MCPServer` take: one SDK copy means one set of types too.
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { MCPClient, type MCPKitError } from '@mcpkit/mcp-client-core'
import { createMCPTool, MCPServer } from '@mcpkit/mcp-server-core'
import {
  createProtectedResource,
  createSimpleTokenProvider,
  type ProtectedResource,
  type TokenVerifier,
} from '@mcpkit/oauth'
import { type AuthInfo, OAuthError, OAuthErrorCode } from '@modelcontextprotocol/server'
import { z } from 'zod'

let server: MCPServer | undefined
const httpServer = http.createServer((req, res) => {
  void server?.startHTTP({
    url: new URL(req.url ?? '/', 'http://127.0.0.1'),
    httpPath: '/mcp',
    req,
    res,
  })
})
await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
const origin = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`

const verifier: TokenVerifier = {
  async verify(token, { resource }): Promise<AuthInfo> {
    if (token !== 'good-token') throw new OAuthError(OAuthErrorCode.InvalidToken, 'bad token')
    return { token, clientId: 'app-client', scopes: [], resource, extra: { sub: 'user-ts' } }
  },
}
const auth: ProtectedResource = createProtectedResource({
  resource: `${origin}/mcp`,
  authorizationServers: ['https://auth.example.com'],
  verifier,
})
server = new MCPServer({
  name: 'app-with-sdk-ts',
  version: '1.0.0',
  auth,
  tools: {
    whoami: createMCPTool({
      id: 'whoami',
      description: 'Who is calling',
      inputSchema: z.object({}),
      execute: async (_input, { extra }) => {
        const info: AuthInfo | undefined = extra.authInfo
        return `you are ${String(info?.extra?.sub)}`
      },
    }),
  },
})

const refused = new MCPClient({
  id: 'app-with-sdk-ts-bad',
  servers: {
    notes: { url: new URL(`${origin}/mcp`), authProvider: createSimpleTokenProvider('bad') },
  },
})
const accepted = new MCPClient({
  id: 'app-with-sdk-ts-good',
  servers: {
    notes: { url: new URL(`${origin}/mcp`), authProvider: createSimpleTokenProvider('good-token') },
  },
})
try {
  const { errors } = await refused.listToolsWithErrors()
  const error: MCPKitError | undefined = errors.notes
  assert.equal(error?.code, 'UNAUTHORIZED', String(error))
  const whoami = (await accepted.listTools()).notes_whoami
  if (!whoami) throw new Error('notes_whoami is not listed')
  const result = (await whoami.execute({})) as { content: { type: string; text: string }[] }
  assert.deepEqual(result.content, [{ type: 'text', text: 'you are user-ts' }])
} finally {
  await Promise.all([refused.disconnect(), accepted.disconnect()])
  await server.close()
  await new Promise<void>((resolve) => httpServer.close(() => resolve()))
}
console.log('SMOKE OK app-with-sdk/main.mts')
