import type { IncomingMessage, ServerResponse } from 'node:http'
import type { StreamableHttpRequestContext, WebSseServerTransport } from '@mcpkit/transports/server'
import { MCPServerError, type ProtocolVersionOption } from '@mcpkit/types'
import {
  type CallToolResult,
  InMemoryServerEventBus,
  type ServerEvent,
  type ServerEventBus,
  type WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server'
import type { StdioServerTransport } from '@modelcontextprotocol/server/stdio'
import { buildCatalog, type ServerCatalog } from './catalog.js'
import { executeTool } from './execute-tool.js'
import { serverDetail, serverInfo, toolInfo } from './registry-metadata.js'
import type {
  HttpTransportOptions,
  MCPServerConfig,
  ServerDetail,
  ServerInfo,
  SseTransportOptions,
  StdioTransportOptions,
  ToolInfo,
} from './server-config.js'
import { SessionServer, type SessionServerOptions } from './session-server.js'
import { TransportMounts } from './transport-mounts.js'

/**
 * Serves tools, agents (`ask_<key>`), workflows (`run_<key>`), resources and prompts to MCP
 * clients of both protocol eras, on one endpoint: 2026-07-28 requests statelessly (each on its
 * own `SessionServer`), 2025 clients in sessions (each with its own `SessionServer` from
 * `createSessionServer()`), so nothing one session or request sends can reach another.
 */
export class MCPServer {
  readonly name: string
  readonly version: string
  readonly #config: MCPServerConfig
  readonly #catalog: ServerCatalog
  readonly #mounts: TransportMounts
  readonly #eventBus: ServerEventBus
  /** Every live 2025 session and stdio connection, whoever serves it: for notifications and `close()`. */
  readonly #sessions = new Set<SessionServer>()

  constructor(config: MCPServerConfig) {
    this.#catalog = buildCatalog(config)
    this.#config = config
    this.name = config.name
    this.version = config.version
    this.#eventBus = validEventBus(config.eventBus) ?? new InMemoryServerEventBus()
    this.#mounts = new TransportMounts({
      createSessionServer: (era) => this.createSessionServer({ era }),
      createRequestServer: () => new SessionServer(this.#catalog, { era: 'modern' }),
      protocolVersion: validProtocolVersion(config.protocolVersion),
      eventBus: this.#eventBus,
      toolInputSchema: (name) => this.#catalog.tools.get(name)?.definition.inputSchema,
      auth: this.#catalog.auth,
      log: this.#catalog.log,
    })
  }

  /**
   * A new SDK `Server` with every handler of this MCP server, not yet connected, for a session
   * this server notifies (`resources.notifyUpdated()`, …) until it closes. Transports call this
   * once per 2025 client session (once per request in stateless mode) and once per stdio
   * connection; 2026-07-28 HTTP requests get a server of their own that lives for the request.
   */
  createSessionServer(options: SessionServerOptions = {}): SessionServer {
    const server = new SessionServer(this.#catalog, options)
    this.#sessions.add(server)
    server.onclose = () => this.#sessions.delete(server)
    return server
  }

  // ── transports ──────────────────────────────────────────────────────────────

  /**
   * Serves one client over this process's stdin and stdout. `options` bound what the client can
   * make the server hold: a longer line than `maxBodyBytes` (default 4 MiB) is answered with a
   * JSON-RPC error and ends the connection; stdin waits while `maxRequestsInFlight` requests run
   * or `maxBufferedBytesPerStream` bytes wait in stdout.
   */
  startStdio(options?: StdioTransportOptions): Promise<void> {
    return this.#mounts.startStdio(options)
  }

  /**
   * Streamable HTTP inside a `node:http` handler: call it for every request. Requests to other
   * paths than `httpPath` get 404. `options` are read on the first call.
   */
  startHTTP(request: {
    url: URL
    httpPath: string
    req: IncomingMessage
    res: ServerResponse
    options?: HttpTransportOptions
  }): Promise<void> {
    return this.#mounts.startHTTP(request)
  }

  /**
   * Legacy SSE (protocol 2024-11-05) inside a `node:http` handler: `GET ssePath` opens a
   * session's stream, `POST messagePath` delivers its messages. Many clients at once.
   */
  startSSE(request: {
    url: URL
    ssePath: string
    messagePath: string
    req: IncomingMessage
    res: ServerResponse
    options?: SseTransportOptions
  }): Promise<void> {
    return this.#mounts.startSSE(request)
  }

  /** Legacy SSE for Hono (or any web-standard router): give it the request, return its `Response`. */
  startHonoSSE(request: {
    url?: URL
    ssePath: string
    messagePath: string
    req: Request | { raw: Request }
    options?: SseTransportOptions
    authInfo?: StreamableHttpRequestContext['authInfo']
  }): Promise<Response> {
    return this.#mounts.startHonoSSE(request)
  }

  /**
   * A web-standard Streamable HTTP handler, `(request, { authInfo? }) => Response`, for Hono,
   * Next.js route handlers, Bun, Deno and workers. Requests to other paths than `httpPath`
   * (when given) get 404.
   */
  createFetchHandler(
    options: HttpTransportOptions & { httpPath?: string } = {},
  ): (request: Request, context?: StreamableHttpRequestContext) => Promise<Response> {
    return this.#mounts.createFetchHandler(options)
  }

  /**
   * Ends every session on every transport. Idempotent and final: afterwards HTTP requests get
   * 503 and no new session opens, so a graceful shutdown (`close()`, then the HTTP server's own
   * close) cannot be undone by a request arriving in between. Create a new `MCPServer` to serve
   * again.
   */
  async close(): Promise<void> {
    await this.#mounts.close()
    await Promise.allSettled([...this.#sessions].map((server) => server.close()))
  }

  /** The stdio transport, once `startStdio()` ran. */
  getStdioTransport(): StdioServerTransport | undefined {
    return this.#mounts.stdioTransport
  }

  /** The legacy SSE transport of the most recent `startSSE` session (debugging). */
  getSseTransport(): WebSseServerTransport | undefined {
    return this.#mounts.sseTransport
  }

  /** The legacy SSE transport of the most recent `startHonoSSE` session (debugging). */
  getSseHonoTransport(): WebSseServerTransport | undefined {
    return this.#mounts.honoSseTransport
  }

  /** The Streamable HTTP transport of the most recent `startHTTP` session (debugging). */
  getStreamableHTTPTransport(): WebStandardStreamableHTTPServerTransport | undefined {
    return this.#mounts.streamableHttpTransport
  }

  // ── notifications ───────────────────────────────────────────────────────────

  /**
   * Resource notifications: to 2025 sessions, and to the 2026-07-28 `subscriptions/listen`
   * streams (through the event bus) that asked for them, tagged with their subscription id.
   */
  readonly resources = {
    /**
     * `notifications/resources/updated` to the 2025 sessions subscribed to `uri`, and to the
     * listen streams whose `resourceSubscriptions` name it; to nobody else.
     */
    notifyUpdated: ({ uri }: { uri: string }): Promise<void> =>
      this.#broadcast({ kind: 'resource_updated', uri }, (server) =>
        server.era === 'modern' || server.subscriptions.has(uri)
          ? server.sendResourceUpdated({ uri })
          : undefined,
      ),
    /** `notifications/resources/list_changed` to every session and `resourcesListChanged` stream. */
    notifyListChanged: (): Promise<void> =>
      this.#broadcast({ kind: 'resources_list_changed' }, (server) =>
        server.sendResourceListChanged(),
      ),
  }

  /** Tool notifications, to 2025 sessions and 2026-07-28 listen streams. */
  readonly tools = {
    /** `notifications/tools/list_changed` to every session and `toolsListChanged` stream. */
    notifyListChanged: (): Promise<void> =>
      this.#broadcast({ kind: 'tools_list_changed' }, (server) => server.sendToolListChanged()),
  }

  /** Prompt notifications, to 2025 sessions and 2026-07-28 listen streams. */
  readonly prompts = {
    /** `notifications/prompts/list_changed` to every session and `promptsListChanged` stream. */
    notifyListChanged: (): Promise<void> =>
      this.#broadcast({ kind: 'prompts_list_changed' }, (server) => server.sendPromptListChanged()),
  }

  /**
   * Sends a change to every tracked session (2025 sessions, and stdio connections of either
   * era: the SDK routes a pinned 2026-07-28 connection's notifications to its listen streams)
   * and publishes it on the event bus for the 2026-07-28 HTTP listen streams.
   */
  async #broadcast(
    event: ServerEvent,
    send: (server: SessionServer) => Promise<void> | undefined,
  ): Promise<void> {
    try {
      this.#eventBus.publish(event)
    } catch (error) {
      this.#catalog.log('warning', `the event bus refused a notification: ${String(error)}`)
    }
    await Promise.all(
      [...this.#sessions].map((server) =>
        Promise.resolve(send(server)).catch((error: unknown) =>
          this.#catalog.log('debug', `a notification could not be sent: ${String(error)}`),
        ),
      ),
    )
  }

  // ── inspection ──────────────────────────────────────────────────────────────

  /** The registry summary of this server. */
  getServerInfo(): ServerInfo {
    return serverInfo(this.#config)
  }

  /** The registry summary plus packages and remotes. */
  getServerDetail(): ServerDetail {
    return serverDetail(this.#config)
  }

  /** Every tool this server serves, as clients see them. */
  getToolListInfo(): { tools: ToolInfo[] } {
    return { tools: [...this.#catalog.tools.values()].map(toolInfo) }
  }

  /** One tool as clients see it, or `undefined`. */
  getToolInfo(toolName: string): ToolInfo | undefined {
    const entry = this.#catalog.tools.get(toolName)
    return entry ? toolInfo(entry) : undefined
  }

  /**
   * Runs a tool in-process, validated as a remote call would be, and returns its
   * `CallToolResult`. No client session is involved: questions to the client (`elicitation`,
   * `sampling`, `roots`, `suspend()`) reject, `log` and `progress` do nothing.
   */
  executeTool(
    toolName: string,
    args: unknown,
    context: { signal?: AbortSignal } = {},
  ): Promise<CallToolResult> {
    return executeTool(this.#catalog, toolName, args, context)
  }
}

function validEventBus(bus: unknown): ServerEventBus | undefined {
  if (bus === undefined) return undefined
  const candidate = bus as Partial<ServerEventBus> | null
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    typeof candidate.publish !== 'function' ||
    typeof candidate.subscribe !== 'function'
  ) {
    throw new MCPServerError(
      'INVALID_CONFIGURATION',
      'new MCPServer(config): `eventBus` must be a ServerEventBus ({ publish(event), subscribe(listener) }), e.g. new InMemoryServerEventBus().',
    )
  }
  return candidate as ServerEventBus
}

function validProtocolVersion(value: unknown): ProtocolVersionOption | undefined {
  if (value === undefined || value === 'auto' || value === '2026-07-28' || value === 'legacy') {
    return value
  }
  throw new MCPServerError(
    'INVALID_CONFIGURATION',
    `new MCPServer(config): \`protocolVersion\` must be 'auto', '2026-07-28' or 'legacy', got ${JSON.stringify(value)}.`,
  )
}
