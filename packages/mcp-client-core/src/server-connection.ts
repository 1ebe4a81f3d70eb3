import { type ApprovalGate, createApprovalGate } from '@mcpkit/tool-approval'
import {
  type ClientConnection,
  connectClient,
  runWithRequestContext,
} from '@mcpkit/transports/client'
import {
  type ApprovalOptions,
  type Log,
  type LogHandler,
  logTo,
  MCPClientError,
  type RequestContext,
  type ServerDefinition,
  type ToolExecutionContext,
} from '@mcpkit/types'
import type { Client, ServerCapabilities } from '@modelcontextprotocol/client'
import { clearServerHandlers, createServerHandlers, type ServerHandlers } from './handlers.js'
import type { InputCheck, InputValidatorCache } from './input-validator.js'
import { buildTool, type MCPTool, type ToolCaller } from './mcp-tool.js'
import {
  connectionClosedError,
  disconnectedError,
  type Operation,
  requestError,
} from './request-errors.js'
import { createSdkClient } from './sdk-client.js'
import { callTool, needsApproval, type ToolCallTarget } from './tool-call.js'
import { toolId } from './tool-id.js'
import { DEFAULT_TOOL_LIST_TTL_MS, ToolListCache } from './tool-list-cache.js'

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
 * One configured server: connects on first use (once, however many callers wait), keeps the
 * connection and its tool list, reconnects after the server went away, and turns SDK failures
 * into `MCPClientError`s. Tool calls go through `tool-call.ts`; resource and prompt requests
 * through `resources.ts` and `prompts.ts`; all of them through `request()`.
 */
export class ServerConnection implements ToolCaller, ToolCallTarget {
  readonly name: string
  readonly definition: ServerDefinition
  readonly timeout: number
  readonly log: Log
  readonly handlers: ServerHandlers = createServerHandlers()
  /** Resource URIs subscribed to; renewed on every new connection. */
  readonly subscriptions = new Set<string>()
  readonly approvalGate: ApprovalGate | undefined
  readonly #validators: InputValidatorCache
  readonly #tools: ToolListCache
  readonly #closed = new AbortController()
  #connection: ClientConnection | undefined
  #connecting: Promise<ClientConnection> | undefined
  #closing: Promise<void> | undefined
  #probing: Promise<void> | undefined
  #progressTokens = 0
  /** Only a custom `fetch` reads the request context: without one, calls skip AsyncLocalStorage. */
  readonly #usesRequestContext: boolean

  constructor(options: ServerConnectionOptions) {
    const { definition } = options
    this.name = options.name
    this.definition = definition
    this.timeout = definition.timeout ?? options.timeout
    this.log = logTo(definition.logger ?? options.logger, options.name)
    this.#validators = options.validators
    this.#tools = new ToolListCache(definition.toolListTtl ?? DEFAULT_TOOL_LIST_TTL_MS)
    this.#usesRequestContext = 'fetch' in definition && definition.fetch !== undefined
    this.approvalGate = approvalGateFor(options.name, definition, options.approval)
    if (this.approvalGate && !options.approval?.handler) {
      this.log(
        'warning',
        '`requireToolApproval` is set but the client has no `approval.handler`: calls it holds will be denied.',
      )
    }
  }

  get isClosed(): boolean {
    return this.#closing !== undefined
  }

  /** Aborts when the client is disconnected. */
  get closed(): AbortSignal {
    return this.#closed.signal
  }

  /** The server's capabilities, once connected. */
  get capabilities(): ServerCapabilities | undefined {
    return this.#connection?.client.getServerCapabilities()
  }

  // ── connection ──────────────────────────────────────────────────────────────

  /** The live connection, opening it (once, however many callers wait) if needed. */
  connect(): Promise<ClientConnection> {
    if (this.#closing) return Promise.reject(disconnectedError(this.name))
    if (this.#connection) return Promise.resolve(this.#connection)
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = undefined
    })
    return this.#connecting
  }

  async #open(): Promise<ClientConnection> {
    const connection = await connectClient({
      serverName: this.name,
      definition: this.definition,
      createClient: () =>
        createSdkClient({
          definition: this.definition,
          handlers: this.handlers,
          outputValidator: this.#validators.outputValidator,
          log: this.log,
          onToolListChanged: () => this.#tools.invalidate(),
        }),
      timeout: this.timeout,
      log: this.log,
      signal: this.#closed.signal,
    })
    if (this.#closing) {
      await connection.close().catch(() => {})
      throw disconnectedError(this.name)
    }
    connection.client.onclose = () => this.#forget(connection)
    connection.onstreamlost = () => this.#probe(connection)
    this.#connection = connection
    this.log('debug', `connected over ${connection.kind}`)
    for (const uri of this.subscriptions) {
      connection.client.subscribeResource({ uri }).catch((error: unknown) => {
        this.log('warning', `could not renew the subscription to ${uri}`, { error: String(error) })
      })
    }
    return connection
  }

  /** Drops a connection that died, so the next call opens a new one. */
  #forget(connection: ClientConnection): void {
    if (this.#connection !== connection) return
    this.#connection = undefined
    this.#tools.invalidate()
    if (!this.#closing) this.log('info', 'connection closed; the next call reconnects')
  }

  #drop(connection: ClientConnection): void {
    this.#forget(connection)
    connection.close().catch(() => {})
  }

  /**
   * Runs `send` on the live connection with the operation's request context. When the session
   * expired (the server did not run the request) the connection is renewed and the request
   * sent once more; when the connection dropped mid-request it is sent again only if the
   * operation is idempotent.
   */
  async request<Result>(
    operation: Operation,
    send: (client: Client) => Promise<Result>,
  ): Promise<Result> {
    for (let attempt = 0; ; attempt++) {
      const connection = this.#connection ?? (await this.connect())
      try {
        return await (this.#usesRequestContext
          ? runWithRequestContext(operation.requestContext, () => send(connection.client))
          : send(connection.client))
      } catch (error) {
        if (this.#closing) throw disconnectedError(this.name, error)
        const failure = connection.failureOf(error)
        if (failure !== 'session-expired' && failure !== 'connection-lost') {
          throw requestError(this.name, operation, error, { timeout: this.timeout, failure })
        }
        this.#drop(connection)
        if (attempt === 0 && (failure === 'session-expired' || operation.idempotent)) {
          this.log('info', `${operation.what}: ${failure}; reconnecting and sending it again`)
          continue
        }
        throw connectionClosedError(this.name, operation, attempt > 0, error)
      }
    }
  }

  /**
   * A response stream ended before its request was answered: is the server still there? The
   * SDK leaves such a request pending until its timeout; if the server is gone (or forgot the
   * session), dropping the connection fails it now, as `CONNECTION_CLOSED` (or sent again if
   * idempotent).
   */
  #probe(connection: ClientConnection): void {
    if (this.#probing || this.#connection !== connection || this.#closing) return
    const ping = () => connection.client.ping({ timeout: Math.min(this.timeout, 5000) })
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

  /** Refuses, before anything is sent, a request the server did not announce it serves. */
  assertCapability(client: Client, capability: 'resources' | 'resources.subscribe' | 'prompts') {
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

  // ── tools ───────────────────────────────────────────────────────────────────

  /** The cached tool list, if it is fresh and the connection it came from is live; no I/O. */
  cachedTools(): readonly MCPTool[] | undefined {
    return this.#connection ? this.#tools.fresh() : undefined
  }

  /** The tool list, from cache when fresh; concurrent callers share one `tools/list`. */
  tools(requestContext: RequestContext | null): Promise<readonly MCPTool[]> {
    return this.#tools.get(async () => {
      const { tools, capabilities } = await this.request(
        { what: 'tools/list', idempotent: true, requestContext },
        async (client) => ({
          tools: (await client.listTools(undefined, { timeout: this.timeout })).tools,
          capabilities: client.getServerCapabilities(),
        }),
      )
      return {
        tools: tools.map((definition) =>
          buildTool({
            id: toolId(this.name, definition.name),
            serverName: this.name,
            definition,
            requireApproval: this.definition.requireToolApproval,
            caller: this,
            log: this.log,
          }),
        ),
        listChanged: capabilities?.tools?.listChanged === true,
      }
    })
  }

  get listedNames(): ReadonlySet<string> | undefined {
    return this.#tools.names
  }

  async listedToolNames(requestContext: RequestContext | null): Promise<ReadonlySet<string>> {
    const names = this.#tools.names
    if (names) return names
    const tools = await this.tools(requestContext)
    // The list just fetched, even if it was not kept (it changed while being fetched).
    return this.#tools.names ?? new Set(tools.map((tool) => tool.name))
  }

  inputCheck(tool: MCPTool): InputCheck {
    return this.#validators.get(tool.inputSchema)
  }

  nextProgressToken(): string {
    return `mcpkit-${++this.#progressTokens}`
  }

  callTool(
    tool: MCPTool,
    input: Record<string, unknown>,
    context: ToolExecutionContext,
  ): Promise<unknown> {
    return callTool(this, tool, input, context)
  }

  needsApproval(
    tool: MCPTool,
    input: Record<string, unknown>,
    requestContext: RequestContext | null,
  ): Promise<boolean> {
    return needsApproval(this, tool, input, requestContext)
  }

  // ── shutdown ────────────────────────────────────────────────────────────────

  /** Closes the connection (or abandons the one being opened). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed.abort()
      await this.#connecting?.catch(() => {})
      const connection = this.#connection
      this.#connection = undefined
      this.#tools.invalidate()
      this.subscriptions.clear()
      if (connection) {
        await connection.close().catch((error: unknown) => {
          this.log('warning', `error while closing: ${String(error)}`)
        })
      }
      clearServerHandlers(this.handlers)
    })()
    return this.#closing
  }
}

/** The approval gate of a server, with mistakes in the settings as configuration errors. */
function approvalGateFor(
  serverName: string,
  definition: ServerDefinition,
  approval: ApprovalOptions | undefined,
): ApprovalGate | undefined {
  const policy = definition.requireToolApproval
  if (policy === undefined || policy === false) return undefined
  try {
    return createApprovalGate({ ...approval, policy })
  } catch (error) {
    throw new MCPClientError(
      'INVALID_CONFIGURATION',
      `Server "${serverName}": invalid tool approval settings: ${error instanceof Error ? error.message : String(error)}`,
      { serverName, cause: error },
    )
  }
}
