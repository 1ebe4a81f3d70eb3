import type { LoggingLevel, LogHandler } from './logging.js'
import type { ProtocolVersionOption } from './protocol-version.js'
import type { RequestContext } from './request-context.js'
import type { RequireToolApproval } from './tool.js'

/**
 * What this client offers servers (MCP `ClientCapabilities`). mcpkit adds `elicitation` itself
 * when a handler is registered before the connection opens.
 */
export interface ClientCapabilities {
  experimental?: Record<string, object>
  roots?: { listChanged?: boolean }
  sampling?: Record<string, unknown>
  elicitation?: Record<string, unknown>
  [capability: string]: unknown
}

/** `fetch` with a third argument: the request context of the call that caused the request. */
export type FetchWithContext = (
  url: string | URL,
  init: RequestInit | undefined,
  requestContext: RequestContext | null,
) => Promise<Response>

/** The subset of the `eventsource` package's init options the SSE transport uses. */
export interface EventSourceInit {
  fetch?: (url: string | URL, init?: RequestInit) => Promise<Response>
  withCredentials?: boolean
}

/**
 * An SDK `OAuthClientProvider` (e.g. `MCPOAuthClientProvider`, `createSimpleTokenProvider()`),
 * typed structurally so this package needs no SDK: the members the SDK requires, with loose
 * types. Any SDK provider is assignable as it is; an object that lacks one of them is not.
 */
export interface AuthProvider {
  readonly redirectUrl: string | URL | undefined
  readonly clientMetadata: object
  clientInformation(): unknown
  tokens(): unknown
  // Method syntax keeps parameters bivariant, so providers typed with the SDK's own parameter
  // types (`OAuthTokens`, …) fit.
  saveTokens(tokens: never): unknown
  redirectToAuthorization(authorizationUrl: URL): unknown
  saveCodeVerifier(codeVerifier: string): unknown
  codeVerifier(): unknown
  /**
   * What a 403 `insufficient_scope` does, as the SDK transport option of that name: the SDK
   * re-authorizes by itself (`'reauthorize'`, its default), or passes the answer up
   * (`'throw'`) for `MCPClient` to step up through `@mcpkit/oauth`. `@mcpkit/oauth`'s
   * providers say `'throw'`.
   */
  readonly onInsufficientScope?: 'reauthorize' | 'throw'
}

/** A root the client offers a server (MCP `Root`): a `file://` URI, optionally named. */
export interface Root {
  uri: string
  name?: string
}

/** Options every server definition takes, whatever its transport. */
/** W3C trace fields sent in a request's `_meta` (`traceparent`, `tracestate`, `baggage`). */
export interface MCPTraceContext {
  traceparent: string
  tracestate?: string
  baggage?: string
}

export interface ServerDefinitionOptions {
  /**
   * The protocol era to speak: `'auto'` (default) detects it, `'2026-07-28'` or `'legacy'`
   * pins it. See `ProtocolVersionOption`.
   */
  protocolVersion?: ProtocolVersionOption
  /** Receives this server's log lines (mcpkit's own, and the server's when enabled). */
  logger?: LogHandler
  /** Milliseconds for connecting and for each request. Default: the client's `timeout`. */
  timeout?: number
  /** Capabilities announced to this server. */
  capabilities?: ClientCapabilities
  /** Forward the server's `notifications/message` to `logger`. Default `true`. */
  enableServerLogs?: boolean
  /**
   * The lowest level of server log lines asked for. On the modern era every request carries it
   * (a server sends no log lines for a request that does not ask); on the legacy era it is sent
   * once per connection with `logging/setLevel`, and only when set. Default `'info'` on the
   * modern era; on the legacy era the server's own default.
   */
  serverLogLevel?: LoggingLevel
  /**
   * The roots offered to this server (`roots/list`, on both eras). Setting it announces the
   * `roots` capability; `MCPClient.roots.set()` changes the list later and tells the server.
   */
  roots?: readonly Root[]
  /**
   * Attach a `progressToken` to tool calls made while a `progress.onUpdate` handler of this
   * server is registered, so it hears their progress. Default `true`.
   */
  enableProgressTracking?: boolean
  /**
   * Whether a call needs human approval before it is sent. Stored on each tool
   * (`tool.requireApproval`); enforced by `@mcpkit/tool-approval`.
   */
  requireToolApproval?: RequireToolApproval
  /**
   * How long a fetched tool list stays fresh, in milliseconds, for servers that do not
   * announce `tools.listChanged`, and while no standing stream is open to hear them. Servers
   * that do, over an open stream, are re-listed only when they say the list changed, or after
   * a reconnect. Default `10000`.
   */
  toolListTtl?: number
  /**
   * What a tool result with `isError: true` does: `'throw'` a `ToolExecutionError` (default)
   * or `'return'` the result to the caller as it is.
   */
  toolErrors?: 'throw' | 'return'
  /**
   * The most bytes the server may send: in one message (a stdio line, an SSE event, a JSON
   * body), and for one request's answers together (every page of a list, a tool call's
   * stream). Beyond it the request fails with `RESPONSE_TOO_LARGE` (a stdio server's
   * connection ends: its stream cannot be read past the line). Default 16 MiB.
   */
  maxResponseBytes?: number
  /**
   * The most pages a list (`tools/list`, `resources/list`, `resources/templates/list`,
   * `prompts/list`) may take; a server whose `nextCursor` goes on fails the list with
   * `SERVER_ERROR`, as one that returns a cursor a second time does at once. Default `64`.
   */
  maxListPages?: number
  /**
   * Milliseconds a whole list may take, every page together (each page also has `timeout`).
   * Beyond it the list fails with `REQUEST_TIMEOUT`. Default: the server's `timeout`.
   */
  listTimeout?: number
  /**
   * The W3C trace context to send in every tool call's `_meta` (`@mastra/mcp` 2.x's option),
   * read when each call is sent. Without it, calls carry the trace context of mcpkit's own
   * span when OpenTelemetry is installed.
   */
  traceContext?: () => MCPTraceContext | undefined
}

/** A server started as a child process, spoken to over stdin/stdout. */
export interface StdioServerDefinition extends ServerDefinitionOptions {
  command: string
  args?: readonly string[]
  /** Added to a minimal inherited environment (PATH, HOME, …), not to all of `process.env`. */
  env?: Record<string, string>
  cwd?: string
  /** Where the child's stderr goes: `'inherit'` (default), each line to `logger`, or nowhere. */
  stderr?: 'inherit' | 'logger' | 'ignore'
  url?: never
}

/** A server reached over HTTP: Streamable HTTP, or legacy SSE. */
export interface HttpServerDefinition extends ServerDefinitionOptions {
  url: URL | string
  /**
   * `'auto'` (default) tries Streamable HTTP and falls back to legacy SSE only when the first
   * POST is answered 400, 404 or 405, as the MCP backwards-compatibility rules say.
   */
  transport?: 'auto' | 'streamable-http' | 'sse'
  /** Applied to every HTTP request, the SSE stream included. */
  requestInit?: RequestInit
  /** Options for the legacy SSE stream; its `fetch` is used for the stream's GET. */
  eventSourceInit?: EventSourceInit
  /** Used for every HTTP request this server's connection makes. */
  fetch?: FetchWithContext
  /** OAuth for this server (an SDK `OAuthClientProvider`, e.g. `MCPOAuthClientProvider`). */
  authProvider?: AuthProvider
  /**
   * Whether the connection holds a standing stream for what the server sends unasked (list
   * changes, resource updates, log lines between calls): the Streamable HTTP `GET` stream on
   * the legacy era, `subscriptions/listen` on the 2026-07-28 one. Default `true`. `false`
   * holds none while idle (no socket, ~31–43 KB less heap per idle client): the tool list is
   * then fresh for the server's `ttlMs` hint or `toolListTtl`, and the stream opens only when
   * `resources.subscribe` or an `onUpdated` / `onListChanged` handler asks for it. Answers to
   * calls are unaffected. `MCPClientPool` closes the stream of idle clients by itself
   * (`streamIdleTtl`).
   */
  notificationStream?: boolean
  command?: never
}

/** One entry of `servers`: stdio when it has `command`, HTTP when it has `url`. */
export type ServerDefinition = StdioServerDefinition | HttpServerDefinition
