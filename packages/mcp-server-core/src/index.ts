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
  RequestContext,
  type ResourceAuth,
  type ResourceAuthInfo,
  ToolInputValidationError,
} from '@mcpkit/types'
export { MCPServer } from './mcp-server.js'
export type { RequestExtra } from './request-extra.js'
export type {
  CompletionAnswer,
  HttpTransportOptions,
  MCPServerConfig,
  MCPServerPackage,
  MCPServerPrompt,
  MCPServerPrompts,
  MCPServerResourceContent,
  MCPServerResources,
  ServerDetail,
  ServerInfo,
  SseTransportOptions,
  ToolInfo,
} from './server-config.js'
export {
  createMCPTool,
  type MCPServerTool,
  type MCPToolContext,
  type ToolInput,
  type ToolSchema,
} from './server-tool.js'
export { SessionServer } from './session-server.js'
