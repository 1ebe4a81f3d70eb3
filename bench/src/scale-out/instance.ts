/**
 * One instance of the scale bench's service: an `MCPServer` on 127.0.0.1 (ephemeral port)
 * whose tenants present `Bearer <tenant>.<signature>` tokens (HMAC of the tenant with
 * `TENANT_SECRET`), with a Redis event bus and the shared `requestState` key, as a replica
 * behind a load balancer has. Tool `whoami {}` answers the caller's tenant and the instance.
 * `GET /debug/memory` (node runs with --expose-gc) collects garbage and answers
 * `process.memoryUsage()`. Prints `SCALE_LISTENING <port>` on stdout. Env: `REDIS_URL`,
 * `KEY_PREFIX`, `INSTANCE`, `TENANT_SECRET`, `REQUEST_STATE_KEY`.
 */
import { timingSafeEqual } from 'node:crypto'
import http from 'node:http'
import { createMCPTool, MCPServer } from '@mcpkit/mcp-server-core'
import { RedisConnection, RedisServerEventBus } from '@mcpkit/redis'
import { z } from 'zod'
import { tenantToken } from './tenant-token.js'

const instance = process.env.INSTANCE ?? 'instance'
const secret = process.env.TENANT_SECRET ?? 'bench tenant secret'
const connection = new RedisConnection({
  url: process.env.REDIS_URL,
  keyPrefix: process.env.KEY_PREFIX ?? 'mcpkit-bench:',
})

const server = new MCPServer({
  name: 'scale-bench',
  version: '1.0.0',
  eventBus: new RedisServerEventBus({ connection }),
  requestState: { key: process.env.REQUEST_STATE_KEY ?? 'bench request-state key, 32+ bytes' },
  tools: {
    whoami: createMCPTool({
      id: 'whoami',
      description: "The caller's tenant",
      inputSchema: z.object({}),
      annotations: { readOnlyHint: true },
      execute: async (_input, { extra }) => `${String(extra.authInfo?.clientId)}@${instance}`,
    }),
  },
})

function tenantOf(header: string | undefined): string | undefined {
  const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined
  const dot = token?.lastIndexOf('.') ?? -1
  if (!token || dot <= 0) return undefined
  const tenant = token.slice(0, dot)
  const expected = Buffer.from(tenantToken(tenant, secret))
  const given = Buffer.from(token)
  return expected.length === given.length && timingSafeEqual(expected, given) ? tenant : undefined
}

const httpServer = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1')
  if (url.pathname === '/debug/memory') {
    globalThis.gc?.()
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(process.memoryUsage()))
    return
  }
  if (url.pathname !== '/mcp') return void res.writeHead(404).end()
  const tenant = tenantOf(req.headers.authorization)
  if (!tenant) return void res.writeHead(401).end()
  ;(req as http.IncomingMessage & { auth?: unknown }).auth = {
    token: req.headers.authorization?.slice(7) ?? '',
    clientId: tenant,
    scopes: [],
    extra: { sub: tenant },
  }
  void server.startHTTP({ url, httpPath: '/mcp', req, res })
})
httpServer.keepAliveTimeout = 30_000
httpServer.listen(0, '127.0.0.1', () => {
  const address = httpServer.address()
  process.stdout.write(
    `SCALE_LISTENING ${typeof address === 'object' && address ? address.port : 0}\n`,
  )
})

process.once('SIGTERM', () => {
  void server.close().then(async () => {
    httpServer.closeAllConnections()
    httpServer.close()
    await connection.close()
  })
})
