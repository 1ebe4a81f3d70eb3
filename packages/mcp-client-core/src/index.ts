// What users of this package need without installing @mcpkit/types themselves.

export type { ProtocolVerdict } from '@mcpkit/transports/client'
export {
  type ApprovalOptions,
  type AuthenticateOptions,
  type AuthProvider,
  type FetchWithContext,
  type HttpServerDefinition,
  InsufficientScopeClientError,
  isMCPKitError,
  type LogHandler,
  type LogMessage,
  MCPClientError,
  type MCPErrorCode,
  MCPKitError,
  type MCPTraceContext,
  type ProtocolEra,
  type ProtocolVersionOption,
  RequestContext,
  type Root,
  type ServerDefinition,
  type StdioServerDefinition,
  ToolExecutionError,
  type ToolInputIssue,
  ToolInputValidationError,
} from '@mcpkit/types'
export {
  type MCPClientCacheOptions,
  ProtocolEraCache,
  type ProtocolEraCacheOptions,
} from './client-cache.js'
export {
  COMMON_DEFINITION_KEYS,
  HTTP_DEFINITION_KEYS,
  STDIO_DEFINITION_KEYS,
} from './definition-keys.js'
export type { ElicitationHandler, ProgressUpdate, SamplingHandler } from './handlers.js'
export {
  type ListOptions,
  MCPClient,
  type MCPClientOptions,
  type PromptWithMessages,
  type ToolDefinition,
  type ToolsetsWithErrors,
  type ToolsWithErrors,
} from './mcp-client.js'
export {
  type CreateClient,
  MCPClientPool,
  type MCPClientPoolOptions,
  type MCPClientPoolStats,
  type PoolEntryContext,
  type PooledClient,
  type PoolKey,
} from './mcp-client-pool.js'
export {
  type LoadMcpServersOptions,
  loadMcpServers,
  type McpServersConfig,
  type McpServersEntry,
  mcpServersFromConfig,
} from './mcp-servers-file.js'
export type { MCPTool, ToolApprovalInfo } from './mcp-tool.js'
export {
  type ModelOutput,
  type ModelOutputPart,
  toModelOutput,
} from './model-output.js'
export { MAX_TOOL_ID_LENGTH, toolId } from './tool-id.js'
