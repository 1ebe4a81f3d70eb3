// Seed 004 (MCPServer reference), "認証コンテキスト" (auth context): the tool fragment, placed in
// a createMCPTool, and the note's middleware that sets `req.auth` before `startHTTP`.
import http from 'node:http' // CHANGED: added; the note's snippet uses `httpServer.createServer`
import type { AddressInfo } from 'node:net' // CHANGED: added, for the check
import { createMCPTool, MCPClient, MCPServer } from '@mcpkit/mcp' // CHANGED: added; the fragments assume them
import { z } from 'zod' // CHANGED: added, for the tool's input schema
import { assert, ok, textOf } from './check.mjs'

// CHANGED: added; the note's `validateAuthToken`, accepting one known token
function validateAuthToken(header: string | undefined) {
  return header === 'Bearer user-token'
    ? { token: 'user-token', clientId: 'user-1', scopes: ['data:read'] }
    : undefined
}

const server = new MCPServer({
  name: 'Auth Server', // CHANGED: added; the fragment is a tool's `execute` without its server
  version: '1.0.0',
  tools: {
    getData: createMCPTool({
      id: 'getData',
      description: 'Reads the user data',
      inputSchema: z.object({}),
      execute: async (params, { elicitation, extra }) => {
        if (!extra?.authInfo?.token) {
          return 'Authentication required'
        }

        // 認証トークンを使用
        // CHANGED: was fetch('/api/data'); Node's fetch needs an absolute URL (the test's API)
        const response = await fetch(new URL('/api/data', process.env.SEED_API_URL!), {
          headers: { Authorization: `Bearer ${extra.authInfo.token}` },
          signal: extra.signal,
        })
        return response.json()
      },
    }),
  },
})

// The note: middleware that sets req.auth, then MCPServer
// CHANGED: `httpServer.createServer` → `http.createServer`, the callback made `async` (it awaits),
// `url`/`httpPath` filled in, and `req.auth` set through a cast (IncomingMessage has no `auth`)
const httpServer = http.createServer(async (req, res) => {
  // 認証ミドルウェアを追加
  ;(req as http.IncomingMessage & { auth?: unknown }).auth = validateAuthToken(
    req.headers.authorization,
  )
  // その後 MCP サーバーへ渡す
  await server.startHTTP({
    url: new URL(req.url ?? '/', 'http://127.0.0.1'),
    httpPath: '/mcp',
    req,
    res,
  })
})

// ── check (added by the test) ──
await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
const url = new URL(`http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/mcp`)
const anonymous = new MCPClient({ servers: { data: { url } } })
const tools = await anonymous.listTools()
assert.equal(textOf(await tools.data_getData!.execute({})), 'Authentication required')
await anonymous.disconnect()
const user = new MCPClient({
  servers: { data: { url, requestInit: { headers: { Authorization: 'Bearer user-token' } } } },
})
const userTools = await user.listTools()
const data = await userTools.data_getData!.execute({})
assert.match(JSON.stringify(data), /records of user-token/)
console.log(textOf(data))
await user.disconnect()
await server.close()
await new Promise<void>((resolve) => {
  httpServer.close(() => resolve())
  httpServer.closeAllConnections()
})
ok('004-auth-context')
