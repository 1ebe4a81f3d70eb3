import type { ServeStdioOptions } from '@mcpkit/transports/node'
import type {
  HttpServerSecurityOptions,
  SessionOptions,
  StreamableHttpHandlerOptions,
} from '@mcpkit/transports/server'
import type {
  LogHandler,
  MCPAgent,
  MCPWorkflow,
  ProtocolVersionOption,
  ResourceAuth,
} from '@mcpkit/types'
import type {
  CacheHint,
  Prompt,
  PromptMessage,
  Tool as ProtocolTool,
  Resource,
  ResourceTemplateType,
  ServerEventBus,
} from '@modelcontextprotocol/server'
import type { MCPServerCacheHints } from './cache-hints.js'
import type { ClientInput } from './client-input.js'
import type { RequestExtra } from './request-extra.js'
import type { RequestStateOptions } from './request-state.js'
import type { MCPServerTool } from './server-tool.js'

/** Text or base64 content of a resource, as `getResourceContent` returns it. */
export type MCPServerResourceContent = ({ text: string } | { blob: string }) & {
  uri?: string
  mimeType?: string
  /**
   * How long 2026-07-28 clients may cache this `resources/read` result, and who may, over the
   * server's `cacheHints` (with several parts: the shortest TTL, and `private` if one is).
   */
  cacheHint?: CacheHint
}

/** A completion answer: values, or values with `total` / `hasMore`. */
export type CompletionAnswer = string[] | { values: string[]; total?: number; hasMore?: boolean }

/** The `resources` option: callbacks the server answers resource requests with. */
export interface MCPServerResources {
  listResources(context: { extra: RequestExtra }): Promise<Resource[]> | Resource[]
  /**
   * The content of `uri`. It may ask the client for input (`elicitation`, `sampling`, `roots`)
   * on both eras; on 2026-07-28 it then runs again for the same read (see `ClientInput`).
   */
  getResourceContent(
    request: {
      uri: string
      extra: RequestExtra
    } & ClientInput,
  ):
    | Promise<MCPServerResourceContent | MCPServerResourceContent[]>
    | MCPServerResourceContent
    | MCPServerResourceContent[]
  resourceTemplates?(context: {
    extra: RequestExtra
  }): Promise<ResourceTemplateType[]> | ResourceTemplateType[]
  /** Suggestions for a template variable (`completion/complete` with `ref/resource`). */
  completeArgument?(request: {
    uriTemplate: string
    argument: { name: string; value: string }
    arguments: Record<string, string>
  }): Promise<CompletionAnswer> | CompletionAnswer
}

/** A prompt as listed; `version` is a Mastra extension clients may pass to `prompts/get`. */
export type MCPServerPrompt = Prompt & { version?: string }

/** What `getPromptMessages` returns: the seed's `{ prompt?, messages }`, or the messages alone. */
export type MCPServerPromptMessages =
  | { prompt?: MCPServerPrompt; messages: PromptMessage[] }
  | PromptMessage[]

/** The `prompts` option. */
export interface MCPServerPrompts {
  listPrompts(context: { extra: RequestExtra }): Promise<MCPServerPrompt[]> | MCPServerPrompt[]
  /**
   * The messages of a prompt: `{ prompt?, messages }` (the seed's shape) or the bare
   * `PromptMessage[]` (`@mastra/mcp`'s types). It may ask the client for input
   * (`elicitation`, `sampling`, `roots`) on both eras; on 2026-07-28 it then runs again for the
   * same `prompts/get` (see `ClientInput`).
   */
  getPromptMessages?(
    request: {
      name: string
      version?: string
      args: Record<string, string>
      extra: RequestExtra
    } & ClientInput,
  ): Promise<MCPServerPromptMessages> | MCPServerPromptMessages
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
  /** Sent to clients in `initialize` (2025) and `server/discover` (2026-07-28). */
  instructions?: string
  /**
   * Which protocol eras the server speaks, on every transport: `'auto'` (default) both, on one
   * endpoint, deciding per request (HTTP) or per connection (stdio); `'2026-07-28'` only the
   * stateless revision (2025 clients' `initialize` is refused naming the supported version);
   * `'legacy'` only the 2025 revisions. Legacy SSE (`startSSE`, `startHonoSSE`) is always 2025.
   */
  protocolVersion?: ProtocolVersionOption
  /**
   * The key and lifetime of the signed `requestState` of 2026-07-28 `input_required` answers
   * (`@mastra/mcp` 2.x's option). Default: a random key per server and 600 s: set `key` from
   * your secrets when several processes serve one endpoint.
   */
  requestState?: RequestStateOptions
  /**
   * Cache hints of the 2026-07-28 results (`server/discover`, the lists, `resources/read`):
   * `{ ttlMs, cacheScope }` for all of them, and per method (`'tools/list': { … }`). Default:
   * `ttlMs: 0`, `'private'`.
   */
  cacheHints?: MCPServerCacheHints
  /**
   * Where 2026-07-28 `subscriptions/listen` streams get the server's change events
   * (`tools.notifyListChanged()`, `resources.notifyUpdated()`, …). Default: in memory, for this
   * process; a shared implementation (Redis pub/sub) reaches the streams of every process.
   */
  eventBus?: ServerEventBus
  /** The server's own log lines: tool failures with stacks, warnings. */
  logger?: LogHandler
  /**
   * OAuth protection (`createProtectedResource(...)` from `@mcpkit/oauth`): every HTTP request
   * needs a valid bearer token, the metadata document is served, the token's principal becomes
   * `extra.authInfo` and owns the session, and tool calls need their scopes. It decides
   * `authInfo` alone: a host middleware's `req.auth` is ignored.
   */
  auth?: ResourceAuth
  /**
   * Longest a tool call may run, in ms (a tool's own `timeoutMs` overrides it). Past it the
   * call is answered with an `isError` result and the tool's `extra.signal` aborts, so a call
   * that never returns cannot pin its session (or a stateless request) forever. Default 10
   * minutes; `Infinity` turns the bound off.
   */
  toolTimeoutMs?: number
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

/**
 * `startHTTP` / `createFetchHandler` options: the SDK transport's, plus security, sessions and
 * `maxSubscriptions` (the eras and the event bus are the server's: `protocolVersion`,
 * `eventBus` in the config).
 */
export type HttpTransportOptions = Omit<
  StreamableHttpHandlerOptions,
  'createServer' | 'log' | 'protocolVersion' | 'eventBus' | 'toolInputSchema'
>

/**
 * `startStdio` options: the bounds against a client that misbehaves (`maxBodyBytes`: the longest
 * message, default 4 MiB; `maxRequestsInFlight`: requests answered at once before stdin waits,
 * default 100; `maxBufferedBytesPerStream`: unread stdout bytes before stdin waits, default
 * 8 MiB) and `maxSubscriptions`.
 */
export type StdioTransportOptions = Pick<
  ServeStdioOptions,
  'maxBodyBytes' | 'maxRequestsInFlight' | 'maxBufferedBytesPerStream' | 'maxSubscriptions'
>

/** `startSSE` / `startHonoSSE` options: security and sessions. */
export type SseTransportOptions = HttpServerSecurityOptions & SessionOptions
