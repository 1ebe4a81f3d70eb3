import type { ApprovalGate } from '@mcpkit/tool-approval'
import {
  type ClientConnection,
  connectClient,
  DEFAULT_MAX_RESPONSE_BYTES,
  needsRequestScope,
  runWithRequestContext,
} from '@mcpkit/transports/client'
import {
  type ApprovalOptions,
  type Log,
  type LoggingLevel,
  type LogHandler,
  logTo,
  MCPClientError,
  type ProtocolEra,
  type RequestContext,
  type Root,
  type ServerDefinition,
  type ToolExecutionContext,
} from '@mcpkit/types'
import {
  type Client,
  type DiscoverResult,
  LOG_LEVEL_META_KEY,
  type ResponseCacheStore,
  type ServerCapabilities,
  type SubscriptionFilter,
} from '@modelcontextprotocol/client'
import { scopeStepUp } from './authenticate.js'
import { namespacedStore, PoolResponseStore, type ProtocolEraCache } from './client-cache.js'
import {
  clearServerHandlers,
  createServerHandlers,
  type OnDemandKind,
  type ServerHandlers,
} from './handlers.js'
import type { InputCheck, InputValidatorCache } from './input-validator.js'
import { ServerListen } from './listen-stream.js'
import { buildTool, type MCPTool, type ToolCaller } from './mcp-tool.js'
import { OperationScope, type ScopeRequestOptions } from './operation-scope.js'
import {
  connectionClosedError,
  disconnectedError,
  listTimeoutError,
  type Operation,
  repeatedCursorError,
  requestError,
  responseTooLargeError,
  streamLostError,
} from './request-errors.js'
import { createSdkClient, routeNotifications } from './sdk-client.js'
import { cacheHintOf } from './sdk-contract.js'
import { serverAddressOf, serverKeyOf } from './server-identity.js'
import { approvalGateFor, callTool, needsApproval, type ToolCallTarget } from './tool-call.js'
import { DEFAULT_TOOL_LIST_TTL_MS, ToolListCache, toolsByName } from './tool-list-cache.js'
import { toolIdsOf } from './tool-map.js'
import { type SpanHandle, traced, tracedConnect } from './tracing.js'

/** What a client shares with others of its authorization context (see `MCPClientCacheOptions`). */
export interface SharedCache {
  readonly partition: string
  readonly responses: ResponseCacheStore
  readonly eras: ProtocolEraCache
}

export interface ServerConnectionOptions {
  name: string
  definition: ServerDefinition
  timeout: number
  logger: LogHandler | undefined
  validators: InputValidatorCache
  /** The client's `approval` option: who decides calls that `requireToolApproval` holds. */
  approval: ApprovalOptions | undefined
  cache: SharedCache
}

/** What was negotiated with a server: its era and protocol revision. */
export interface NegotiatedProtocol {
  readonly era: ProtocolEra
  readonly protocolVersion: string
}

/**
 * One configured server: connects on first use (once, however many callers wait), in the
 * protocol era it speaks, keeps the connection, its tool list and (on the 2026-07-28 era) its
 * `subscriptions/listen` stream, reconnects after the server went away, and turns SDK failures
 * into `MCPClientError`s. Tool calls go through `tool-call.ts`; resource and prompt requests
 * through `resources.ts` and `prompts.ts`; all of them through `request()`.
 */
export class ServerConnection implements ToolCaller, ToolCallTarget {
  readonly name: string
  readonly definition: ServerDefinition
  readonly timeout: number
  /** The most bytes one message, or one operation's answers together, may take. */
  readonly maxResponseBytes: number
  readonly log: Log
  readonly handlers: ServerHandlers
  /** Resource URIs subscribed to; renewed on every new connection. */
  readonly subscriptions = new Set<string>()
  readonly approvalGate: ApprovalGate | undefined
  readonly #validators: InputValidatorCache
  readonly #tools = new ToolListCache()
  readonly #toolListTtl: number
  /** Aborted on close(); made when something waits for it (see `closed`). */
  #closed: AbortController | undefined
  /** Abandons the connection being opened, on close(); none once it is open. */
  #abandon: AbortController | undefined
  readonly #cache: SharedCache
  /** This server, as era verdicts and response-cache entries are kept: URL, or command line. */
  readonly #serverKey: string
  /** `server.address` / `server.port` of an HTTP server, for spans. */
  readonly #serverAddress: Record<string, string | number>
  readonly #responses: ResponseCacheStore
  #connection: ClientConnection | undefined
  /** The `subscriptions/listen` stream of the live modern connection. */
  readonly #listen: ServerListen
  #negotiated: NegotiatedProtocol | undefined
  #connecting: Promise<ClientConnection> | undefined
  /** The SDK client of the connection being opened, once made. */
  #opening: Client | undefined
  #closing: Promise<void> | undefined
  #probing: Promise<void> | undefined
  #progressTokens = 0
  /** Requests under way (`request()`). */
  #inFlight = 0
  /** `park()` found requests under way: the connection rests once they are done. */
  #restWhenQuiet = false
  /**
   * The server's `server/discover` answer while the connection is at rest (`#rest()`): what
   * the closed connection knew of the server. While it is set, the cached tool list stays in use.
   */
  #rested: DiscoverResult | undefined
  /** Only a custom `fetch` reads the request context: without one, calls skip AsyncLocalStorage. */
  readonly #usesRequestContext: boolean
  /** The log level a modern request asks for (`requestMeta`); none when nobody hears the lines. */
  readonly #modernLogLevel: LoggingLevel | undefined

  constructor(options: ServerConnectionOptions) {
    const { definition } = options
    this.name = options.name
    this.definition = definition
    this.timeout = definition.timeout ?? options.timeout
    this.maxResponseBytes = definition.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
    const logger = definition.logger ?? options.logger
    this.log = logTo(logger, options.name)
    this.#modernLogLevel =
      logger && definition.enableServerLogs !== false
        ? (definition.serverLogLevel ?? 'info')
        : undefined
    this.handlers = createServerHandlers(definition.roots)
    this.#validators = options.validators
    this.#toolListTtl = definition.toolListTtl ?? DEFAULT_TOOL_LIST_TTL_MS
    this.#usesRequestContext = 'fetch' in definition && definition.fetch !== undefined
    this.#cache = options.cache
    this.#listen = new ServerListen({
      wanted: (definition as { notificationStream?: boolean }).notificationStream !== false,
      subscriptions: this.subscriptions,
      timeout: this.timeout,
      log: this.log,
      // A change may have gone by unseen: the tool list is fetched again on next use.
      onLost: () => this.#tools.invalidate(),
    })
    this.#serverKey = serverKeyOf(definition)
    this.#serverAddress = serverAddressOf(definition)
    this.#responses = namespacedStore(
      options.cache.responses,
      JSON.stringify([options.name, this.#serverKey]),
    )
    this.approvalGate = approvalGateFor(options.name, definition, options.approval)
    if (this.approvalGate && !options.approval?.handler) {
      this.log(
        'warning',
        "`requireToolApproval` is set but the client has no `approval.handler`: calls it holds will be denied, unless an agent framework's own approval flow approved them (`@mcpkit/ai-sdk`, Mastra's requireToolApproval).",
      )
    }
  }

  get isClosed(): boolean {
    return this.#closing !== undefined
  }

  /** Aborts when the client is disconnected. */
  get closed(): AbortSignal {
    if (!this.#closed) {
      this.#closed = new AbortController()
      if (this.#closing) this.#closed.abort()
    }
    return this.#closed.signal
  }

  /** The server's capabilities, once connected. */
  get capabilities(): ServerCapabilities | undefined {
    const connection = this.#connection
    return connection ? connection.client.getServerCapabilities() : this.#rested?.capabilities
  }

  /** The server's instructions, once connected; `undefined` when it gave none. */
  get instructions(): string | undefined {
    const connection = this.#connection
    return connection ? connection.client.getInstructions() : this.#rested?.instructions
  }

  /** Drops the live connection (its in-flight calls reject) and opens a new one. */
  async reconnect(): Promise<void> {
    await this.#connecting?.catch(() => {})
    const connection = this.#connection
    if (connection) this.#drop(connection)
    await this.connect()
  }

  /** The era and revision negotiated by the latest connection; `undefined` before the first. */
  get negotiated(): NegotiatedProtocol | undefined {
    return this.#negotiated
  }

  // ── connection ──────────────────────────────────────────────────────────────

  /** The live connection, opening it (once, however many callers wait) if needed. */
  connect(): Promise<ClientConnection> {
    if (this.#closing) return Promise.reject(disconnectedError(this.name))
    if (this.#connection) return Promise.resolve(this.#connection)
    this.#connecting ??= tracedConnect(
      this.name,
      () => this.#open(),
      (connection) => this.#spanAttributes(connection),
    ).finally(() => {
      this.#connecting = undefined
    })
    return this.#connecting
  }

  async #open(): Promise<ClientConnection> {
    const { partition, eras } = this.#cache
    // At rest, the closed connection's discover answer serves even after the era cache let
    // its verdict go (its TTL, or its cap with many users): waking never needs a round trip.
    const rested = this.#rested
    const verdict =
      eras.get(partition, this.#serverKey) ??
      (rested ? ({ era: 'modern', discover: rested } as const) : undefined)
    let connection: ClientConnection
    // Ajv loads (the first time) while the connection opens: every tool comes after it.
    const validatorsReady = this.#validators.ready()
    validatorsReady.catch(() => {}) // awaited below; not unhandled if the connect fails first
    // Its own signal, not `closed`'s: an open connection then keeps none.
    const abandon = new AbortController()
    if (this.#closing) abandon.abort()
    this.#abandon = abandon
    try {
      connection = await connectClient({
        serverName: this.name,
        definition: this.definition,
        createClient: () =>
          (this.#opening = createSdkClient({
            serverName: this.name,
            definition: this.definition,
            handlers: this.handlers,
            outputValidator: this.#validators.outputValidator,
            log: this.log,
            onToolListChanged: () => {
              this.log('debug', "the server's tool list changed")
              this.#tools.invalidate()
            },
            responseCache: { store: this.#responses, partition },
          })),
        timeout: this.timeout,
        verdict,
        log: this.log,
        signal: abandon.signal,
      })
      await validatorsReady
    } catch (error) {
      if (verdict) eras.delete(partition, this.#serverKey)
      throw error
    } finally {
      this.#abandon = undefined
      this.#opening = undefined
    }
    if (this.#closing) {
      await connection.close().catch(() => {})
      throw disconnectedError(this.name)
    }
    eras.set(partition, this.#serverKey, connection.verdict)
    this.#rested = undefined
    connection.client.onclose = () => this.#forget(connection)
    connection.onstreamlost = () => this.#probe(connection)
    this.#connection = connection
    this.#negotiated = { era: connection.era, protocolVersion: connection.protocolVersion }
    this.log(
      'debug',
      `connected over ${connection.kind}, protocol ${connection.protocolVersion} (${connection.era} era)`,
    )
    this.#listen.connected(connection)
    if (connection.era === 'legacy') this.#legacySetup(connection)
    return connection
  }

  /** A legacy connection: the server log level (when asked for), and the subscriptions. */
  #legacySetup(connection: ClientConnection): void {
    const { client } = connection
    const level = this.definition.serverLogLevel
    if (
      level &&
      this.definition.enableServerLogs !== false &&
      client.getServerCapabilities()?.logging
    ) {
      client.setLoggingLevel(level, { timeout: this.timeout }).catch((error: unknown) => {
        this.log('warning', `could not set the server's log level to ${level}: ${String(error)}`)
      })
    }
    for (const uri of this.subscriptions) {
      client.subscribeResource({ uri }).catch((error: unknown) => {
        this.log('warning', `could not renew the subscription to ${uri}`, { error: String(error) })
      })
    }
  }

  /**
   * Re-opens the listen stream of the live modern connection with the current subscriptions,
   * and returns what the server honours; `undefined` on a legacy connection.
   */
  async relisten(): Promise<SubscriptionFilter | undefined> {
    const connection = await this.connect()
    return connection.era === 'modern' ? this.#listen.open(connection) : undefined
  }

  /**
   * A handler of `kind` was added: the live connection routes that kind to the handlers, and
   * one without a standing stream (`notificationStream: false`) opens its listen stream now,
   * or on connect.
   */
  listenForNotifications(kind: OnDemandKind): void {
    // A connection made later routes every kind that has handlers (`createSdkClient`).
    const live = this.#connection?.client ?? this.#opening
    if (live) routeNotifications(live, kind, this.handlers, this.log)
    this.wantStandingStream()
  }

  /**
   * Something asked for what the server sends unasked (a handler, a subscription): the
   * standing stream opens if there was none, on every connection from now on, and is never
   * parked.
   */
  wantStandingStream(): void {
    this.#listen.want(this.#connection)
    this.#wakeForStream()
  }

  /**
   * The client idles in a pool. Its standing stream closes, unless something asked for it
   * (`wantStandingStream`). What the server announces meanwhile goes unheard, so from now on
   * the tool list is fresh for `toolListTtl` at most, as without a stream. A connection that
   * holds nothing then rests (see `#rest()`).
   */
  park(): void {
    if (this.#listen.park(this.#connection)) this.#tools.expireWithin(this.#toolListTtl)
    if (this.#inFlight === 0) this.#rest()
    else this.#restWhenQuiet = true
  }

  /** The client is in use again: a parked standing stream opens now. */
  resume(): void {
    this.#restWhenQuiet = false
    this.#listen.resume(this.#connection)
    this.#wakeForStream()
  }

  /**
   * Lets go of an idle stateless connection: one on the 2026-07-28 era over HTTP, with no
   * stream open and no request under way, has nothing the server or the next request needs.
   * Its SDK client and transport are most of what an idle client weighs. The next request
   * opens a new one from the era verdict, which holds the server's `server/discover` answer,
   * so no request goes out for it. The tool list, the server's capabilities and instructions
   * stay. A legacy connection has a session, and a stdio one its server process: those stay.
   */
  #rest(): void {
    this.#restWhenQuiet = false
    const connection = this.#connection
    if (
      connection?.verdict.era !== 'modern' ||
      connection.kind === 'stdio' ||
      this.#listen.holdsStream ||
      this.#probing ||
      this.#closing
    ) {
      return
    }
    this.#connection = undefined
    this.#rested = connection.verdict.discover
    this.log('debug', 'idle: the stateless connection is let go until the next request')
    connection.close().catch(() => {})
  }

  /** At rest, with a stream wanted again: the connection opens now, and its stream with it. */
  #wakeForStream(): void {
    if (this.#connection || !this.#rested || this.#closing || !this.#listen.active) return
    this.connect().then(
      () => this.#listen.due(),
      () => {}, // the next request reports it
    )
  }

  /** Drops a connection that died, so the next call opens a new one. */
  #forget(connection: ClientConnection): void {
    if (this.#connection !== connection) return
    this.#connection = undefined
    void this.#listen.close()
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
   * operation is idempotent. `send` gets the connection's era to shape the request, and the
   * options of the attempt's scope to spread into the SDK call's options (`undefined` when it
   * has none: one stdio request).
   */
  async request<Result>(
    operation: Operation,
    send: (
      client: Client,
      era: ProtocolEra,
      options: ScopeRequestOptions | undefined,
    ) => Promise<Result>,
  ): Promise<Result> {
    /** Made on the first failure: a step-up is tried once per operation, across its attempts. */
    let stepUp: ((error: unknown) => Promise<boolean>) | undefined
    this.#inFlight++
    try {
      for (let attempt = 0; ; attempt++) {
        // A stream just broke and the server is being asked whether it is still there: a request
        // sent now could be cut by the answer, and then nobody could say whether it ran. It waits.
        if (this.#probing) await this.#probing
        let connection: ClientConnection
        try {
          connection = this.#connection ?? (await this.connect())
        } catch (error) {
          stepUp ??= this.#stepUp(operation)
          if (await stepUp(error)) continue
          throw error
        }
        // A new connection's listen stream goes out before any request that follows the first.
        this.#listen.openDue()
        // What the transports see of this attempt (answer bytes, lost streams) and its deadline;
        // none where it would add nothing (one stdio request: see `needsRequestScope`).
        const scope = needsRequestScope(connection.kind, operation)
          ? new OperationScope({
              maxBytes: this.maxResponseBytes,
              deadline: operation.list ? (this.definition.listTimeout ?? this.timeout) : undefined,
            })
          : undefined
        if (operation.span?.recording)
          operation.span.setAttributes(this.#spanAttributes(connection))
        try {
          // No closure on this path unless the definition's `fetch` reads the request context.
          return await (this.#usesRequestContext
            ? sendWithRequestContext(operation.requestContext, send, connection, scope)
            : send(connection.client, connection.era, scope?.requestOptions))
        } catch (error) {
          // Out of line: this frame is allocated for every request, its failures are rare.
          stepUp ??= this.#stepUp(operation)
          await this.#sendAgainAfter(error, attempt, connection, operation, scope, stepUp)
        } finally {
          scope?.dispose()
          if (this.#connection === connection) this.#listen.due()
        }
      }
    } finally {
      if (--this.#inFlight === 0 && this.#restWhenQuiet) this.#rest()
    }
  }

  /**
   * Resolves when `request()` is to send the operation again after `error` failed its attempt
   * on `connection`: once after a lost stream or connection when it is idempotent, after an
   * expired session, after a scope step-up. Otherwise it throws the error the caller gets.
   */
  async #sendAgainAfter(
    error: unknown,
    attempt: number,
    connection: ClientConnection,
    operation: Operation,
    scope: OperationScope | undefined,
    stepUp: (error: unknown) => Promise<boolean>,
  ): Promise<void> {
    if (this.#closing) throw disconnectedError(this.name, error)
    const cut = scope?.failure
    if (cut?.kind === 'too-large') {
      throw responseTooLargeError(this.name, operation, cut.max, error)
    }
    if (cut?.kind === 'deadline') throw listTimeoutError(this.name, operation, cut.ms, error)
    if (cut?.kind === 'repeated-cursor') {
      throw repeatedCursorError(this.name, operation, cut.cursor, error)
    }
    if (cut?.kind === 'stream-lost') {
      // The server ended this request's stream unanswered; the connection itself may be fine.
      if (attempt === 0 && operation.idempotent) {
        this.log(
          'info',
          `${operation.what}: the response stream ended unanswered; sending it again`,
        )
        return
      }
      throw streamLostError(this.name, operation, attempt > 0, error)
    }
    if (await stepUp(error)) return
    const failure = connection.failureOf(error)
    if (failure === 'response-too-large') {
      this.#drop(connection)
      throw responseTooLargeError(this.name, operation, this.maxResponseBytes, error)
    }
    if (failure !== 'session-expired' && failure !== 'connection-lost') {
      throw requestError(this.name, operation, error, {
        timeout: this.timeout,
        failure,
        era: connection.era,
      })
    }
    this.#drop(connection)
    if (attempt === 0 && (failure === 'session-expired' || operation.idempotent)) {
      this.log('info', `${operation.what}: ${failure}; reconnecting and sending it again`)
      return
    }
    throw connectionClosedError(this.name, operation, attempt > 0, error)
  }

  /** The 403 `insufficient_scope` step-up of one operation (see `scopeStepUp`). */
  #stepUp(operation: Operation): (error: unknown) => Promise<boolean> {
    return scopeStepUp({
      serverName: this.name,
      definition: this.definition,
      log: this.log,
      what: operation.what,
    })
  }

  /**
   * `request()` in a CLIENT span: named `<method> <target>` (just `<method>` without a target),
   * with `mcp.method.name` and `attributes`. `send` gets the request's `_meta`, the era's keys
   * and the span's W3C trace context together, so the server's span joins the caller's trace.
   */
  tracedRequest<Result>(
    span: { method: string; target?: string; attributes?: Record<string, string> },
    operation: Operation,
    send: (
      client: Client,
      era: ProtocolEra,
      options: ScopeRequestOptions | undefined,
      meta: Record<string, unknown> | undefined,
    ) => Promise<Result>,
  ): Promise<Result> {
    const { method, target } = span
    return traced(
      target === undefined ? method : `${method} ${target}`,
      { 'mcp.method.name': method, 'mcpkit.server.name': this.name, ...span.attributes },
      (handle: SpanHandle) =>
        this.request({ ...operation, span: handle }, (client, era, options) => {
          const meta = { ...this.requestMeta(era), ...handle.meta }
          return send(client, era, options, Object.keys(meta).length > 0 ? meta : undefined)
        }),
    )
  }

  /**
   * The semantic conventions' attributes of a request sent on `connection`: its revision,
   * session (2025 Streamable HTTP), transport, and the server's address.
   */
  #spanAttributes(connection: ClientConnection): Record<string, string | number> {
    const sessionId = connection.transport.sessionId
    return {
      'mcp.protocol.version': connection.protocolVersion,
      'mcpkit.protocol.era': connection.era,
      'network.transport': connection.kind === 'stdio' ? 'pipe' : 'tcp',
      ...(connection.kind === 'stdio' ? {} : { 'network.protocol.name': 'http' }),
      ...(sessionId ? { 'mcp.session.id': sessionId } : {}),
      ...this.#serverAddress,
    }
  }

  /**
   * The `_meta` every modern request carries: the log level asked of the server (a 2026-07-28
   * server sends no log lines for a request without one), when a `logger` hears them and
   * `enableServerLogs` is not off; lines nobody reads would cost the server their work and the
   * wire their bytes. Nothing on the legacy era. A new object each time: the caller adds its
   * own keys to it.
   */
  requestMeta(era: ProtocolEra): Record<string, unknown> | undefined {
    const level = this.#modernLogLevel
    return era === 'modern' && level ? { [LOG_LEVEL_META_KEY]: level } : undefined
  }

  /**
   * A response stream ended before its request was answered: is the server still there? The
   * SDK leaves such a request pending until its timeout; if the server is gone (or forgot the
   * session), dropping the connection fails it now, as `CONNECTION_CLOSED` (or sent again if
   * idempotent). The 2026-07-28 era has no `ping`; `server/discover` asks the same.
   */
  #probe(connection: ClientConnection): void {
    if (this.#probing || this.#connection !== connection || this.#closing) return
    const options = { timeout: Math.min(this.timeout, 5000) }
    const ask = () =>
      connection.era === 'modern'
        ? connection.client.discover(options)
        : connection.client.ping(options)
    this.#probing = (this.#usesRequestContext ? runWithRequestContext(null, ask) : ask())
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

  // ── roots ───────────────────────────────────────────────────────────────────

  /**
   * Replaces the roots offered to the server and tells a live legacy connection they changed
   * (`notifications/roots/list_changed`; a modern server asks for them on each request that
   * needs them). A connection opened without the `roots` capability learns of them only when
   * it is renewed.
   */
  setRoots(roots: readonly Root[]): void {
    const announced = this.handlers.roots !== undefined || this.definition.capabilities?.roots
    this.handlers.roots = roots.map((root) => ({ ...root }))
    const connection = this.#connection
    if (!connection) return
    if (!announced) {
      this.log(
        'warning',
        'roots set after connecting without the roots capability: they are offered from the next connection on',
      )
      return
    }
    if (connection.era === 'legacy') {
      connection.client.sendRootsListChanged().catch((error: unknown) => {
        this.log('warning', `could not tell the server its roots changed: ${String(error)}`)
      })
    }
  }

  // ── tools ───────────────────────────────────────────────────────────────────

  /**
   * The cached tool list, if it is fresh and the connection it came from is live or at rest;
   * no I/O.
   */
  cachedTools(): readonly MCPTool[] | undefined {
    return this.#connection || this.#rested ? this.#tools.fresh() : undefined
  }

  /**
   * The tool list, from cache when fresh; concurrent callers share one `tools/list`. A list is
   * fresh until the server says it changed, when it will say so (`tools.listChanged`, on the
   * modern era through an acknowledged listen stream); otherwise for the server's `ttlMs` hint
   * (modern era), or `toolListTtl`.
   */
  tools(requestContext: RequestContext | null): Promise<readonly MCPTool[]> {
    return this.#tools.get(async () => {
      const { tools, freshFor } = await this.tracedRequest(
        { method: 'tools/list' },
        { what: 'tools/list', idempotent: true, list: true, requestContext },
        async (client, era, options, meta) => {
          const result = await client.listTools(meta ? { _meta: meta } : undefined, {
            timeout: this.timeout,
            ...options,
          })
          // Read once the answer came: a stream that opened meanwhile counts.
          const notified =
            era === 'modern'
              ? this.#listen.honored?.toolsListChanged === true
              : client.getServerCapabilities()?.tools?.listChanged === true &&
                this.#connection?.standingStream?.open !== false
          const hint = era === 'modern' ? cacheHintOf(result).ttlMs : undefined
          return {
            tools: result.tools,
            freshFor: notified ? Number.POSITIVE_INFINITY : (hint ?? this.#toolListTtl),
          }
        },
      )
      const ids = toolIdsOf(
        this.name,
        tools.map((definition) => definition.name),
      )
      return {
        tools: tools.map((definition, index) =>
          buildTool({
            id: ids[index]!,
            serverName: this.name,
            definition,
            requireApproval: this.definition.requireToolApproval,
            caller: this,
            log: this.log,
          }),
        ),
        freshFor,
      }
    })
  }

  /** Forgets the tool list, so the next use lists the tools again. */
  invalidateTools(): void {
    this.#tools.invalidate()
  }

  get listedTools(): ReadonlyMap<string, MCPTool> | undefined {
    return this.#tools.byName
  }

  async currentTools(requestContext: RequestContext | null): Promise<ReadonlyMap<string, MCPTool>> {
    const listed = this.#tools.byName
    if (listed) return listed
    const tools = await this.tools(requestContext)
    // The list just fetched, even if it was not kept (it changed while being fetched).
    return this.#tools.byName ?? toolsByName(tools)
  }

  inputCheck(tool: MCPTool): InputCheck {
    return this.#validators.get(tool.inputSchema)
  }

  progressToken(runId: string | undefined): string | undefined {
    // The server is asked for progress only when a handler would hear it.
    if (this.definition.enableProgressTracking === false || !this.handlers.progress?.size) {
      return undefined
    }
    return runId ?? `mcpkit-${++this.#progressTokens}`
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

  approvalPrincipal(requestContext: RequestContext | null): string {
    if (!this.approvalGate) return 'anonymous'
    return this.approvalGate.principal(requestContext)
  }

  // ── shutdown ────────────────────────────────────────────────────────────────

  /** Closes the connection (or abandons the one being opened). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed?.abort()
      this.#abandon?.abort()
      await this.#connecting?.catch(() => {})
      const connection = this.#connection
      this.#connection = undefined
      const listenClosed = this.#listen.close()
      this.#tools.invalidate()
      this.#rested = undefined
      this.subscriptions.clear()
      await listenClosed
      if (connection) {
        await connection.close().catch((error: unknown) => {
          this.log('warning', `error while closing: ${String(error)}`)
        })
      }
      clearServerHandlers(this.handlers)
      // A pool's own store keeps only what its live clients use (see `PoolResponseStore`).
      if (this.#cache.responses instanceof PoolResponseStore) await this.#responses.clear()
    })()
    return this.#closing
  }
}

/** One attempt of `request()` with its request context readable by the definition's `fetch`. */
function sendWithRequestContext<Result>(
  requestContext: RequestContext | null,
  send: (
    client: Client,
    era: ProtocolEra,
    options: ScopeRequestOptions | undefined,
  ) => Promise<Result>,
  connection: ClientConnection,
  scope: OperationScope | undefined,
): Promise<Result> {
  return runWithRequestContext(requestContext, () =>
    send(connection.client, connection.era, scope?.requestOptions),
  )
}
