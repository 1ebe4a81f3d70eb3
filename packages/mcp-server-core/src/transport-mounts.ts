import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  NodeSseHandler,
  NodeStreamableHttpHandler,
  type ServeStdioResult,
  serveStdio,
  writeWebResponse,
} from '@mcpkit/transports/node'
import {
  type CreateServer,
  StreamableHttpHandler,
  type StreamableHttpRequestContext,
  WebSseHandler,
  type WebSseServerTransport,
} from '@mcpkit/transports/server'
import {
  type Log,
  MCPServerError,
  type ProtocolVersionOption,
  type ResourceAuth,
} from '@mcpkit/types'
import type {
  ServerEventBus,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server'
import type { StdioServerTransport } from '@modelcontextprotocol/server/stdio'
import { authenticatorOf, isMetadataRequest, metadataResponse } from './http-auth.js'
import type {
  HttpTransportOptions,
  SseTransportOptions,
  StdioTransportOptions,
} from './server-config.js'
import type { SessionServer } from './session-server.js'

/**
 * Where an `MCPServer` is served: stdio, Streamable HTTP (`node:http` and web-standard, both
 * eras on one path) and legacy SSE (`node:http` and Hono, 2025 only), each handler made on
 * first use with the server's factories, eras, event bus and OAuth protection.
 */
export class TransportMounts {
  /** A 2025 session's server, or a stdio connection's (either era): notified by `MCPServer`. */
  readonly #createSessionServer: (era: 'legacy' | 'modern') => SessionServer
  /** A 2026-07-28 HTTP request's server: lives for that request alone. */
  readonly #createRequestServer: () => SessionServer
  readonly #protocolVersion: ProtocolVersionOption | undefined
  readonly #eventBus: ServerEventBus
  readonly #toolInputSchema: (toolName: string) => object | undefined
  readonly #auth: ResourceAuth | undefined
  readonly #log: Log
  #stdio: ServeStdioResult | undefined
  #http: NodeStreamableHttpHandler | undefined
  #sse: NodeSseHandler | undefined
  #honoSse: WebSseHandler | undefined
  readonly #fetchHandlers = new Set<StreamableHttpHandler>()
  #closed = false

  constructor(options: {
    createSessionServer: (era: 'legacy' | 'modern') => SessionServer
    createRequestServer: () => SessionServer
    protocolVersion: ProtocolVersionOption | undefined
    eventBus: ServerEventBus
    toolInputSchema: (toolName: string) => object | undefined
    auth: ResourceAuth | undefined
    log: Log
  }) {
    this.#toolInputSchema = options.toolInputSchema
    this.#createSessionServer = options.createSessionServer
    this.#createRequestServer = options.createRequestServer
    this.#protocolVersion = options.protocolVersion
    this.#eventBus = options.eventBus
    this.#auth = options.auth
    this.#log = options.log
  }

  async startStdio(options: StdioTransportOptions = {}): Promise<void> {
    if (this.#stdio) {
      throw new MCPServerError('INVALID_CONFIGURATION', 'startStdio() was already called.')
    }
    this.#stdio = await serveStdio(({ era }) => this.#createSessionServer(era), {
      maxBodyBytes: options.maxBodyBytes,
      maxRequestsInFlight: options.maxRequestsInFlight,
      maxBufferedBytesPerStream: options.maxBufferedBytesPerStream,
      maxSubscriptions: options.maxSubscriptions,
      protocolVersion: this.#protocolVersion,
      log: this.#log,
    })
  }

  async startHTTP(request: {
    url: URL
    httpPath: string
    req: IncomingMessage
    res: ServerResponse
    options?: HttpTransportOptions | undefined
  }): Promise<void> {
    const { url, httpPath, req, res, options } = request
    if (this.#auth && url.pathname === this.#auth.metadataPath) {
      await writeWebResponse(await metadataResponse(this.#auth, url, req), res, false)
      return
    }
    if (url.pathname !== httpPath) {
      await writeWebResponse(new Response('Not Found', { status: 404 }), res, false)
      return
    }
    if (this.#closed && !this.#http) {
      await writeWebResponse(closedResponse(), res, false)
      return
    }
    this.#http ??= new NodeStreamableHttpHandler({ ...options, ...this.#handlerOptions() })
    await this.#http.handle(req, res)
  }

  async startSSE(request: {
    url: URL
    ssePath: string
    messagePath: string
    req: IncomingMessage
    res: ServerResponse
    options?: SseTransportOptions | undefined
  }): Promise<void> {
    const { url, ssePath, messagePath, req, res, options } = request
    if (this.#auth && url.pathname === this.#auth.metadataPath) {
      await writeWebResponse(await metadataResponse(this.#auth, url, req), res, false)
      return
    }
    if (this.#closed && !this.#sse) {
      await writeWebResponse(closedResponse(), res, false)
      return
    }
    this.#sse ??= new NodeSseHandler({ ...options, ...this.#sseHandlerOptions() })
    await this.#sse.handle(req, res, { ssePath, messagePath })
  }

  startHonoSSE(request: {
    ssePath: string
    messagePath: string
    req: Request | { raw: Request }
    options?: SseTransportOptions | undefined
    authInfo?: StreamableHttpRequestContext['authInfo']
  }): Promise<Response> {
    const { ssePath, messagePath, req, options, authInfo } = request
    const raw = req instanceof Request ? req : req.raw
    if (this.#auth && isMetadataRequest(this.#auth, raw)) {
      return Promise.resolve(this.#auth.metadataResponse(raw))
    }
    if (this.#closed && !this.#honoSse) return Promise.resolve(closedResponse())
    this.#honoSse ??= new WebSseHandler({ ...options, ...this.#sseHandlerOptions() })
    return this.#honoSse.handleRequest(raw, {
      ssePath,
      messagePath,
      ...(authInfo ? { authInfo } : {}),
    })
  }

  createFetchHandler(
    options: HttpTransportOptions & { httpPath?: string },
  ): (request: Request, context?: StreamableHttpRequestContext) => Promise<Response> {
    const { httpPath, ...transportOptions } = options
    const handler = new StreamableHttpHandler({ ...transportOptions, ...this.#handlerOptions() })
    if (this.#closed) void handler.close()
    else this.#fetchHandlers.add(handler)
    const auth = this.#auth
    return async (request, context) => {
      if (auth && isMetadataRequest(auth, request)) return auth.metadataResponse(request)
      if (httpPath !== undefined && new URL(request.url).pathname !== httpPath) {
        return new Response('Not Found', { status: 404 })
      }
      return handler.handleRequest(request, context)
    }
  }

  /**
   * What every Streamable HTTP handler is made with: the factories (a tracked session server
   * for 2025, a per-request one for 2026-07-28), the eras, the event bus, the log, and with
   * `auth` its check.
   */
  #handlerOptions() {
    const createServer: CreateServer = ({ era }) =>
      era === 'modern' ? this.#createRequestServer() : this.#createSessionServer('legacy')
    return {
      createServer,
      protocolVersion: this.#protocolVersion,
      eventBus: this.#eventBus,
      toolInputSchema: this.#toolInputSchema,
      log: this.#log,
      ...(this.#auth ? authenticatorOf(this.#auth) : {}),
    }
  }

  /** Legacy SSE is 2025 only: its sessions are always 2025 ones. */
  #sseHandlerOptions() {
    return {
      createServer: () => this.#createSessionServer('legacy'),
      log: this.#log,
      ...(this.#auth ? authenticatorOf(this.#auth) : {}),
    }
  }

  get stdioTransport(): StdioServerTransport | undefined {
    return this.#stdio?.transport
  }

  get sseTransport(): WebSseServerTransport | undefined {
    return this.#sse?.lastTransport
  }

  get honoSseTransport(): WebSseServerTransport | undefined {
    return this.#honoSse?.lastTransport
  }

  get streamableHttpTransport(): WebStandardStreamableHTTPServerTransport | undefined {
    return this.#http?.lastTransport
  }

  /** Ends every session on every transport; from now on HTTP requests get 503. */
  async close(): Promise<void> {
    this.#closed = true
    const closing: Promise<void>[] = []
    if (this.#stdio) closing.push(this.#stdio.close())
    if (this.#http) closing.push(this.#http.close())
    if (this.#sse) closing.push(this.#sse.close())
    if (this.#honoSse) closing.push(this.#honoSse.close())
    for (const handler of this.#fetchHandlers) closing.push(handler.close())
    this.#fetchHandlers.clear()
    await Promise.allSettled(closing)
  }
}

function closedResponse(): Response {
  return new Response('The MCP server was closed.', {
    status: 503,
    headers: { 'content-type': 'text/plain' },
  })
}
