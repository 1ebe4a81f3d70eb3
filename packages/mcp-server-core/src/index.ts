// What users of this package need without installing @mcpkit/types themselves.

export {
  isMCPKitError,
  type LogHandler,
  type LogMessage,
  type MCPAgent,
  type MCPErrorCode,
  MCPKitError,
  MCPServerError,
  type MCPWorkflow,
  type ProtocolVersionOption,
  RequestContext,
  type ResourceAuth,
  type ResourceAuthInfo,
  ToolInputValidationError,
} from '@mcpkit/types'
export type { CacheableMethod, MCPServerCacheHints } from './cache-hints.js'
export type { ClientInput, ElicitationRequest, InputRequestOptions } from './client-input.js'
export { MCPServer } from './mcp-server.js'
export type { RequestExtra } from './request-extra.js'
export type { RequestStateOptions } from './request-state.js'
export type {
  CompletionAnswer,
  HttpTransportOptions,
  MCPServerConfig,
  MCPServerPackage,
  MCPServerPrompt,
  MCPServerPromptMessages,
  MCPServerPrompts,
  MCPServerResourceContent,
  MCPServerResources,
  ServerDetail,
  ServerInfo,
  SseTransportOptions,
  StdioTransportOptions,
  ToolInfo,
} from './server-config.js'
export {
  createMCPTool,
  type MCPServerTool,
  type MCPToolContext,
  type ToolInput,
  type ToolSchema,
} from './server-tool.js'
export { SessionServer, type SessionServerOptions } from './session-server.js'
