/**
 * The one server of the scale run: an mcpkit `MCPServer` on `node:http`, 127.0.0.1, ephemeral
 * port, serving both eras on `/mcp` (the run's clients speak 2026-07-28). Every request must
 * carry `Authorization: Bearer tenant-<n>.<signature>`; the `auth` below checks the signature
 * and hands the tenant to the tool as `authInfo.clientId`, and `whoami` answers with it, so
 * the run can check that each call went out with its own tenant's credential. Prints
 * `{"port":N}` once listening; `GET /stats` answers its counters; exits when its parent goes.
 */
import { createHmac } from 'node:crypto'
import { createServer } from 'node:http'
import { createMCPTool, MCPServer } from '@mcpkit/mcp-server-core'
import type { ResourceAuth, ResourceAuthInfo } from '@mcpkit/types'
import { z } from 'zod'

const secret = process.env.SCALE_SECRET ?? 'scale-run'
let toolCalls = 0
let refused = 0

/** The signature a tenant's token carries: only this run's clients have valid ones. */
export function signature(tenant: string): string {
  return createHmac('sha256', secret).update(tenant).digest('base64url').slice(0, 16)
}

const auth: ResourceAuth = {
  metadataPath: '/.well-known/oauth-protected-resource/mcp',
  metadataResponse: () => Response.json({ resource: 'http://127.0.0.1/mcp' }),
  async authenticate(request): Promise<ResourceAuthInfo | Response> {
    const token = request.headers.get('authorization')?.replace(/^Bearer /, '') ?? ''
    const [tenant = '', signed] = token.split('.')
    if (!tenant || signed !== signature(tenant)) {
      refused++
      return new Response('unknown tenant', { status: 401 })
    }
    return { token, clientId: tenant, scopes: [], extra: { sub: tenant } }
  },
  authorizeToolCall: () => undefined,
}

const server = new MCPServer({
  name: 'scale',
  version: '1.0.0',
  auth,
  tools: {
    whoami: createMCPTool({
      id: 'whoami',
      description: 'The tenant whose credential came with this call',
      inputSchema: z.object({ nonce: z.string() }),
      execute: async ({ nonce }, { extra }) => {
        toolCalls++
        return `${extra?.authInfo?.clientId ?? 'anonymous'}:${nonce}`
      },
    }),
  },
})

const http = createServer((req, res) => {
  if (req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(
      JSON.stringify({
        toolCalls,
        refused,
        rss: process.memoryUsage().rss,
        cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
      }),
    )
    return
  }
  void server.startHTTP({
    url: new URL(req.url ?? '/', 'http://127.0.0.1'),
    httpPath: '/mcp',
    req,
    res,
    options: { sessionIdGenerator: undefined },
  })
})
http.keepAliveTimeout = 30_000
http.listen(0, '127.0.0.1', () => {
  const address = http.address()
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === 'object' ? address?.port : 0 })}\n`,
  )
})
process.on('disconnect', () => {
  void server.close().finally(() => process.exit(0))
})
