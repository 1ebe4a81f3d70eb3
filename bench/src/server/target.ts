/**
 * A target of the server bench, in its own process, in `stateful` or `stateless` mode, on
 * node:http at 127.0.0.1 with an ephemeral port:
 *   - `raw-v2`: the SDK v2 `McpServer` (`@modelcontextprotocol/server`), wired as the v2 docs
 *     do: stateful, `NodeStreamableHTTPServerTransport` (`@modelcontextprotocol/node`) and a
 *     session map (`docs/serving/sessions-state-scaling.md`); stateless, `createMcpHandler`
 *     mounted with `toNodeHandler` (`docs/serving/http.md`); both behind the docs' localhost
 *     Host/Origin guards.
 *   - `raw-v1`: the SDK v1 `McpServer` + `StreamableHTTPServerTransport`
 *     (`@modelcontextprotocol/sdk`), wired as v1's `simpleStreamableHttp` /
 *     `simpleStatelessStreamableHttp` examples do.
 *   - `mcpkit`: `MCPServer` with `startHTTP`.
 * All serve one tool, `echo`, which returns its `message` as one text part and counts its own
 * calls (so the bench can check that every 2xx it counted ran the tool).
 *
 *   node --import tsx src/server/target.ts <raw-v2|raw-v1|mcpkit> <stateful|stateless>
 *
 * Driven over IPC by `run.ts`: `stats` (CPU, tool calls, memory), `gc`, `exit`.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
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
if (implementation !== 'raw-v2' && implementation !== 'raw-v1' && implementation !== 'mcpkit') {
  throw new Error(`target: unknown implementation ${implementation}`)
}
if (mode !== 'stateful' && mode !== 'stateless' && mode !== 'modern') {
  throw new Error(`target: unknown mode ${mode}`)
}

const jsonResponse = process.env.BENCH_JSON_RESPONSE === '1'
/** The same cap as mcpkit's default `maxBodyBytes`. */
const MAX_BODY_BYTES = 4 * 1024 * 1024

let toolCalls = 0
let httpRequests = 0

// ---- shared by the raw targets ------------------------------------------------------------------

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

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>

/** Sessions of the stateful raw targets (v1 or v2), for `stats` and shutdown. */
const rawSessions = new Map<string, { close(): Promise<void> }>()

// ---- raw SDK v1 ---------------------------------------------------------------------------------

/** Loaded only by the raw-v1 target, so no other target pays for the v1 modules. */
async function rawV1Handler(): Promise<Handler> {
  const { McpServer } = await import('@modelcontextprotocol/sdk/server/mcp.js')
  const { StreamableHTTPServerTransport } = await import(
    '@modelcontextprotocol/sdk/server/streamableHttp.js'
  )
  const { isInitializeRequest } = await import('@modelcontextprotocol/sdk/types.js')

  const buildServer = () => {
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

  const sessions = new Map<string, InstanceType<typeof StreamableHTTPServerTransport>>()

  /** Stateful, as v1's `simpleStreamableHttp` example: a session map, one McpServer each. */
  const stateful: Handler = async (req, res) => {
    const header = req.headers['mcp-session-id']
    const sessionId = Array.isArray(header) ? header[0] : header
    if (req.method === 'POST') {
      const body = await readJson(req)
      if (sessionId) {
        const transport = sessions.get(sessionId)
        if (!transport) return sendJsonRpcError(res, 404, -32001, 'Session not found')
        return transport.handleRequest(req, res, body)
      }
      if (!isInitializeRequest(body)) {
        return sendJsonRpcError(res, 400, -32000, 'Bad Request: No valid session ID provided')
      }
      const transport: InstanceType<typeof StreamableHTTPServerTransport> =
        new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          enableJsonResponse: jsonResponse,
          onsessioninitialized: (id) => {
            sessions.set(id, transport)
            rawSessions.set(id, transport)
          },
        })
      transport.onclose = () => {
        if (transport.sessionId) {
          sessions.delete(transport.sessionId)
          rawSessions.delete(transport.sessionId)
        }
      }
      await buildServer().connect(transport)
      return transport.handleRequest(req, res, body)
    }
    if (req.method === 'GET' || req.method === 'DELETE') {
      const transport = sessionId ? sessions.get(sessionId) : undefined
      if (!transport) return sendJsonRpcError(res, 400, -32000, 'Invalid or missing session ID')
      return transport.handleRequest(req, res)
    }
    res.writeHead(405, { allow: 'GET, POST, DELETE' }).end()
  }

  /**
   * Stateless, as v1's `simpleStatelessStreamableHttp` example: a new McpServer and a new
   * transport (`sessionIdGenerator: undefined`) for every POST, closed when the response closes.
   */
  const stateless: Handler = async (req, res) => {
    if (req.method !== 'POST') {
      return sendJsonRpcError(res, 405, -32000, 'Method not allowed.')
    }
    const body = await readJson(req)
    const server = buildServer()
    // No sessionIdGenerator (the example's `sessionIdGenerator: undefined`): stateless.
    const transport = new StreamableHTTPServerTransport({ enableJsonResponse: jsonResponse })
    res.on('close', () => {
      void transport.close()
      void server.close()
    })
    await server.connect(transport)
    await transport.handleRequest(req, res, body)
  }
  return mode === 'stateful' ? stateful : stateless
}

// ---- raw SDK v2 ---------------------------------------------------------------------------------

/** Loaded only by the raw-v2 target. */
async function rawV2Handler(): Promise<Handler> {
  const { McpServer, createMcpHandler, isInitializeRequest } = await import(
    '@modelcontextprotocol/server'
  )
  const {
    NodeStreamableHTTPServerTransport,
    localhostHostValidation,
    localhostOriginValidation,
    toNodeHandler,
  } = await import('@modelcontextprotocol/node')

  const buildServer = () => {
    const server = new McpServer({ name: 'bench-target', version: '1.0.0' })
    server.registerTool(
      'echo',
      {
        description: 'Echoes the message back',
        inputSchema: z.object({ message: z.string().describe('text to echo') }),
      },
      async ({ message }) => {
        toolCalls++
        return { content: [{ type: 'text', text: message }] }
      },
    )
    return server
  }
  // The docs' plain node:http mount: both localhost guards in front of the handler.
  const validateHost = localhostHostValidation()
  const validateOrigin = localhostOriginValidation()
  const guarded =
    (handler: Handler): Handler =>
    async (req, res) => {
      if (!validateHost(req, res) || !validateOrigin(req, res)) return
      await handler(req, res)
    }

  if (mode === 'stateful') {
    const sessions = new Map<string, InstanceType<typeof NodeStreamableHTTPServerTransport>>()
    /** The docs' `sessions_routing`: POST, GET and DELETE through one route. */
    return guarded(async (req, res) => {
      const header = req.headers['mcp-session-id']
      const sessionId = Array.isArray(header) ? header[0] : header
      // express.json() in the docs: the body parsed once, before the route.
      const body = req.method === 'POST' ? await readJson(req) : undefined
      const existing = sessionId ? sessions.get(sessionId) : undefined
      if (existing) {
        await existing.handleRequest(req, res, body)
        return
      }
      if (!sessionId && isInitializeRequest(body)) {
        const transport = new NodeStreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          enableJsonResponse: jsonResponse,
          onsessioninitialized: (id) => {
            sessions.set(id, transport)
            rawSessions.set(id, transport)
          },
        })
        transport.onclose = () => {
          if (transport.sessionId) {
            sessions.delete(transport.sessionId)
            rawSessions.delete(transport.sessionId)
          }
        }
        await buildServer().connect(transport)
        await transport.handleRequest(req, res, body)
        return
      }
      if (sessionId) return sendJsonRpcError(res, 404, -32001, 'Session not found')
      sendJsonRpcError(res, 400, -32000, 'Bad Request: Session ID required')
    })
  }

  if (jsonResponse && mode !== 'modern') {
    return guarded(async (req, res) => {
      if (req.method !== 'POST') return sendJsonRpcError(res, 405, -32000, 'Method not allowed.')
      const body = await readJson(req)
      const server = buildServer()
      const transport = new NodeStreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      })
      res.on('close', () => {
        void transport.close()
        void server.close()
      })
      await server.connect(transport)
      await transport.handleRequest(req, res, body)
    })
  }
  // The v2 stateless deployment: one handler, a fresh McpServer per request from the factory;
  // 2025-era requests (these) are served stateless by default (`legacy: 'stateless'`). In
  // `modern` mode the load is 2026-07-28 requests, served by the same entry in strict mode.
  const handler = createMcpHandler(
    buildServer,
    mode === 'modern' ? { legacy: 'reject' } : undefined,
  )
  closeHandler = () => handler.close()
  const nodeHandler = toNodeHandler(handler)
  // `req.method` is `string | undefined` on IncomingMessage; the SDK's structural type says
  // `method?: string`, which `exactOptionalPropertyTypes` reads as not undefined.
  return guarded((req, res) => nodeHandler(req as Parameters<typeof nodeHandler>[0], res))
}

let closeHandler: (() => Promise<void>) | undefined

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

async function handler(): Promise<Handler> {
  if (implementation === 'raw-v1') return rawV1Handler()
  if (implementation === 'raw-v2') return rawV2Handler()
  const server = mcpkit
  if (!server) throw new Error('mcpkit not loaded')
  // `modern`: the default dual-era endpoint (2025 sessions beside 2026-07-28 requests), as shipped.
  const options: Record<string, unknown> =
    mode === 'modern'
      ? {}
      : mode === 'stateful'
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
  const handle = await handler()
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
          sessions: implementation !== 'mcpkit' && mode === 'stateful' ? rawSessions.size : null,
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
    await closeHandler?.().catch(() => {})
    await mcpkit?.close().catch(() => {})
  },
)
