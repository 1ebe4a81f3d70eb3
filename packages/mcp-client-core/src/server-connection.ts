import { type ApprovalGate, createApprovalGate } from '@mcpkit/tool-approval'
import {
  type ClientConnection,
  connectClient,
  isUnauthorized,
  runWithRequestContext,
} from '@mcpkit/transports/client'
import {
  type ApprovalGateOptions,
  type ApprovalOptions,
  type LoggingLevel,
  type LogHandler,
  MCPClientError,
  type MCPErrorCode,
  MCPKitError,
  type RequestContext,
  type ServerDefinition,
  type ToolExecutionContext,
  ToolExecutionError,
} from '@mcpkit/types'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import {
  type CallToolResult,
  CallToolResultSchema,
  type ElicitRequestFormParams,
  ElicitRequestSchema,
  type ElicitResult,
  ErrorCode,
  type GetPromptResult,
  LoggingMessageNotificationSchema,
  McpError,
  ProgressNotificationSchema,
  type Prompt,
  PromptListChangedNotificationSchema,
  type Tool as ProtocolTool,
  type ReadResourceResult,
  type Resource,
  ResourceListChangedNotificationSchema,
  type ResourceTemplate,
  ResourceUpdatedNotificationSchema,
  type ServerCapabilities,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js'
import type { InputValidatorCache } from './input-validator.js'
import { buildTool, type MCPTool, type ToolCaller } from './mcp-tool.js'
import { toolId } from './tool-id.js'
import { CLIENT_INFO } from './version.js'

const DEFAULT_TOOL_LIST_TTL_MS = 10_000

/** A progress notification as `progress.onUpdate` handlers receive it. */
export interface ProgressUpdate {
  progressToken: string
  progress: number
  total?: number
  message?: string
}

/**
 * Answers a server's `elicitation/create` request. Form mode only: that is what the client
 * announces, and URL-mode requests are declined before they reach a handler.
 */
export type ElicitationHandler = (
  request: ElicitRequestFormParams,
) => ElicitResult | Promise<ElicitResult>

/** Handlers registered on `MCPClient` for one server; they outlive reconnects. */
export interface ServerHandlers {
  readonly resourceUpdated: Set<(params: { uri: string }) => void>
  readonly resourceListChanged: Set<() => void>
  readonly promptListChanged: Set<() => void>
  readonly progress: Set<(update: ProgressUpdate) => void>
  elicitation: ElicitationHandler | undefined
}

interface Operation {
  /** What is being done, for error messages (`tools/call echo`). */
  what: string
  /** Safe to send again after the connection dropped mid-request. */
  idempotent: boolean
  requestContext: RequestContext | null
}

type ConnectionLoss = 'session-expired' | 'connection-lost'

interface ToolCache {
  readonly tools: readonly MCPTool[]
  readonly names: ReadonlySet<string>
  readonly expiresAt: number
}

export interface ServerConnectionOptions {
  name: string
  definition: ServerDefinition
  timeout: number
  logger: LogHandler | undefined
  validators: InputValidatorCache
  /** The client's `approval` option: who decides calls that `requireToolApproval` holds. */
  approval: ApprovalOptions | undefined
}

/**
 * One configured server: connects on first use, keeps the connection and its tool list,
 * reconnects after the server went away, and turns SDK failures into `MCPClientError`s.
 */
export class ServerConnection implements ToolCaller {
  readonly name: string
  readonly handlers: ServerHandlers = {
    resourceUpdated: new Set(),
    resourceListChanged: new Set(),
    promptListChanged: new Set(),
    progress: new Set(),
    elicitation: undefined,
  }

  readonly #definition: ServerDefinition
  readonly #timeout: number
  readonly #logger: LogHandler | undefined
  readonly #validators: InputValidatorCache
  readonly #subscriptions = new Set<string>()
  readonly #connectAbort = new AbortController()
  #connection: ClientConnection | undefined
  #connecting: Promise<ClientConnection> | undefined
  #tools: ToolCache | undefined
  #toolsLoading: Promise<readonly MCPTool[]> | undefined
  /** Bumped whenever cached tools become invalid, so a slow load cannot store a stale list. */
  #toolsGeneration = 0
  #closing: Promise<void> | undefined
  #probing: Promise<void> | undefined
  #progressTokens = 0
  /** Only a custom `fetch` reads the request context: without one, calls skip AsyncLocalStorage. */
  readonly #usesRequestContext: boolean
  /** Holds every call `requireToolApproval` selects; `undefined` when it selects none. */
  readonly #approvalGate: ApprovalGate | undefined

  constructor(options: ServerConnectionOptions) {
    this.name = options.name
    this.#definition = options.definition
    this.#timeout = options.definition.timeout ?? options.timeout
    this.#logger = options.definition.logger ?? options.logger
    this.#validators = options.validators
    this.#usesRequestContext =
      'fetch' in options.definition && options.definition.fetch !== undefined
    const policy = options.definition.requireToolApproval
    this.#approvalGate =
      policy === undefined || policy === false
        ? undefined
        : approvalGateFor(this.name, { ...options.approval, policy })
    if (this.#approvalGate && !options.approval?.handler) {
      this.log(
        'warning',
        '`requireToolApproval` is set but the client has no `approval.handler`: calls it holds will be denied.',
      )
    }
  }

  get isClosed(): boolean {
    return this.#closing !== undefined
  }

  /** The server definition as configured (read by `MCPClient.authenticate()`). */
  get definition(): ServerDefinition {
    return this.#definition
  }

  /** The server's capabilities, once connected. */
  get capabilities(): ServerCapabilities | undefined {
    return this.#connection?.client.getServerCapabilities()
  }

  log(level: LoggingLevel, message: string, details?: Record<string, unknown>): void {
    if (!this.#logger) return
    try {
      this.#logger({
        level,
        message,
        timestamp: new Date(),
        serverName: this.name,
        ...(details ? { details } : {}),
      })
    } catch {
      // A logger must not break the client.
    }
  }

  // ── connection ──────────────────────────────────────────────────────────────

  /** The live connection, opening it (once, however many callers wait) if needed. */
  connect(): Promise<ClientConnection> {
    if (this.#closing) return Promise.reject(this.#disconnectedError())
    if (this.#connection) return Promise.resolve(this.#connection)
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = undefined
    })
    return this.#connecting
  }

  async #open(): Promise<ClientConnection> {
    const connection = await connectClient({
      serverName: this.name,
      definition: this.#definition,
      createClient: () => this.#createClient(),
      timeout: this.#timeout,
      log: (level, message, details) => this.log(level, message, details),
      signal: this.#connectAbort.signal,
    })
    if (this.#closing) {
      await connection.close().catch(() => {})
      throw this.#disconnectedError()
    }
    connection.client.onclose = () => this.#forget(connection)
    const onerror = connection.client.onerror
    connection.client.onerror = (error) => {
      onerror?.(error)
      if (error.message.startsWith('SSE stream disconnected')) this.#probe(connection)
    }
    this.#connection = connection
    this.#invalidateTools()
    this.log('debug', `connected over ${connection.kind}`)
    for (const uri of this.#subscriptions) {
      connection.client.subscribeResource({ uri }).catch((error: unknown) => {
        this.log('warning', `could not renew the subscription to ${uri}`, { error: String(error) })
      })
    }
    return connection
  }

  #createClient(): Client {
    const capabilities = this.#definition.capabilities ?? {}
    const client = new Client(CLIENT_INFO, {
      capabilities: { ...capabilities, elicitation: capabilities.elicitation ?? {} },
      jsonSchemaValidator: this.#validators.outputValidator,
    })
    const { handlers } = this
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => this.#invalidateTools())
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) =>
      this.#emit(handlers.resourceUpdated, { uri: notification.params.uri }),
    )
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () =>
      this.#emit(handlers.resourceListChanged, undefined),
    )
    client.setNotificationHandler(PromptListChangedNotificationSchema, () =>
      this.#emit(handlers.promptListChanged, undefined),
    )
    // Our own progress routing: `runId` becomes the token, which the SDK's would override.
    client.setNotificationHandler(ProgressNotificationSchema, ({ params }) => {
      const update: ProgressUpdate = {
        progressToken: String(params.progressToken),
        progress: params.progress,
      }
      if (params.total !== undefined) update.total = params.total
      if (params.message !== undefined) update.message = params.message
      this.#emit(handlers.progress, update)
    })
    if (this.#definition.enableServerLogs !== false) {
      client.setNotificationHandler(LoggingMessageNotificationSchema, ({ params }) => {
        const message = typeof params.data === 'string' ? params.data : JSON.stringify(params.data)
        this.log(params.level, message, {
          source: 'server',
          ...(params.logger ? { logger: params.logger } : {}),
        })
      })
    }
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      const handler = handlers.elicitation
      if (!handler) {
        this.log(
          'warning',
          'declined an elicitation request: no handler is registered (elicitation.onRequest)',
        )
        return { action: 'decline' }
      }
      if (request.params.mode === 'url') {
        this.log(
          'warning',
          'declined a URL-mode elicitation request: this client offers forms only',
        )
        return { action: 'decline' }
      }
      return handler(request.params)
    })
    client.onerror = (error) => this.log('debug', `transport: ${error.message}`)
    return client
  }

  #emit<Argument>(handlers: Set<(argument: Argument) => void>, argument: Argument): void {
    for (const handler of handlers) {
      try {
        handler(argument)
      } catch (error) {
        this.log('error', `a notification handler threw: ${String(error)}`)
      }
    }
  }

  /** Drops a connection that died, so the next call opens a new one. */
  #forget(connection: ClientConnection): void {
    if (this.#connection !== connection) return
    this.#connection = undefined
    this.#invalidateTools()
    if (!this.#closing) this.log('info', 'connection closed; the next call reconnects')
  }

  #invalidateTools(): void {
    this.#tools = undefined
    this.#toolsGeneration++
  }

  /**
   * Runs `fn` on the live connection with the operation's request context. When the session
   * expired (HTTP 404: the server did not run the request) the connection is renewed and the
   * request sent once more; when the connection dropped mid-request it is sent again only if
   * the operation is idempotent.
   */
  async request<Result>(
    operation: Operation,
    fn: (client: Client) => Promise<Result>,
  ): Promise<Result> {
    for (let attempt = 0; ; attempt++) {
      const connection = this.#connection ?? (await this.connect())
      try {
        return await (this.#usesRequestContext
          ? runWithRequestContext(operation.requestContext, () => fn(connection.client))
          : fn(connection.client))
      } catch (error) {
        if (this.#closing) throw this.#disconnectedError(error)
        const loss = connectionLoss(error)
        if (!loss) throw this.#requestError(operation, error)
        this.#drop(connection)
        const replay = loss === 'session-expired' || operation.idempotent
        if (attempt === 0 && replay) {
          this.log('info', `${operation.what}: ${loss}; reconnecting and sending it again`)
          continue
        }
        throw new MCPClientError(
          'CONNECTION_CLOSED',
          attempt > 0
            ? `Server "${this.name}": the connection was lost during ${operation.what}, and again after reconnecting. The next call reconnects.`
            : `Server "${this.name}": the connection was lost during ${operation.what}. It may or may not have run, so it was not sent again (the tool is not annotated read-only or idempotent). The next call reconnects.`,
          { serverName: this.name, cause: error },
        )
      }
    }
  }

  /**
   * A response stream broke: is the server still there? The SDK leaves requests whose stream
   * broke pending until their timeout; if the server is gone (or forgot the session), dropping
   * the connection fails them now, each as `CONNECTION_CLOSED` (or sent again if idempotent).
   */
  #probe(connection: ClientConnection): void {
    if (this.#probing || this.#connection !== connection || this.#closing) return
    const ping = () => connection.client.ping({ timeout: Math.min(this.#timeout, 5000) })
    this.#probing = (this.#usesRequestContext ? runWithRequestContext(null, ping) : ping())
      .then(
        () => {},
        (error: unknown) => {
          if (this.#connection !== connection) return
          this.log(
            'info',
            `the server did not answer after a stream broke (${String(error)}); reconnecting on the next call`,
          )
          this.#drop(connection)
        },
      )
      .finally(() => {
        this.#probing = undefined
      })
  }

  #drop(connection: ClientConnection): void {
    this.#forget(connection)
    connection.close().catch(() => {})
  }

  #requestError(operation: Operation, error: unknown): MCPKitError {
    if (error instanceof MCPKitError) return error
    const fail = (code: MCPErrorCode, message: string) =>
      new MCPClientError(code, `Server "${this.name}": ${message}`, {
        serverName: this.name,
        cause: error,
      })
    if (isUnauthorized(error)) {
      return fail(
        'UNAUTHORIZED',
        `${operation.what} was refused: the server rejected the credentials. Check the token, or complete the OAuth authorization.`,
      )
    }
    if (error instanceof McpError) {
      if (error.code === ErrorCode.RequestTimeout) {
        return fail(
          'REQUEST_TIMEOUT',
          `${operation.what} got no answer within ${this.#timeout} ms.`,
        )
      }
      return fail('SERVER_ERROR', `${operation.what} failed: ${error.message}`)
    }
    if (error instanceof StreamableHTTPError) {
      return fail(
        'SERVER_ERROR',
        `${operation.what} failed with HTTP ${error.code}: ${error.message}`,
      )
    }
    const message = error instanceof Error ? error.message : String(error)
    return fail('SERVER_ERROR', `${operation.what} failed: ${message}`)
  }

  #disconnectedError(cause?: unknown): MCPClientError {
    return new MCPClientError(
      'DISCONNECTED',
      `Server "${this.name}": the client was disconnected. Create a new MCPClient to connect again.`,
      { serverName: this.name, cause },
    )
  }

  // ── tools ───────────────────────────────────────────────────────────────────

  /** The cached tool list, if it is fresh; no I/O. */
  cachedTools(): readonly MCPTool[] | undefined {
    const cache = this.#tools
    if (
      cache &&
      this.#connection &&
      (cache.expiresAt === Infinity || cache.expiresAt > Date.now())
    ) {
      return cache.tools
    }
    return undefined
  }

  /** The tool list, from cache when fresh; concurrent callers share one `tools/list`. */
  tools(requestContext: RequestContext | null): Promise<readonly MCPTool[]> {
    const cached = this.cachedTools()
    if (cached) return Promise.resolve(cached)
    this.#toolsLoading ??= this.#loadTools(requestContext).finally(() => {
      this.#toolsLoading = undefined
    })
    return this.#toolsLoading
  }

  async #loadTools(requestContext: RequestContext | null): Promise<readonly MCPTool[]> {
    let generation = -1
    const definitions = await this.request(
      { what: 'tools/list', idempotent: true, requestContext },
      async (client) => {
        generation = this.#toolsGeneration
        if (!client.getServerCapabilities()?.tools) return []
        const all: ProtocolTool[] = []
        let cursor: string | undefined
        do {
          const page = await client.listTools(cursor === undefined ? {} : { cursor }, {
            timeout: this.#timeout,
          })
          all.push(...page.tools)
          cursor = page.nextCursor
        } while (cursor !== undefined)
        return all
      },
    )
    const tools = definitions.map((definition) =>
      buildTool({
        id: toolId(this.name, definition.name),
        serverName: this.name,
        definition,
        requireApproval: this.#definition.requireToolApproval,
        caller: this,
        inputCheck: (schema) => this.#validators.get(schema),
      }),
    )
    if (generation === this.#toolsGeneration && this.#connection) {
      const listChanged = this.#connection.client.getServerCapabilities()?.tools?.listChanged
      const ttl = this.#definition.toolListTtl ?? DEFAULT_TOOL_LIST_TTL_MS
      this.#tools = {
        tools,
        names: new Set(definitions.map((definition) => definition.name)),
        expiresAt: listChanged ? Infinity : Date.now() + ttl,
      }
    }
    return tools
  }

  async callTool(
    tool: MCPTool,
    input: Record<string, unknown>,
    context: ToolExecutionContext,
  ): Promise<unknown> {
    const { requestContext = null, signal, runId } = context
    if (signal?.aborted) throw abortedError(this.name, tool.name, signal.reason)
    if (!this.#tools) await this.tools(requestContext)
    this.#assertToolListed(tool.name)
    // Every call reaches the server through this method, so this is the one place approval is
    // enforced: tools from listTools(), listToolsets(), a pool, or a detached `execute`.
    if (this.#approvalGate) {
      const waiting = new AbortController()
      const stopWaiting = () => waiting.abort()
      signal?.addEventListener('abort', stopWaiting, { once: true })
      this.#connectAbort.signal.addEventListener('abort', stopWaiting, { once: true })
      let check: Awaited<ReturnType<ApprovalGate['check']>>
      try {
        check = await this.#approvalGate.check({
          toolName: tool.name,
          serverName: this.name,
          args: input,
          annotations: tool.annotations,
          requestContext,
          signal: waiting.signal,
        })
      } finally {
        signal?.removeEventListener('abort', stopWaiting)
        this.#connectAbort.signal.removeEventListener('abort', stopWaiting)
      }
      if (signal?.aborted) throw abortedError(this.name, tool.name, signal.reason)
      if (this.#closing) {
        throw new MCPClientError(
          'DISCONNECTED',
          `The client was disconnected while "${tool.name}" waited for approval; it was not sent.`,
          { serverName: this.name },
        )
      }
      if (!check.allowed) return check.result
    }
    // A per-call controller: the SDK never removes the abort listener it adds, so a
    // long-lived caller signal would collect one listener per call.
    const controller = signal ? new AbortController() : undefined
    const onAbort = () => controller?.abort(signal?.reason)
    signal?.addEventListener('abort', onAbort, { once: true })
    const params: {
      name: string
      arguments: Record<string, unknown>
      _meta?: { progressToken: string }
    } = { name: tool.name, arguments: input }
    if (this.#definition.enableProgressTracking !== false) {
      params._meta = { progressToken: runId ?? `mcpkit-${++this.#progressTokens}` }
    }
    const annotations = tool.annotations
    const idempotent = annotations?.readOnlyHint === true || annotations?.idempotentHint === true
    let result: CallToolResult
    try {
      result = (await this.request(
        { what: `tools/call "${tool.name}"`, idempotent, requestContext },
        (client) =>
          client.callTool(params, CallToolResultSchema, {
            timeout: this.#timeout,
            ...(controller ? { signal: controller.signal } : {}),
          }),
      )) as CallToolResult
    } catch (error) {
      if (signal?.aborted && !(error instanceof MCPKitError && error.code === 'DISCONNECTED')) {
        throw abortedError(this.name, tool.name, signal.reason, error)
      }
      throw error
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
    if (result.isError) {
      if (this.#definition.toolErrors === 'return') return result
      throw new ToolExecutionError({
        toolName: tool.name,
        serverName: this.name,
        message: `Tool "${tool.name}" on server "${this.name}" reported an error: ${resultText(result) || '(no message)'}`,
        result,
      })
    }
    return result.structuredContent !== undefined ? result.structuredContent : result
  }

  /** Whether the server definition's `requireToolApproval` holds this call (policy only). */
  needsApproval(
    tool: MCPTool,
    input: Record<string, unknown>,
    requestContext: RequestContext | null,
  ): Promise<boolean> {
    if (!this.#approvalGate) return Promise.resolve(false)
    return this.#approvalGate.needsApproval({
      toolName: tool.name,
      serverName: this.name,
      args: input,
      annotations: tool.annotations,
      requestContext,
    })
  }

  /**
   * Refuses a tool the server no longer lists. `callTool` fetches the list again only when it
   * was invalidated (`tools/list_changed`, reconnect), so this is a set lookup on the hot path.
   */
  #assertToolListed(name: string): void {
    const listed = this.#tools?.names
    if (!listed || listed.has(name)) return
    const available = [...listed].map((tool) => `"${tool}"`).join(', ') || '(none)'
    throw new MCPClientError(
      'TOOL_NOT_FOUND',
      `Server "${this.name}" no longer has a tool named "${name}". Its tools: ${available}. List the tools again (listTools / listToolsets).`,
      { serverName: this.name },
    )
  }

  // ── resources and prompts ───────────────────────────────────────────────────

  /** All resources, or `undefined` when the server has none to offer. */
  listResources(requestContext: RequestContext | null): Promise<Resource[] | undefined> {
    return this.request(
      { what: 'resources/list', idempotent: true, requestContext },
      async (client) => {
        if (!client.getServerCapabilities()?.resources) return undefined
        const all: Resource[] = []
        let cursor: string | undefined
        do {
          const page = await client.listResources(cursor === undefined ? {} : { cursor }, {
            timeout: this.#timeout,
          })
          all.push(...page.resources)
          cursor = page.nextCursor
        } while (cursor !== undefined)
        return all
      },
    )
  }

  listResourceTemplates(
    requestContext: RequestContext | null,
  ): Promise<ResourceTemplate[] | undefined> {
    return this.request(
      { what: 'resources/templates/list', idempotent: true, requestContext },
      async (client) => {
        if (!client.getServerCapabilities()?.resources) return undefined
        const all: ResourceTemplate[] = []
        let cursor: string | undefined
        do {
          const page = await client.listResourceTemplates(cursor === undefined ? {} : { cursor }, {
            timeout: this.#timeout,
          })
          all.push(...page.resourceTemplates)
          cursor = page.nextCursor
        } while (cursor !== undefined)
        return all
      },
    )
  }

  readResource(uri: string, requestContext: RequestContext | null): Promise<ReadResourceResult> {
    return this.request(
      { what: `resources/read ${uri}`, idempotent: true, requestContext },
      (client) => {
        this.#require(client, 'resources')
        return client.readResource({ uri }, { timeout: this.#timeout })
      },
    )
  }

  async subscribe(uri: string): Promise<object> {
    const result = await this.request(
      { what: `resources/subscribe ${uri}`, idempotent: true, requestContext: null },
      (client) => {
        this.#require(client, 'resources.subscribe')
        return client.subscribeResource({ uri }, { timeout: this.#timeout })
      },
    )
    this.#subscriptions.add(uri)
    return result
  }

  async unsubscribe(uri: string): Promise<object> {
    this.#subscriptions.delete(uri)
    return this.request(
      { what: `resources/unsubscribe ${uri}`, idempotent: true, requestContext: null },
      (client) => {
        this.#require(client, 'resources.subscribe')
        return client.unsubscribeResource({ uri }, { timeout: this.#timeout })
      },
    )
  }

  listPrompts(requestContext: RequestContext | null): Promise<Prompt[] | undefined> {
    return this.request(
      { what: 'prompts/list', idempotent: true, requestContext },
      async (client) => {
        if (!client.getServerCapabilities()?.prompts) return undefined
        const all: Prompt[] = []
        let cursor: string | undefined
        do {
          const page = await client.listPrompts(cursor === undefined ? {} : { cursor }, {
            timeout: this.#timeout,
          })
          all.push(...page.prompts)
          cursor = page.nextCursor
        } while (cursor !== undefined)
        return all
      },
    )
  }

  getPrompt(
    name: string,
    args: Record<string, string> | undefined,
    version: string | undefined,
    requestContext: RequestContext | null,
  ): Promise<GetPromptResult> {
    return this.request(
      { what: `prompts/get "${name}"`, idempotent: true, requestContext },
      (client) => {
        this.#require(client, 'prompts')
        return client.getPrompt(
          {
            name,
            ...(args === undefined ? {} : { arguments: args }),
            ...(version === undefined ? {} : { version }),
          },
          { timeout: this.#timeout },
        )
      },
    )
  }

  #require(client: Client, capability: 'resources' | 'resources.subscribe' | 'prompts'): void {
    const capabilities = client.getServerCapabilities()
    const supported =
      capability === 'resources.subscribe'
        ? capabilities?.resources?.subscribe === true
        : capabilities?.[capability] !== undefined
    if (!supported) {
      throw new MCPClientError(
        'CAPABILITY_NOT_SUPPORTED',
        `Server "${this.name}" does not support ${capability}.`,
        { serverName: this.name },
      )
    }
  }

  // ── shutdown ────────────────────────────────────────────────────────────────

  /** Closes the connection (or abandons the one being opened). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#connectAbort.abort()
      await this.#connecting?.catch(() => {})
      const connection = this.#connection
      this.#connection = undefined
      this.#invalidateTools()
      this.#subscriptions.clear()
      if (connection) {
        await connection.close().catch((error: unknown) => {
          this.log('warning', `error while closing: ${String(error)}`)
        })
      }
      this.handlers.resourceUpdated.clear()
      this.handlers.resourceListChanged.clear()
      this.handlers.promptListChanged.clear()
      this.handlers.progress.clear()
      this.handlers.elicitation = undefined
    })()
    return this.#closing
  }
}

/** Whether `error` means the connection is gone, and whether the request reached the server. */
function connectionLoss(error: unknown): ConnectionLoss | undefined {
  if (error instanceof StreamableHTTPError)
    return error.code === 404 ? 'session-expired' : undefined
  if (error instanceof McpError) {
    return error.code === ErrorCode.ConnectionClosed && error.message.includes('Connection closed')
      ? 'connection-lost'
      : undefined
  }
  if (error instanceof MCPClientError)
    return error.code === 'CONNECTION_CLOSED' ? 'connection-lost' : undefined
  if (error instanceof Error) {
    // Legacy SSE: the POST endpoint of a session the server no longer knows.
    if (/^Error POSTing to endpoint \(HTTP 404\)/.test(error.message)) return 'session-expired'
    if (error.message === 'fetch failed' || error.message === 'Not connected')
      return 'connection-lost'
  }
  return undefined
}

function abortedError(serverName: string, toolName: string, reason: unknown, cause?: unknown) {
  const why = reason instanceof Error ? reason.message : reason === undefined ? '' : String(reason)
  return new MCPClientError(
    'ABORTED',
    `Server "${serverName}": tools/call "${toolName}" was aborted${why ? `: ${why}` : ''}.`,
    { serverName, cause: cause ?? reason },
  )
}

/** The gate, with option mistakes reported as the client's configuration errors. */
function approvalGateFor(serverName: string, options: ApprovalGateOptions): ApprovalGate {
  try {
    return createApprovalGate(options)
  } catch (error) {
    throw new MCPClientError(
      'INVALID_DEFINITION',
      `Server "${serverName}": invalid tool approval settings: ${error instanceof Error ? error.message : String(error)}`,
      { serverName, cause: error },
    )
  }
}

function resultText(result: CallToolResult): string {
  return result.content
    .map((part) => (part.type === 'text' ? part.text : `[${part.type}]`))
    .join('\n')
    .trim()
}
