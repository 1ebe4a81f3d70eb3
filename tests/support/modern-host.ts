import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { Readable } from 'node:stream'
import { createMcpHandler, type McpHttpHandler } from '@modelcontextprotocol/server'
import {
  createModernServer,
  createModernState,
  type ModernServerState,
} from '../fixtures/modern-server.js'

/** One HTTP request the modern host received. */
export interface ModernRequest {
  method: string
  /** The JSON-RPC method of a POST body (`undefined` for GET/DELETE or a batch). */
  rpcMethod: string | undefined
  /** The `params` of that message. */
  params: Record<string, unknown> | undefined
  headers: Record<string, string | string[] | undefined>
  status?: number
  /** Settles once the response is over: finished, or its connection closed under it. */
  closed: Promise<void>
}

/**
 * How the host answers instead of the MCP handler (while set): `status` answers every POST with
 * that status (401 with a Bearer challenge), `hang` never answers, `cutCalls` ends a tool call's
 * response stream unanswered.
 */
export interface ModernFront {
  status?: number | undefined
  hang?: boolean | undefined
  /**
   * `tools/call`s of these tools get an SSE response that ends without the answer, as many
   * times as the number says (each cut counts it down); the tool does not run.
   */
  cutCalls?: Record<string, number> | undefined
  /**
   * How `cutCalls` cuts: `'end'` (the default) ends the SSE response cleanly, `'reset'` destroys
   * its connection, `'reset-json'` destroys it after the headers of a JSON answer.
   */
  cutBy?: 'end' | 'reset' | 'reset-json' | undefined
}

/**
 * The modern fixture server (`fixtures/modern-server.ts`) behind the SDK v2 `createMcpHandler`
 * with `legacy: 'reject'` (2026-07-28 only), on `node:http` at 127.0.0.1 in the test process,
 * recording every request. `front` makes it answer as a broken or protected server would.
 */
export class ModernHost {
  readonly state: ModernServerState
  readonly requests: ModernRequest[] = []
  readonly front: ModernFront = {}
  readonly handler: McpHttpHandler
  #server: Server | undefined
  readonly #sockets = new Set<Socket>()

  constructor(state: ModernServerState = createModernState()) {
    this.state = state
    this.handler = createMcpHandler(() => createModernServer(this.state), { legacy: 'reject' })
    this.state.onToolsChanged = () => void this.handler.notify.toolsChanged()
    this.state.onStatusChanged = () => void this.handler.notify.resourceUpdated('modern://status')
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end()
        else res.destroy()
      })
    })
    // Idle keep-alive sockets close after 1 s, so "no connection left" is quick to check.
    server.keepAliveTimeout = 1000
    server.on('connection', (socket) => {
      this.#sockets.add(socket)
      socket.once('close', () => this.#sockets.delete(socket))
    })
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve))
    this.#server = server
    return this
  }

  get url(): URL {
    const address = this.#server?.address()
    if (!address || typeof address !== 'object') throw new Error('not listening')
    return new URL(`http://127.0.0.1:${address.port}/mcp`)
  }

  /** The JSON-RPC methods of the POSTs received, in order. */
  get rpcMethods(): string[] {
    return this.requests.flatMap((request) => (request.rpcMethod ? [request.rpcMethod] : []))
  }

  /** How many POSTs carried `method`. */
  count(method: string): number {
    return this.rpcMethods.filter((each) => each === method).length
  }

  /** Cuts every open connection (a network drop): open streams end without an answer. */
  dropConnections(): void {
    for (const socket of this.#sockets) socket.destroy()
  }

  /** Open TCP connections to the host. */
  get openConnections(): number {
    return this.#sockets.size
  }

  async stop(): Promise<void> {
    await this.handler.close()
    for (const socket of this.#sockets) socket.destroy()
    await new Promise<void>((resolve) =>
      this.#server ? this.#server.close(() => resolve()) : resolve(),
    )
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    let message: { method?: unknown; params?: unknown } | undefined
    try {
      message = body.length ? JSON.parse(body.toString('utf8')) : undefined
    } catch {
      message = undefined
    }
    const record: ModernRequest = {
      method: req.method ?? 'GET',
      rpcMethod: typeof message?.method === 'string' ? message.method : undefined,
      params: (message?.params as Record<string, unknown> | undefined) ?? undefined,
      headers: { ...req.headers },
      closed: new Promise((resolve) => res.once('close', () => resolve())),
    }
    this.requests.push(record)
    res.once('finish', () => {
      record.status = res.statusCode
    })
    if (this.front.hang) return
    if (this.front.status !== undefined && req.method === 'POST') {
      const status = this.front.status
      res.writeHead(status, {
        'content-type': 'text/plain',
        ...(status === 401 ? { 'www-authenticate': 'Bearer error="invalid_token"' } : {}),
      })
      res.end(`answered ${status}`)
      return
    }
    const cutTool =
      record.rpcMethod === 'tools/call' ? (record.params?.name as string | undefined) : undefined
    const cuts = cutTool === undefined ? 0 : (this.front.cutCalls?.[cutTool] ?? 0)
    if (cuts > 0) {
      this.front.cutCalls![cutTool!] = cuts - 1
      const how = this.front.cutBy ?? 'end'
      const json = how === 'reset-json'
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'text/event-stream' })
      res.write(json ? '{"jsonrpc":"2.0",' : ': working\n\n')
      setTimeout(() => (how === 'end' ? res.end() : res.destroy()), 50)
      return
    }
    const aborted = new AbortController()
    res.once('close', () => aborted.abort())
    const request = new Request(new URL(req.url ?? '/', this.url), {
      method: req.method ?? 'GET',
      headers: Object.entries(req.headers).flatMap(([name, value]) =>
        value === undefined
          ? []
          : (Array.isArray(value) ? value : [value]).map(
              (each) => [name, each] as [string, string],
            ),
      ),
      ...(body.length ? { body } : {}),
      signal: aborted.signal,
    })
    const response = await this.handler.fetch(request)
    res.writeHead(response.status, Object.fromEntries(response.headers))
    if (!response.body) {
      res.end()
      return
    }
    res.flushHeaders()
    Readable.fromWeb(response.body as never)
      .on('error', () => res.destroy())
      .pipe(res)
  }
}

export async function startModernHost(state?: ModernServerState): Promise<ModernHost> {
  return new ModernHost(state).start()
}
