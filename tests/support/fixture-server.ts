import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { McpServer, type RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js'
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import {
  isInitializeRequest,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'

/**
 * How the fixture answers:
 * - `streamable`: a Streamable HTTP MCP server at `/mcp` (one SDK server per session).
 * - `sse-only`: POST `/mcp` is answered 405; GET `/mcp` opens a legacy SSE session whose
 *   messages go to POST `/messages` (what an old server looks like to a new client).
 * - `hang`: accepts connections and requests and never answers.
 * - `unauthorized`: answers every request 401 with a Bearer challenge, like a protected
 *   server given a bad token.
 */
export type FixtureMode = 'streamable' | 'sse-only' | 'hang' | 'unauthorized'

export interface FixtureOptions {
  mode?: FixtureMode
  /**
   * Whether the server announces `tools.listChanged` (default true). Without it a client
   * must re-list after its TTL, since it will not be told about changes.
   */
  toolsListChanged?: boolean
}

/** One HTTP request the fixture received, as it arrived. */
export interface RecordedRequest {
  method: string
  path: string
  headers: Record<string, string | string[] | undefined>
  sessionId: string | undefined
  /** JSON-RPC methods in the body (POST only). */
  rpcMethods: string[]
  /** For `tools/call` messages: the tool names called. */
  toolNames: string[]
  /** The JSON-RPC messages of the body, parsed (POST only). */
  messages: unknown[]
  /** The status the fixture answered (set when the response finished). */
  status?: number
}

interface Session {
  id: string
  server: McpServer
  transport: StreamableHTTPServerTransport | SSEServerTransport
}

/**
 * A tiny MCP server built from the SDK's `McpServer`, run in the test process on 127.0.0.1,
 * that records what reaches it: every HTTP request (method, path, headers, JSON-RPC methods),
 * tool calls by name, open TCP connections, sessions, and DELETEs. It offers what
 * server-everything does not: a non-idempotent counter, a call that blocks until released,
 * dropping sessions (the old session id then gets 404, as after a restart or expiry), a full
 * restart on the same port, adding a tool at run time (`notifications/tools/list_changed`).
 *
 * Tools: `echo { text }` (idempotent), `increment { by? }` (not idempotent; structured
 * `{ count }`), `block {}` (not idempotent; returns when `releaseBlocked()` is called).
 * Resource `fixture://status`; prompt `greet { name }`.
 */
export class FixtureServer {
  readonly mode: FixtureMode
  readonly requests: RecordedRequest[] = []
  /** Tool calls that reached a tool handler, by tool name. Survives `restart()`. */
  readonly toolCalls = new Map<string, number>()
  /** Session ids the fixture ended because the client sent DELETE. */
  readonly deletedSessions: string[] = []

  #server: Server | undefined
  #port = 0
  readonly #sockets = new Set<Socket>()
  readonly #sessions = new Map<string, Session>()
  readonly #extraTools: string[] = []
  readonly #subscriptions = new WeakMap<McpServer, Set<string>>()
  readonly #extraResources: string[] = []
  readonly #extraPrompts: string[] = []
  #blockedWaiters: Array<() => void> = []
  #incrementCount = 0
  #getStreams = 0

  readonly #toolsListChanged: boolean

  constructor(options: FixtureOptions = {}) {
    this.mode = options.mode ?? 'streamable'
    this.#toolsListChanged = options.toolsListChanged ?? true
  }

  /** Starts listening on 127.0.0.1 (on `port`, default: the previous port, else a free one). */
  async start(port = this.#port): Promise<this> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' })
          res.end(
            JSON.stringify({
              jsonrpc: '2.0',
              error: { code: -32603, message: String(error) },
              id: null,
            }),
          )
        } else {
          res.destroy()
        }
      })
    })
    // Idle keep-alive sockets are closed after 2 s (clients drop theirs a second earlier, as
    // undici does below the server's `Keep-Alive: timeout` hint, so they never reuse a socket
    // the server is closing), so "no open connection" can be checked soon after a client
    // disconnects; a live SSE stream is not idle and stays.
    server.keepAliveTimeout = 2000
    server.on('connection', (socket) => {
      this.#sockets.add(socket)
      socket.once('close', () => this.#sockets.delete(socket))
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ port, host: '127.0.0.1' }, () => {
        server.off('error', reject)
        resolve()
      })
    })
    this.#server = server
    const address = server.address()
    if (address === null || typeof address !== 'object') throw new Error('fixture has no port')
    this.#port = address.port
    return this
  }

  get port(): number {
    return this.#port
  }

  /** The MCP endpoint. */
  get url(): URL {
    return new URL(`http://127.0.0.1:${this.#port}/mcp`)
  }

  /** TCP connections currently open to the fixture. */
  get openConnections(): number {
    return this.#sockets.size
  }

  /** `GET` requests to `/mcp` whose response has not closed: the clients' standing streams. */
  get openGetStreams(): number {
    return this.#getStreams
  }

  /** Live MCP sessions. */
  get sessionCount(): number {
    return this.#sessions.size
  }

  /** How many calls of `toolName` reached its handler. */
  callsTo(toolName: string): number {
    return this.toolCalls.get(toolName) ?? 0
  }

  /** How many POSTs carried a JSON-RPC message with this method. */
  rpcCount(method: string): number {
    return this.requests.filter((request) => request.rpcMethods.includes(method)).length
  }

  /** Forgets every recorded request (counters of tool calls stay). */
  clearRequests(): void {
    this.requests.length = 0
  }

  /** Lets every `block` call return. */
  releaseBlocked(): void {
    const waiters = this.#blockedWaiters
    this.#blockedWaiters = []
    for (const release of waiters) release()
  }

  /**
   * Forgets every session, as a restarted or expiring server would: requests with an old
   * session id are answered 404. With `close`, the sessions' open streams are ended too.
   */
  async dropSessions({ close = true }: { close?: boolean } = {}): Promise<void> {
    const sessions = [...this.#sessions.values()]
    this.#sessions.clear()
    if (close) await Promise.all(sessions.map((session) => closeQuietly(session)))
  }

  /**
   * Registers one more tool on every live session (and on sessions created later); the SDK
   * server then sends `notifications/tools/list_changed`.
   */
  addTool(name: string): void {
    this.#extraTools.push(name)
    for (const session of this.#sessions.values()) registerExtraTool(session.server, name)
  }

  /** Removes a tool added with `addTool` from every session (`tools/list_changed` follows). */
  removeTool(name: string): void {
    const index = this.#extraTools.indexOf(name)
    if (index !== -1) this.#extraTools.splice(index, 1)
    for (const session of this.#sessions.values()) {
      const tools = registeredExtras.get(session.server)
      tools?.get(name)?.remove()
      tools?.delete(name)
    }
  }

  /** How many live sessions are subscribed to `uri`. */
  subscribersOf(uri: string): number {
    let count = 0
    for (const session of this.#sessions.values()) {
      if (this.#subscriptions.get(session.server)?.has(uri)) count++
    }
    return count
  }

  /** Sends `notifications/resources/updated` for `uri` to every session subscribed to it. */
  async notifyResourceUpdated(uri: string): Promise<void> {
    for (const session of this.#sessions.values()) {
      if (this.#subscriptions.get(session.server)?.has(uri)) {
        await session.server.server.sendResourceUpdated({ uri })
      }
    }
  }

  /** Registers one more resource (`fixture://extra/<name>`) on every live and later session. */
  addResource(name: string): void {
    this.#extraResources.push(name)
    for (const session of this.#sessions.values()) registerExtraResource(session.server, name)
  }

  /** Registers one more prompt on every live and later session. */
  addPrompt(name: string): void {
    this.#extraPrompts.push(name)
    for (const session of this.#sessions.values()) registerExtraPrompt(session.server, name)
  }

  /**
   * Stops like a crashed process: every socket is destroyed at once, sessions are gone, the
   * port is closed. Counters stay; `start()` listens again on the same port.
   */
  async kill(): Promise<void> {
    const server = this.#server
    this.#server = undefined
    for (const socket of this.#sockets) socket.destroy()
    const sessions = [...this.#sessions.values()]
    this.#sessions.clear()
    this.releaseBlocked()
    if (server) {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
    await Promise.all(sessions.map((session) => closeQuietly(session)))
  }

  /** `kill()` then `start()` on the same port: a server restart that loses every session. */
  async restart(): Promise<void> {
    await this.kill()
    await this.start(this.#port)
  }

  /** Stops for good (same as `kill`). */
  stop(): Promise<void> {
    return this.kill()
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const method = req.method ?? 'GET'
    const rawBody = method === 'POST' ? await readBody(req) : ''
    let body: unknown
    if (rawBody !== '') {
      try {
        body = JSON.parse(rawBody)
      } catch {
        body = undefined
      }
    }
    const messages = (Array.isArray(body) ? body : body === undefined ? [] : [body]) as Array<{
      method?: string
      params?: { name?: string }
    }>
    const sessionHeader = req.headers['mcp-session-id']
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      headers: { ...req.headers },
      sessionId: typeof sessionHeader === 'string' ? sessionHeader : undefined,
      rpcMethods: messages.flatMap((message) => (message.method ? [message.method] : [])),
      toolNames: messages.flatMap((message) =>
        message.method === 'tools/call' && message.params?.name ? [message.params.name] : [],
      ),
      messages,
    }
    this.requests.push(record)
    res.once('finish', () => {
      record.status = res.statusCode
    })
    if (method === 'GET' && url.pathname === '/mcp') {
      this.#getStreams += 1
      res.once('close', () => {
        this.#getStreams -= 1
      })
    }

    if (this.mode === 'hang') return // never answer
    if (this.mode === 'unauthorized') {
      res.writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate': 'Bearer error="invalid_token", error_description="The token expired"',
      })
      res.end(JSON.stringify({ error: 'invalid_token', error_description: 'The token expired' }))
      return
    }
    if (this.mode === 'sse-only') return this.#handleSseOnly(req, res, url, body)

    if (url.pathname !== '/mcp') return sendJsonError(res, 404, -32601, 'Not found')
    const sessionId = record.sessionId
    if (sessionId !== undefined) {
      const session = this.#sessions.get(sessionId)
      if (!session) return sendJsonError(res, 404, -32001, 'Session not found')
      await (session.transport as StreamableHTTPServerTransport).handleRequest(req, res, body)
      return
    }
    if (method === 'POST' && isInitializeRequest(body)) {
      const server = this.#createMcpServer()
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          this.#sessions.set(id, { id, server, transport })
        },
        onsessionclosed: (id) => {
          this.deletedSessions.push(id)
          this.#sessions.delete(id)
        },
      })
      await server.connect(transport)
      await transport.handleRequest(req, res, body)
      return
    }
    return sendJsonError(res, 400, -32000, 'Bad Request: no valid session id')
  }

  async #handleSseOnly(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    body: unknown,
  ): Promise<void> {
    if (url.pathname === '/mcp' && req.method === 'GET') {
      const server = this.#createMcpServer()
      const transport = new SSEServerTransport('/messages', res)
      const id = transport.sessionId
      this.#sessions.set(id, { id, server, transport })
      res.once('close', () => {
        this.#sessions.delete(id)
        void server.close().catch(() => {})
      })
      await server.connect(transport)
      return
    }
    if (url.pathname === '/messages' && req.method === 'POST') {
      const id = url.searchParams.get('sessionId') ?? ''
      const session = this.#sessions.get(id)
      if (!session) return sendJsonError(res, 404, -32001, 'Session not found')
      await (session.transport as SSEServerTransport).handlePostMessage(req, res, body)
      return
    }
    res.writeHead(405, { allow: 'GET', 'content-type': 'text/plain' })
    res.end('Method Not Allowed')
  }

  #createMcpServer(): McpServer {
    const server = new McpServer(
      { name: 'mcpkit-fixture', version: '1.0.0' },
      { capabilities: { resources: { subscribe: true } } },
    )
    const subscribed = new Set<string>()
    this.#subscriptions.set(server, subscribed)
    server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
      subscribed.add(request.params.uri)
      return {}
    })
    server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
      subscribed.delete(request.params.uri)
      return {}
    })
    server.registerTool(
      'echo',
      {
        description: 'Returns its text',
        inputSchema: { text: z.string() },
        annotations: { readOnlyHint: true, idempotentHint: true },
      },
      async ({ text }) => {
        this.#count('echo')
        return { content: [{ type: 'text', text }] }
      },
    )
    server.registerTool(
      'increment',
      {
        description: 'Adds `by` (default 1) to a counter and returns it. Not idempotent.',
        inputSchema: { by: z.number().int().optional() },
        outputSchema: { count: z.number() },
        annotations: { readOnlyHint: false, idempotentHint: false, destructiveHint: false },
      },
      async ({ by }) => {
        this.#count('increment')
        this.#incrementCount += by ?? 1
        const structuredContent = { count: this.#incrementCount }
        return {
          content: [{ type: 'text', text: String(this.#incrementCount) }],
          structuredContent,
        }
      },
    )
    server.registerTool(
      'block',
      {
        description: 'Returns when the test releases it. Not idempotent.',
        inputSchema: {},
        annotations: { readOnlyHint: false, idempotentHint: false },
      },
      async () => {
        this.#count('block')
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 30_000)
          timer.unref()
          this.#blockedWaiters.push(() => {
            clearTimeout(timer)
            resolve()
          })
        })
        return { content: [{ type: 'text', text: 'released' }] }
      },
    )
    server.registerResource(
      'status',
      'fixture://status',
      { mimeType: 'text/plain', description: 'Fixture status' },
      async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'ok' }] }),
    )
    server.registerPrompt(
      'greet',
      { description: 'Greets someone', argsSchema: { name: z.string() } },
      ({ name }) => ({
        messages: [{ role: 'user', content: { type: 'text', text: `Hello, ${name}!` } }],
      }),
    )
    for (const name of this.#extraTools) registerExtraTool(server, name)
    for (const name of this.#extraResources) registerExtraResource(server, name)
    for (const name of this.#extraPrompts) registerExtraPrompt(server, name)
    if (!this.#toolsListChanged)
      server.server.registerCapabilities({ tools: { listChanged: false } })
    return server
  }

  #count(tool: string): void {
    this.toolCalls.set(tool, (this.toolCalls.get(tool) ?? 0) + 1)
  }
}

const registeredExtras = new WeakMap<McpServer, Map<string, RegisteredTool>>()

function registerExtraTool(server: McpServer, name: string): void {
  let tools = registeredExtras.get(server)
  if (!tools) {
    tools = new Map()
    registeredExtras.set(server, tools)
  }
  if (tools.has(name)) return
  tools.set(
    name,
    server.registerTool(
      name,
      { description: `Added at run time: ${name}`, inputSchema: {} },
      async () => ({
        content: [{ type: 'text', text: name }],
      }),
    ),
  )
}

function registerExtraResource(server: McpServer, name: string): void {
  const uri = `fixture://extra/${name}`
  server.registerResource(name, uri, { mimeType: 'text/plain' }, async () => ({
    contents: [{ uri, mimeType: 'text/plain', text: name }],
  }))
}

function registerExtraPrompt(server: McpServer, name: string): void {
  server.registerPrompt(name, { description: `Added at run time: ${name}` }, () => ({
    messages: [{ role: 'user', content: { type: 'text', text: name } }],
  }))
}

/** Starts a fixture server; stop it with `stop()` in afterAll. */
export function startFixture(options: FixtureOptions = {}): Promise<FixtureServer> {
  return new FixtureServer(options).start()
}

async function closeQuietly(session: Session): Promise<void> {
  try {
    await session.server.close()
  } catch {
    // Already closed.
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.once('error', reject)
  })
}

function sendJsonError(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }))
}
