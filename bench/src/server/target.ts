/**
 * A target of the server bench, in its own process: `raw` (the MCP SDK's `McpServer` +
 * `StreamableHTTPServerTransport`, wired as the SDK's examples do) or `mcpkit` (`MCPServer`
 * with `startHTTP`), in `stateful` or `stateless` mode, on node:http at 127.0.0.1 with an
 * ephemeral port. Both serve one tool, `echo`, which returns its `message` as one text part
 * and counts its own calls (so the bench can check that every 2xx it counted ran the tool).
 *
 *   node --import tsx src/server/target.ts <raw|mcpkit> <stateful|stateless>
 *
 * Driven over IPC by `run.ts`: `stats` (CPU, tool calls, memory), `gc`, `exit`.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import { serveParent } from '../child-process.js'
import { gc } from '../stats.js'
import type {
  Implementation,
  Mode,
  ServerChildRequest,
  TargetHello,
  TargetStats,
} from './protocol.js'

const implementation = process.argv[2] as Implementation
const mode = process.argv[3] as Mode
if (implementation !== 'raw' && implementation !== 'mcpkit') {
  throw new Error(`target: unknown implementation ${implementation}`)
}
if (mode !== 'stateful' && mode !== 'stateless') throw new Error(`target: unknown mode ${mode}`)

const jsonResponse = process.env.BENCH_JSON_RESPONSE === '1'
/** The same cap as mcpkit's default `maxBodyBytes`. */
const MAX_BODY_BYTES = 4 * 1024 * 1024

let toolCalls = 0
let httpRequests = 0

// ---- raw SDK ------------------------------------------------------------------------------------

function buildRawServer(): McpServer {
  const server = new McpServer({ name: 'bench-target', version: '1.0.0' })
  server.registerTool(
    'echo',
    {
      description: 'Echoes the message back',
      inputSchema: { message: z.string().describe('text to echo') },
    },
    async ({ message }) => {
      toolCalls++
      return { content: [{ type: 'text', text: message }] }
    },
  )
  return server
}

function sendJsonRpcError(res: ServerResponse, status: number, code: number, message: string) {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }))
}

/** What express.json() does for the SDK's examples: read the body, parse it once. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error('body too large'), { status: 413 })
    chunks.push(chunk)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw Object.assign(new Error('Parse error'), { status: 400 })
  }
}

const rawSessions = new Map<string, StreamableHTTPServerTransport>()

/** Stateful, as the SDK's `simpleStreamableHttp` example: a session map, one McpServer each. */
async function rawStateful(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const header = req.headers['mcp-session-id']
  const sessionId = Array.isArray(header) ? header[0] : header
  if (req.method === 'POST') {
    const body = await readJson(req)
    if (sessionId) {
      const transport = rawSessions.get(sessionId)
      if (!transport) return sendJsonRpcError(res, 404, -32001, 'Session not found')
      return transport.handleRequest(req, res, body)
    }
    if (!isInitializeRequest(body)) {
      return sendJsonRpcError(res, 400, -32000, 'Bad Request: No valid session ID provided')
    }
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: jsonResponse,
      onsessioninitialized: (id) => {
        rawSessions.set(id, transport)
      },
    })
    transport.onclose = () => {
      if (transport.sessionId) rawSessions.delete(transport.sessionId)
    }
    await buildRawServer().connect(transport)
    return transport.handleRequest(req, res, body)
  }
  if (req.method === 'GET' || req.method === 'DELETE') {
    const transport = sessionId ? rawSessions.get(sessionId) : undefined
    if (!transport) return sendJsonRpcError(res, 400, -32000, 'Invalid or missing session ID')
    return transport.handleRequest(req, res)
  }
  res.writeHead(405, { allow: 'GET, POST, DELETE' }).end()
}

/**
 * Stateless, as the SDK's `simpleStatelessStreamableHttp` example: a new McpServer and a new
 * transport (`sessionIdGenerator: undefined`) for every POST, closed when the response closes.
 */
async function rawStateless(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') {
    return sendJsonRpcError(res, 405, -32000, 'Method not allowed.')
  }
  const body = await readJson(req)
  const server = buildRawServer()
  // No sessionIdGenerator (the example's `sessionIdGenerator: undefined`): stateless.
  const transport = new StreamableHTTPServerTransport({ enableJsonResponse: jsonResponse })
  res.on('close', () => {
    void transport.close()
    void server.close()
  })
  await server.connect(transport)
  await transport.handleRequest(req, res, body)
}

// ---- mcpkit, typed loosely so the raw side runs before mcp-server-core is built ---------------

interface McpkitServer {
  startHTTP(options: {
    url: URL
    httpPath: string
    req: IncomingMessage
    res: ServerResponse
    options?: Record<string, unknown>
  }): Promise<void>
  close(): Promise<void>
}
interface McpkitModule {
  MCPServer: new (config: Record<string, unknown>) => McpkitServer
  createMCPTool: (definition: Record<string, unknown>) => unknown
}

async function buildMcpkit(): Promise<McpkitServer> {
  // A variable specifier: the bench typechecks before mcp-server-core's dist/ exists.
  const specifier = '@mcpkit/mcp-server-core'
  const module = (await import(specifier)) as Partial<McpkitModule>
  if (typeof module.MCPServer !== 'function' || typeof module.createMCPTool !== 'function') {
    throw new Error('@mcpkit/mcp-server-core does not export MCPServer and createMCPTool')
  }
  return new module.MCPServer({
    name: 'bench-target',
    version: '1.0.0',
    tools: {
      echo: module.createMCPTool({
        id: 'echo',
        description: 'Echoes the message back',
        inputSchema: z.object({ message: z.string().describe('text to echo') }),
        // A string result becomes one text part: the same wire result as the raw tool.
        execute: async ({ message }: { message: string }) => {
          toolCalls++
          return message
        },
      }),
    },
  })
}

// ---- the HTTP server ----------------------------------------------------------------------------

let mcpkit: McpkitServer | undefined
let httpServer: ReturnType<typeof createServer> | undefined

function handler(): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  if (implementation === 'raw') return mode === 'stateful' ? rawStateful : rawStateless
  const server = mcpkit
  if (!server) throw new Error('mcpkit not loaded')
  const options: Record<string, unknown> =
    mode === 'stateful'
      ? { sessionIdGenerator: () => randomUUID(), enableJsonResponse: jsonResponse }
      : { sessionIdGenerator: undefined, enableJsonResponse: jsonResponse }
  return (req, res) =>
    server.startHTTP({
      url: new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`),
      httpPath: '/mcp',
      req,
      res,
      options,
    })
}

async function start(): Promise<TargetHello> {
  if (implementation === 'mcpkit') mcpkit = await buildMcpkit()
  const handle = handler()
  const server = createServer((req, res) => {
    httpRequests++
    handle(req, res).catch((error: { status?: number; message?: string }) => {
      if (res.headersSent) {
        res.destroy()
        return
      }
      const status = error.status ?? 500
      sendJsonRpcError(res, status, status === 400 ? -32700 : -32603, String(error.message))
    })
  })
  // Longer than any run: autocannon keeps its 50 connections alive for the whole block.
  server.keepAliveTimeout = 120_000
  httpServer = server
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      if (address && typeof address === 'object') resolve(address.port)
      else reject(new Error('no port'))
    })
  })
  return { port, pid: process.pid }
}

serveParent<ServerChildRequest>(
  async (request) => {
    switch (request.op) {
      case 'stats': {
        const cpu = process.cpuUsage()
        const memory = process.memoryUsage()
        return {
          implementation,
          mode,
          cpuMicros: cpu.user + cpu.system,
          toolCalls,
          httpRequests,
          sessions: implementation === 'raw' && mode === 'stateful' ? rawSessions.size : null,
          rss: memory.rss,
          heapUsed: memory.heapUsed,
        } satisfies TargetStats
      }
      case 'gc':
        gc(2)
        return {}
      default:
        throw new Error(`target: unsupported op ${request.op}`)
    }
  },
  start,
  async () => {
    httpServer?.closeAllConnections()
    httpServer?.close()
    for (const transport of rawSessions.values()) await transport.close().catch(() => {})
    await mcpkit?.close().catch(() => {})
  },
)
