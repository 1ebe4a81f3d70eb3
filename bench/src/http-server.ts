/**
 * Minimal Streamable HTTP MCP server for the benchmark, run as its own process so its CPU is
 * not charged to the client under test: the SDK v2 `McpServer` + `NodeStreamableHTTPServerTransport`
 * (`@modelcontextprotocol/node`, a devDependency of the bench only), wired as the v2 docs'
 * sessionful pattern (`docs/serving/sessions-state-scaling.md`): a session map, one McpServer
 * per session. The same server for every contender (raw v2, raw v1, mcpkit); the wire protocol
 * is the 2025 one (`initialize`, sessions). Bound to 127.0.0.1 on an ephemeral port. Prints
 * `{"port":N}` on stdout once listening.
 *
 * `/modern` serves the same tools with the SDK v2's `createMcpHandler` (a fresh `McpServer`
 * per request, both eras on one endpoint: 2026-07-28 requests natively, 2025 ones statelessly),
 * for the modern-era rows, where clients negotiate the era (`versionNegotiation: 'auto'`).
 *
 * Besides those it answers `GET /stats` with counters (requests per JSON-RPC method, DELETEs,
 * open sessions, server CPU) so the bench can see what each client actually sent.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import {
  type NodeIncomingMessageLike,
  NodeStreamableHTTPServerTransport,
  toNodeHandler,
} from '@modelcontextprotocol/node'
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server'
import { registerBenchTools } from './bench-tools.mjs'

const MAX_BODY_BYTES = 1_000_000
const MAX_SESSIONS = 2_000
const jsonResponse = process.env.BENCH_JSON_RESPONSE === '1'

const transports = new Map<string, NodeStreamableHTTPServerTransport>()
const counters = {
  methods: {} as Record<string, number>,
  posts: 0,
  gets: 0,
  deletes: 0,
  sessionsOpened: 0,
  sessionsClosed: 0,
}

function buildServer(): McpServer {
  return registerBenchTools(new McpServer({ name: 'bench-http', version: '1.0.0' }))
}

function sendJsonRpcError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }))
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new Error('body too large')
    chunks.push(chunk)
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

function countMethods(body: unknown): void {
  const messages = Array.isArray(body) ? body : [body]
  for (const message of messages) {
    const method =
      message && typeof message === 'object' && 'method' in message
        ? String((message as { method: unknown }).method)
        : '(response)'
    counters.methods[method] = (counters.methods[method] ?? 0) + 1
  }
}

/** A POST's parsed body, its JSON-RPC methods counted; `undefined` once a 400 was answered. */
async function countedBody(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  counters.posts++
  let body: unknown
  try {
    body = await readBody(req)
  } catch (error) {
    sendJsonRpcError(res, 400, `Parse error: ${(error as Error).message}`)
    return undefined
  }
  countMethods(body)
  return body
}

async function handleMcp(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const sessionHeader = req.headers['mcp-session-id']
  const sessionId = Array.isArray(sessionHeader) ? sessionHeader[0] : sessionHeader
  if (req.method === 'POST') {
    const body = await countedBody(req, res)
    if (body === undefined) return
    if (sessionId) {
      const transport = transports.get(sessionId)
      if (!transport) return sendJsonRpcError(res, 404, 'Session not found')
      await transport.handleRequest(req, res, body)
      return
    }
    const isInitialize =
      !Array.isArray(body) && (body as { method?: unknown } | null)?.method === 'initialize'
    if (!isInitialize) return sendJsonRpcError(res, 400, 'No session id')
    if (transports.size >= MAX_SESSIONS) return sendJsonRpcError(res, 503, 'Too many sessions')
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: jsonResponse,
      onsessioninitialized: (id) => {
        transports.set(id, transport)
        counters.sessionsOpened++
      },
    })
    transport.onclose = () => {
      const id = transport.sessionId
      if (id && transports.delete(id)) counters.sessionsClosed++
    }
    await buildServer().connect(transport)
    await transport.handleRequest(req, res, body)
    return
  }
  if (req.method === 'GET' || req.method === 'DELETE') {
    if (req.method === 'GET') counters.gets++
    else counters.deletes++
    const transport = sessionId ? transports.get(sessionId) : undefined
    if (!transport) return sendJsonRpcError(res, sessionId ? 404 : 400, 'Unknown session')
    await transport.handleRequest(req, res)
    return
  }
  res.writeHead(405, { allow: 'GET, POST, DELETE' }).end()
}

const modernHandler = createMcpHandler(buildServer)
const serveModern = toNodeHandler(modernHandler)

/** `/modern`: every POST counted like `/mcp`'s, then served by `createMcpHandler`. */
async function handleModern(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') {
    await serveModern(req as NodeIncomingMessageLike, res)
    return
  }
  const body = await countedBody(req, res)
  if (body !== undefined) await serveModern(req as NodeIncomingMessageLike, res, body)
}

const httpServer = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0]
  if (path === '/modern') {
    handleModern(req, res).catch((error) => {
      if (!res.headersSent) sendJsonRpcError(res, 500, String(error))
    })
    return
  }
  if (path === '/mcp') {
    handleMcp(req, res).catch((error) => {
      if (!res.headersSent) sendJsonRpcError(res, 500, String(error))
    })
    return
  }
  if (path === '/stats' && req.method === 'GET') {
    const cpu = process.cpuUsage()
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(
      JSON.stringify({
        ...counters,
        openSessions: transports.size,
        cpuMicros: cpu.user + cpu.system,
        rss: process.memoryUsage().rss,
      }),
    )
    return
  }
  res.writeHead(404).end()
})
httpServer.keepAliveTimeout = 60_000

httpServer.listen(0, '127.0.0.1', () => {
  const address = httpServer.address()
  if (address && typeof address === 'object') {
    process.stdout.write(`${JSON.stringify({ port: address.port })}\n`)
  }
})

// The bench stops this process by pid (SIGTERM); close sessions so nothing lingers. If the
// bench dies first (its IPC channel closes), stop too rather than linger as an orphan.
function shutdown(): void {
  for (const transport of transports.values()) void transport.close()
  void modernHandler.close()
  httpServer.closeAllConnections()
  httpServer.close(() => process.exit(0))
  setTimeout(() => process.exit(0), 500).unref()
}
process.on('SIGTERM', shutdown)
process.on('disconnect', shutdown)
