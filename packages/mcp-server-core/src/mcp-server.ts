import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  NodeSseHandler,
  NodeStreamableHttpHandler,
  type ServeStdioResult,
  serveStdio,
} from '@mcpkit/transports/node'
import {
  type HttpServerSecurityOptions,
  type SessionOptions,
  StreamableHttpHandler,
  type StreamableHttpHandlerOptions,
  type StreamableHttpRequestContext,
  WebSseHandler,
  type WebSseServerTransport,
} from '@mcpkit/transports/server'
import {
  type LogHandler,
  type MCPAgent,
  MCPServerError,
  type MCPWorkflow,
  type ResourceAuth,
  ToolInputValidationError,
} from '@mcpkit/types'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
// Named with their .js paths so the declaration files do not print extension-less SDK paths,
// which CommonJS consumers resolve to the SDK's ESM typings (TS1479).
import type { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js'
import type { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import {
  CallToolRequestSchema,
  type CallToolResult,
  CompleteRequestSchema,
  type CompleteResult,
  ErrorCode,
  GetPromptRequestSchema,
  type GetPromptResult,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  type LoggingLevel,
  McpError,
  type Prompt,
  type PromptMessage,
  type Tool as ProtocolTool,
  ReadResourceRequestSchema,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplate,
  type ServerCapabilities,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv'
import {
  authenticatorOf,
  isMetadataRequest,
  toolCallRefusal,
  validResourceAuth,
  writeMetadata,
} from './http-auth.js'
import type { MCPServerTool, MCPToolContext, RequestExtra } from './server-tool.js'
import { agentEntry, type ToolEntry, toolEntry, workflowEntry } from './tool-registry.js'

/**
 * `prompts/get` whose params keep unknown fields: the SDK's schema strips them, and with them
 * `version` (the `@mastra/mcp` extension `prompts.get({ version })` sends).
 */
const GetVersionedPromptRequestSchema = GetPromptRequestSchema.extend({
  params: GetPromptRequestSchema.shape.params.loose(),
})

/** JSON-RPC error for an unknown resource (MCP spec). */
const RESOURCE_NOT_FOUND = -32002
const LOG_SEVERITY: Record<LoggingLevel, number> = {
  debug: 0,
  info: 1,
  notice: 2,
  warning: 3,
  error: 4,
  critical: 5,
  alert: 6,
  emergency: 7,
}

/** Text or base64 content of a resource, as `getResourceContent` returns it. */
export type MCPServerResourceContent = ({ text: string } | { blob: string }) & {
  uri?: string
  mimeType?: string
}

/** A completion answer: values, or values with `total` / `hasMore`. */
export type CompletionAnswer = string[] | { values: string[]; total?: number; hasMore?: boolean }

/** The `resources` option: callbacks the server answers resource requests with. */
export interface MCPServerResources {
  listResources(context: { extra: RequestExtra }): Promise<Resource[]> | Resource[]
  getResourceContent(request: {
    uri: string
    extra: RequestExtra
  }):
    | Promise<MCPServerResourceContent | MCPServerResourceContent[]>
    | MCPServerResourceContent
    | MCPServerResourceContent[]
  resourceTemplates?(context: {
    extra: RequestExtra
  }): Promise<ResourceTemplate[]> | ResourceTemplate[]
  /** Suggestions for a template variable (`completion/complete` with `ref/resource`). */
  completeArgument?(request: {
    uriTemplate: string
    argument: { name: string; value: string }
    arguments: Record<string, string>
  }): Promise<CompletionAnswer> | CompletionAnswer
}

/** A prompt as listed; `version` is a Mastra extension clients may pass to `prompts/get`. */
export type MCPServerPrompt = Prompt & { version?: string }

/** The `prompts` option. */
export interface MCPServerPrompts {
  listPrompts(context: { extra: RequestExtra }): Promise<MCPServerPrompt[]> | MCPServerPrompt[]
  getPromptMessages?(request: {
    name: string
    version?: string
    args: Record<string, string>
    extra: RequestExtra
  }):
    | Promise<{ prompt?: MCPServerPrompt; messages: PromptMessage[] }>
    | { prompt?: MCPServerPrompt; messages: PromptMessage[] }
  /** Suggestions for a prompt argument (`completion/complete` with `ref/prompt`). */
  completeArgument?(request: {
    name: string
    argument: { name: string; value: string }
    arguments: Record<string, string>
  }): Promise<CompletionAnswer> | CompletionAnswer
}

/** Registry metadata of a package that runs this server (MCP registry `server.json` shape). */
export interface MCPServerPackage {
  registry_name?: string
  name: string
  version?: string
  [field: string]: unknown
}

/** `new MCPServer(config)`. */
export interface MCPServerConfig {
  name: string
  version: string
  tools?: Record<string, MCPServerTool>
  agents?: Record<string, MCPAgent>
  workflows?: Record<string, MCPWorkflow>
  resources?: MCPServerResources
  prompts?: MCPServerPrompts
  /** Sent to clients in `initialize`. */
  instructions?: string
  /** The server's own log lines: tool failures with stacks, warnings. */
  logger?: LogHandler
  /**
   * OAuth protection (`createProtectedResource(...)` from `@mcpkit/oauth`): every HTTP request
   * needs a valid bearer token, the metadata document is served, the token's principal becomes
   * `extra.authInfo` and owns the session, and tool calls need their scopes. It decides
   * `authInfo` alone: a host middleware's `req.auth` is ignored.
   */
  auth?: ResourceAuth
  id?: string
  description?: string
  repository?: { url: string; source: string; id?: string }
  releaseDate?: string
  isLatest?: boolean
  packageCanonical?: string
  packages?: MCPServerPackage[]
  remotes?: { transport_type: string; url: string }[]
}

/** `getServerInfo()`: the registry's summary of this server. */
export interface ServerInfo {
  id: string
  name: string
  description?: string
  repository?: MCPServerConfig['repository']
  version_detail: { version: string; release_date: string; is_latest: boolean }
}

/** `getServerDetail()`: the summary plus packages and remotes. */
export interface ServerDetail extends ServerInfo {
  package_canonical?: string
  packages?: MCPServerPackage[]
  remotes?: MCPServerConfig['remotes']
}

/** One tool as `getToolListInfo()` describes it. */
export interface ToolInfo {
  name: string
  description: string
  inputSchema: ProtocolTool['inputSchema']
  outputSchema?: ProtocolTool['outputSchema']
  annotations?: ProtocolTool['annotations']
  toolType: 'tool' | 'agent' | 'workflow'
}

/** `startHTTP` / `createFetchHandler` options: the SDK transport's, plus security and sessions. */
export type HttpTransportOptions = Omit<StreamableHttpHandlerOptions, 'createServer' | 'log'>

/** `startSSE` / `startHonoSSE` options: security and sessions. */
export type SseTransportOptions = HttpServerSecurityOptions & SessionOptions

/**
 * Serves tools, agents (`ask_<key>`), workflows (`run_<key>`), resources and prompts to MCP
 * clients. Each client session gets its own SDK `Server` from `createSessionServer()`, so
 * nothing one session sends can reach another.
 */
export class MCPServer {
  readonly name: string
  readonly version: string
  readonly #config: MCPServerConfig
  readonly #tools = new Map<string, ToolEntry>()
  readonly #toolList: { tools: ProtocolTool[] }
  readonly #capabilities: ServerCapabilities
  readonly #log: ReturnType<typeof logTo>
  readonly #auth: ResourceAuth | undefined
  /** Live session servers, with what each subscribed to and its logging level. */
  readonly #sessions = new Map<
    Server,
    { subscriptions: Set<string>; level: LoggingLevel | undefined }
  >()
  #stdio: ServeStdioResult | undefined
  #http: NodeStreamableHttpHandler | undefined
  #sse: NodeSseHandler | undefined
  #honoSse: WebSseHandler | undefined
  readonly #fetchHandlers = new Set<StreamableHttpHandler>()
  #closed = false
  readonly #createServer = () => this.createSessionServer()
  /** One compiled-schema cache for every session: the SDK builds an Ajv per `Server` otherwise. */
  readonly #validator = new AjvJsonSchemaValidator()

  constructor(config: MCPServerConfig) {
    if (config === null || typeof config !== 'object') {
      throw new MCPServerError(
        'INVALID_CONFIGURATION',
        'new MCPServer(config): config must be an object.',
      )
    }
    for (const field of ['name', 'version'] as const) {
      if (typeof config[field] !== 'string' || config[field].trim() === '') {
        throw new MCPServerError(
          'INVALID_CONFIGURATION',
          `new MCPServer(config): \`${field}\` must be a non-empty string.`,
        )
      }
    }
    this.name = config.name
    this.version = config.version
    this.#config = config
    this.#log = logTo(config.logger, config.name)
    this.#auth = validResourceAuth(config.auth)

    for (const [key, tool] of Object.entries(config.tools ?? {})) {
      const name = typeof tool?.id === 'string' && tool.id !== '' ? tool.id : key
      if (this.#tools.has(name)) {
        throw new MCPServerError(
          'INVALID_CONFIGURATION',
          `Two tools are named "${name}"; tool names must be unique.`,
        )
      }
      this.#tools.set(name, toolEntry(name, tool))
    }
    const generated = [
      ...Object.entries(config.agents ?? {}).map(([key, agent]) => agentEntry(key, agent)),
      ...Object.entries(config.workflows ?? {}).map(([key, workflow]) =>
        workflowEntry(key, workflow),
      ),
    ]
    for (const entry of generated) {
      if (this.#tools.has(entry.name)) {
        this.#log(
          'warning',
          `an explicit tool is named "${entry.name}"; it is served instead of the ${entry.kind} of that name`,
        )
        continue
      }
      this.#tools.set(entry.name, entry)
    }
    this.#toolList = { tools: [...this.#tools.values()].map((entry) => entry.definition) }

    const { resources, prompts } = config
    this.#capabilities = {
      tools: { listChanged: true },
      logging: {},
      ...(resources ? { resources: { subscribe: true, listChanged: true } } : {}),
      ...(prompts ? { prompts: { listChanged: true } } : {}),
      ...(resources?.completeArgument || prompts?.completeArgument ? { completions: {} } : {}),
    }
  }

  // ── sessions ────────────────────────────────────────────────────────────────

  /**
   * A new SDK `Server` with every handler of this MCP server, not yet connected. Transports
   * call this once per client session (once per request in stateless mode).
   */
  createSessionServer(): Server {
    const server = new Server(
      { name: this.name, version: this.version },
      {
        capabilities: this.#capabilities,
        jsonSchemaValidator: this.#validator,
        ...(this.#config.instructions ? { instructions: this.#config.instructions } : {}),
      },
    )
    const session = {
      subscriptions: new Set<string>(),
      level: undefined as LoggingLevel | undefined,
    }
    this.#sessions.set(server, session)
    server.onclose = () => this.#sessions.delete(server)

    server.setRequestHandler(ListToolsRequestSchema, () => this.#toolList)
    server.setRequestHandler(CallToolRequestSchema, (request, extra) =>
      this.#callTool(server, request.params.name, request.params.arguments, extra),
    )
    server.setRequestHandler(SetLevelRequestSchema, (request) => {
      session.level = request.params.level
      return {}
    })

    const { resources, prompts } = this.#config
    if (resources) {
      server.setRequestHandler(ListResourcesRequestSchema, async (_request, extra) => ({
        resources: await resources.listResources({ extra }),
      }))
      server.setRequestHandler(ListResourceTemplatesRequestSchema, async (_request, extra) => ({
        resourceTemplates: (await resources.resourceTemplates?.({ extra })) ?? [],
      }))
      server.setRequestHandler(ReadResourceRequestSchema, (request, extra) =>
        this.#readResource(resources, request.params.uri, extra),
      )
      server.setRequestHandler(SubscribeRequestSchema, (request) => {
        session.subscriptions.add(request.params.uri)
        return {}
      })
      server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
        session.subscriptions.delete(request.params.uri)
        return {}
      })
    }
    if (prompts) {
      server.setRequestHandler(ListPromptsRequestSchema, async (_request, extra) => ({
        prompts: await prompts.listPrompts({ extra }),
      }))
      server.setRequestHandler(GetVersionedPromptRequestSchema, (request, extra) =>
        this.#getPrompt(prompts, request.params, extra),
      )
    }
    if (this.#capabilities.completions) {
      server.setRequestHandler(CompleteRequestSchema, (request) => this.#complete(request.params))
    }
    return server
  }

  async #callTool(
    server: Server,
    name: string,
    args: Record<string, unknown> | undefined,
    extra: RequestExtra,
  ): Promise<CallToolResult> {
    const entry = this.#tools.get(name)
    if (!entry) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `Unknown tool "${name}". Available tools: ${[...this.#tools.keys()].join(', ') || '(none)'}`,
      )
    }
    const refusal = toolCallRefusal(this.#auth, name, extra.authInfo)
    if (refusal) throw refusal
    const checked = await entry.checkInput(args ?? {})
    if ('error' in checked) {
      return errorResult(`Invalid arguments for tool "${name}": ${checked.error}`)
    }
    try {
      return await entry.run(checked.data, this.#toolContext(server, extra))
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      this.#log('error', `tool "${name}" failed: ${message}`, {
        tool: name,
        ...(error instanceof Error && error.stack ? { stack: error.stack } : {}),
      })
      return errorResult(message)
    }
  }

  #toolContext(server: Server, extra: RequestExtra): MCPToolContext {
    const session = this.#sessions.get(server)
    const progressToken = extra._meta?.progressToken
    return {
      extra,
      elicitation: {
        sendRequest: (request) =>
          server.elicitInput({ ...request, mode: 'form' }, { relatedRequestId: extra.requestId }),
      },
      log: async (level, data) => {
        const threshold = session?.level
        if (threshold !== undefined && LOG_SEVERITY[level] < LOG_SEVERITY[threshold]) return
        await extra.sendNotification({
          method: 'notifications/message',
          params: { level, data, logger: this.name },
        })
      },
      progress: async (progress, total, message) => {
        if (progressToken === undefined) return
        await extra.sendNotification({
          method: 'notifications/progress',
          params: {
            progressToken,
            progress,
            ...(total === undefined ? {} : { total }),
            ...(message === undefined ? {} : { message }),
          },
        })
      },
    }
  }

  async #readResource(
    resources: MCPServerResources,
    uri: string,
    extra: RequestExtra,
  ): Promise<ReadResourceResult> {
    let content: MCPServerResourceContent | MCPServerResourceContent[]
    try {
      content = await resources.getResourceContent({ uri, extra })
    } catch (error) {
      throw new McpError(
        RESOURCE_NOT_FOUND,
        `Resource ${uri}: ${error instanceof Error ? error.message : String(error)}`,
        { uri },
      )
    }
    const parts = Array.isArray(content) ? content : [content]
    let listed: Resource[] | undefined
    const contents: ReadResourceResult['contents'] = []
    for (const part of parts) {
      let mimeType = part.mimeType
      if (mimeType === undefined) {
        listed ??= await Promise.resolve(resources.listResources({ extra })).catch(() => [])
        mimeType = listed.find((resource) => resource.uri === (part.uri ?? uri))?.mimeType
      }
      const base = { uri: part.uri ?? uri, ...(mimeType ? { mimeType } : {}) }
      contents.push('blob' in part ? { ...base, blob: part.blob } : { ...base, text: part.text })
    }
    return { contents }
  }

  async #getPrompt(
    prompts: MCPServerPrompts,
    params: { name: string; arguments?: Record<string, string> | undefined } & Record<
      string,
      unknown
    >,
    extra: RequestExtra,
  ): Promise<GetPromptResult> {
    const { name } = params
    const version = typeof params.version === 'string' ? params.version : undefined
    const args = params.arguments ?? {}
    const all = await prompts.listPrompts({ extra })
    const listed = all.filter((prompt) => prompt.name === name)
    if (listed.length === 0) {
      const names = all.map((prompt) => prompt.name)
      throw new McpError(
        ErrorCode.InvalidParams,
        `Unknown prompt "${name}". Available prompts: ${[...new Set(names)].join(', ') || '(none)'}`,
      )
    }
    const prompt =
      version === undefined ? listed[0]! : listed.find((candidate) => candidate.version === version)
    if (!prompt) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `Prompt "${name}" has no version "${version}". Versions: ${listed.map((candidate) => candidate.version ?? '(none)').join(', ')}`,
      )
    }
    const missing = (prompt.arguments ?? [])
      .filter((argument) => argument.required && args[argument.name] === undefined)
      .map((argument) => argument.name)
    if (missing.length > 0) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `Prompt "${name}" is missing required arguments: ${missing.join(', ')}`,
      )
    }
    if (!prompts.getPromptMessages) {
      throw new McpError(
        ErrorCode.InternalError,
        `Prompt "${name}" has no getPromptMessages handler.`,
      )
    }
    const result = await prompts.getPromptMessages({
      name,
      ...(version === undefined ? {} : { version }),
      args,
      extra,
    })
    const description = result.prompt?.description ?? prompt.description
    return { ...(description === undefined ? {} : { description }), messages: result.messages }
  }

  async #complete(params: {
    ref: { type: string; name?: string | undefined; uri?: string | undefined }
    argument: { name: string; value: string }
    context?: { arguments?: Record<string, string> | undefined } | undefined
  }): Promise<CompleteResult> {
    const { ref, argument } = params
    const context = params.context?.arguments ?? {}
    let answer: CompletionAnswer | undefined
    if (ref.type === 'ref/prompt' && ref.name !== undefined) {
      answer = await this.#config.prompts?.completeArgument?.({
        name: ref.name,
        argument,
        arguments: context,
      })
    } else if (ref.type === 'ref/resource' && ref.uri !== undefined) {
      answer = await this.#config.resources?.completeArgument?.({
        uriTemplate: ref.uri,
        argument,
        arguments: context,
      })
    }
    const values = Array.isArray(answer) ? answer : (answer?.values ?? [])
    const completion: CompleteResult['completion'] = { values: values.slice(0, 100) }
    const total = Array.isArray(answer) ? values.length : (answer?.total ?? values.length)
    completion.total = total
    completion.hasMore = Array.isArray(answer)
      ? values.length > 100
      : (answer?.hasMore ?? values.length > 100)
    return { completion }
  }

  // ── transports ──────────────────────────────────────────────────────────────

  /** Serves one client over this process's stdin and stdout. */
  async startStdio(): Promise<void> {
    if (this.#stdio)
      throw new MCPServerError('INVALID_CONFIGURATION', 'startStdio() was already called.')
    this.#stdio = await serveStdio(this.#createServer)
  }

  /**
   * Streamable HTTP inside a `node:http` handler: call it for every request. Requests to other
   * paths than `httpPath` get 404. `options` are read on the first call.
   */
  async startHTTP(request: {
    url: URL
    httpPath: string
    req: IncomingMessage
    res: ServerResponse
    options?: HttpTransportOptions
  }): Promise<void> {
    const { url, httpPath, req, res, options } = request
    if (this.#auth && url.pathname === this.#auth.metadataPath) {
      await writeMetadata(this.#auth, url, req, res)
      return
    }
    if (url.pathname !== httpPath) {
      plainResponse(res, 404, 'Not Found')
      return
    }
    if (this.#closed && !this.#http) {
      plainResponse(res, 503, 'The MCP server was closed.')
      return
    }
    this.#http ??= new NodeStreamableHttpHandler({
      ...options,
      ...this.#authOption(),
      createServer: this.#createServer,
      log: this.#log,
    })
    await this.#http.handle(req, res)
  }

  /**
   * Legacy SSE (protocol 2024-11-05) inside a `node:http` handler: `GET ssePath` opens a
   * session's stream, `POST messagePath` delivers its messages. Many clients at once.
   */
  async startSSE(request: {
    url: URL
    ssePath: string
    messagePath: string
    req: IncomingMessage
    res: ServerResponse
    options?: SseTransportOptions
  }): Promise<void> {
    const { url, ssePath, messagePath, req, res, options } = request
    if (this.#auth && url.pathname === this.#auth.metadataPath) {
      await writeMetadata(this.#auth, url, req, res)
      return
    }
    if (this.#closed && !this.#sse) {
      plainResponse(res, 503, 'The MCP server was closed.')
      return
    }
    this.#sse ??= new NodeSseHandler({
      ...options,
      ...this.#authOption(),
      createServer: this.#createServer,
      log: this.#log,
    })
    await this.#sse.handle(req, res, { ssePath, messagePath })
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
    const { ssePath, messagePath, req, options, authInfo } = request
    const raw = req instanceof Request ? req : req.raw
    if (this.#auth && isMetadataRequest(this.#auth, raw)) {
      return Promise.resolve(this.#auth.metadataResponse(raw))
    }
    if (this.#closed && !this.#honoSse) {
      return Promise.resolve(new Response('The MCP server was closed.', { status: 503 }))
    }
    this.#honoSse ??= new WebSseHandler({
      ...options,
      ...this.#authOption(),
      createServer: this.#createServer,
      log: this.#log,
    })
    return this.#honoSse.handleRequest(raw, {
      ssePath,
      messagePath,
      ...(authInfo ? { authInfo } : {}),
    })
  }

  /**
   * A web-standard Streamable HTTP handler, `(request, { authInfo? }) => Response`, for Hono,
   * Next.js route handlers, Bun, Deno and workers. Requests to other paths than `httpPath`
   * (when given) get 404.
   */
  createFetchHandler(
    options: HttpTransportOptions & { httpPath?: string } = {},
  ): (request: Request, context?: StreamableHttpRequestContext) => Promise<Response> {
    const { httpPath, ...transportOptions } = options
    const handler = new StreamableHttpHandler({
      ...transportOptions,
      ...this.#authOption(),
      createServer: this.#createServer,
      log: this.#log,
    })
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

  /** With `auth`, the transports verify every request through it. */
  #authOption(): { authenticate?: ReturnType<typeof authenticatorOf> } {
    return this.#auth ? { authenticate: authenticatorOf(this.#auth) } : {}
  }

  /**
   * Ends every session on every transport. Idempotent and final: afterwards HTTP requests get
   * 503 and no new session opens, so a graceful shutdown (`close()`, then the HTTP server's own
   * close) cannot be undone by a request arriving in between. Create a new `MCPServer` to serve
   * again.
   */
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
    await Promise.allSettled([...this.#sessions.keys()].map((server) => server.close()))
  }

  /** The stdio transport, once `startStdio()` ran. */
  getStdioTransport(): StdioServerTransport | undefined {
    return this.#stdio?.transport
  }

  /** The legacy SSE transport of the most recent `startSSE` session (debugging). */
  getSseTransport(): SSEServerTransport | undefined {
    return this.#sse?.lastTransport
  }

  /** The legacy SSE transport of the most recent `startHonoSSE` session (debugging). */
  getSseHonoTransport(): WebSseServerTransport | undefined {
    return this.#honoSse?.lastTransport
  }

  /** The Streamable HTTP transport of the most recent `startHTTP` session (debugging). */
  getStreamableHTTPTransport(): WebStandardStreamableHTTPServerTransport | undefined {
    return this.#http?.lastTransport
  }

  // ── notifications ───────────────────────────────────────────────────────────

  /** Resource notifications to connected sessions. */
  readonly resources = {
    /** `notifications/resources/updated` to the sessions subscribed to `uri`, and only those. */
    notifyUpdated: async ({ uri }: { uri: string }): Promise<void> => {
      await this.#broadcast((server, session) =>
        session.subscriptions.has(uri) ? server.sendResourceUpdated({ uri }) : undefined,
      )
    },
    /** `notifications/resources/list_changed` to every session. */
    notifyListChanged: (): Promise<void> =>
      this.#broadcast((server) => server.sendResourceListChanged()),
  }

  /** Tool notifications to connected sessions. */
  readonly tools = {
    /** `notifications/tools/list_changed` to every session. */
    notifyListChanged: (): Promise<void> =>
      this.#broadcast((server) => server.sendToolListChanged()),
  }

  /** Prompt notifications to connected sessions. */
  readonly prompts = {
    /** `notifications/prompts/list_changed` to every session. */
    notifyListChanged: (): Promise<void> =>
      this.#broadcast((server) => server.sendPromptListChanged()),
  }

  async #broadcast(
    send: (server: Server, session: { subscriptions: Set<string> }) => Promise<void> | undefined,
  ): Promise<void> {
    await Promise.all(
      [...this.#sessions].map(([server, session]) =>
        Promise.resolve(send(server, session)).catch((error: unknown) =>
          this.#log('debug', `a notification could not be sent: ${String(error)}`),
        ),
      ),
    )
  }

  // ── inspection ──────────────────────────────────────────────────────────────

  /** The registry summary of this server. */
  getServerInfo(): ServerInfo {
    const { id, name, description, repository, version, releaseDate, isLatest } = this.#config
    return {
      id: id ?? name,
      name,
      ...(description === undefined ? {} : { description }),
      ...(repository === undefined ? {} : { repository }),
      version_detail: {
        version,
        release_date: releaseDate ?? new Date(0).toISOString(),
        is_latest: isLatest ?? true,
      },
    }
  }

  /** The registry summary plus packages and remotes. */
  getServerDetail(): ServerDetail {
    const { packageCanonical, packages, remotes } = this.#config
    return {
      ...this.getServerInfo(),
      ...(packageCanonical === undefined ? {} : { package_canonical: packageCanonical }),
      ...(packages === undefined ? {} : { packages }),
      ...(remotes === undefined ? {} : { remotes }),
    }
  }

  /** Every tool this server serves, as clients see them. */
  getToolListInfo(): { tools: ToolInfo[] } {
    return { tools: [...this.#tools.values()].map(toolInfo) }
  }

  /** One tool as clients see it, or `undefined`. */
  getToolInfo(toolName: string): ToolInfo | undefined {
    const entry = this.#tools.get(toolName)
    return entry ? toolInfo(entry) : undefined
  }

  /**
   * Runs a tool in-process, validated as a remote call would be, and returns its
   * `CallToolResult`. No client session is involved: `elicitation` rejects, `log` and
   * `progress` do nothing.
   */
  async executeTool(
    toolName: string,
    args: unknown,
    context: { signal?: AbortSignal } = {},
  ): Promise<CallToolResult> {
    const entry = this.#tools.get(toolName)
    if (!entry) {
      throw new MCPServerError(
        'TOOL_NOT_FOUND',
        `Unknown tool "${toolName}". Available tools: ${[...this.#tools.keys()].join(', ') || '(none)'}`,
      )
    }
    const checked = await entry.checkInput(args ?? {})
    if ('error' in checked) {
      throw new ToolInputValidationError({
        toolName,
        issues: [{ path: '', message: checked.error }],
      })
    }
    const extra = {
      signal: context.signal ?? new AbortController().signal,
      requestId: 0,
      sendNotification: async () => {},
      sendRequest: async () => {
        throw new MCPServerError(
          'INVALID_CONFIGURATION',
          'executeTool() has no client session to send requests to.',
        )
      },
    } as unknown as RequestExtra
    return entry.run(checked.data, {
      extra,
      elicitation: {
        sendRequest: async () => {
          throw new MCPServerError(
            'INVALID_CONFIGURATION',
            'executeTool() has no client session to elicit from.',
          )
        },
      },
      log: async () => {},
      progress: async () => {},
    })
  }
}

function toolInfo(entry: ToolEntry): ToolInfo {
  const { definition } = entry
  return {
    name: entry.name,
    description: definition.description ?? '',
    inputSchema: definition.inputSchema,
    ...(definition.outputSchema ? { outputSchema: definition.outputSchema } : {}),
    ...(definition.annotations ? { annotations: definition.annotations } : {}),
    toolType: entry.kind,
  }
}

/** Logs through `logger` without letting it throw. */
function logTo(logger: LogHandler | undefined, serverName: string) {
  return (level: LoggingLevel, message: string, details?: Record<string, unknown>) => {
    if (!logger) return
    try {
      logger({ level, message, timestamp: new Date(), serverName, ...(details ? { details } : {}) })
    } catch {
      // A logger must not break the server.
    }
  }
}

function plainResponse(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' }).end(text)
}

function errorResult(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true }
}
