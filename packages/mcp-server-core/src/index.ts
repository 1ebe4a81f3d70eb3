export {
  type CompletionAnswer,
  MCPServer,
  type MCPServerConfig,
  type MCPServerPackage,
  type MCPServerPrompt,
  type MCPServerPrompts,
  type MCPServerResourceContent,
  type MCPServerResources,
  type ServerDetail,
  type ServerInfo,
  type ToolInfo,
} from './mcp-server.js'
export {
  createMCPTool,
  type MCPServerTool,
  type MCPToolContext,
  type RequestExtra,
} from './server-tool.js'
