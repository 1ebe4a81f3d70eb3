export type { AuthenticateOptions } from './authenticate.js'
export {
  type ListOptions,
  MCPClient,
  type MCPClientOptions,
  type PromptWithMessages,
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
export type { MCPTool } from './mcp-tool.js'
export type { ElicitationHandler, ProgressUpdate } from './server-connection.js'
export { MAX_TOOL_ID_LENGTH, toolId } from './tool-id.js'
