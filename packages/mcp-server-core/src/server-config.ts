import type {
  HttpServerSecurityOptions,
  SessionOptions,
  StreamableHttpHandlerOptions,
} from '@mcpkit/transports/server'
import type { LogHandler, MCPAgent, MCPWorkflow, ResourceAuth } from '@mcpkit/types'
import type {
  Prompt,
  PromptMessage,
  Tool as ProtocolTool,
  Resource,
  ResourceTemplateType,
} from '@modelcontextprotocol/server'
import type { RequestExtra } from './request-extra.js'
import type { MCPServerTool } from './server-tool.js'

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
