/**
 * `@mcpkit/mcp`: every public export of the mcpkit packages from one import, under the names
 * `@mastra/mcp` users know. Named re-exports only, so the public surface is reviewed here and a
 * sibling's new export never leaks in unnoticed (tests/packaging/umbrella-exports.test.ts lists
 * what is missing).
 */
import type { ProgressUpdate } from '@mcpkit/mcp-client-core'
import type { MCPServer, MCPServerPrompts, MCPServerResources } from '@mcpkit/mcp-server-core'
import type { ApprovalRule, FetchWithContext, ServerDefinition } from '@mcpkit/types'

// Client: MCPClient, MCPClientPool and their types.
export {
  type AuthenticateOptions,
  COMMON_DEFINITION_KEYS,
  type CreateClient,
  type ElicitationHandler,
  HTTP_DEFINITION_KEYS,
  type ListOptions,
  type LoadMcpServersOptions,
  loadMcpServers,
  MAX_TOOL_ID_LENGTH,
  MCPClient,
  type MCPClientCacheOptions,
  type MCPClientOptions,
  MCPClientPool,
  type MCPClientPoolOptions,
  type MCPClientPoolStats,
  type MCPTool,
  type McpServersConfig,
  type McpServersEntry,
  type ModelOutput,
  type ModelOutputPart,
  mcpServersFromConfig,
  type PoolEntryContext,
  type PooledClient,
  type PoolKey,
  type ProgressUpdate,
  type PromptWithMessages,
  ProtocolEraCache,
  type ProtocolEraCacheOptions,
  type ProtocolVerdict,
  type SamplingHandler,
  STDIO_DEFINITION_KEYS,
  type ToolApprovalInfo,
  type ToolDefinition,
  type ToolsetsWithErrors,
  type ToolsWithErrors,
  toModelOutput,
  toolId,
} from '@mcpkit/mcp-client-core'
// Server: MCPServer, createMCPTool and their types.
export {
  type CacheableMethod,
  type ClientInput,
  type CompletionAnswer,
  createMCPTool,
  type ElicitationRequest,
  type HttpTransportOptions,
  type InputRequestOptions,
  MCPServer,
  type MCPServerCacheHints,
  type MCPServerConfig,
  type MCPServerPackage,
  type MCPServerPrompt,
  type MCPServerPromptMessages,
  type MCPServerPrompts,
  type MCPServerResourceContent,
  type MCPServerResources,
  type MCPServerTool,
  type MCPToolContext,
  type RequestExtra,
  type RequestStateOptions,
  type ServerDetail,
  type ServerInfo,
  SessionServer,
  type SessionServerOptions,
  type SseTransportOptions,
  type StdioTransportOptions,
  type ToolInfo,
  type ToolInput,
  type ToolSchema,
} from '@mcpkit/mcp-server-core'

// OAuth: client providers and token storage; protected-resource middleware for servers.
export {
  type AuthorizationCallback,
  authorizeServer,
  type ClientCredentialsOptions,
  type ClientCredentialsProviderOptions,
  type ClientMetadata,
  createProtectedResource,
  createSimpleTokenProvider,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  DEFAULT_JWT_ALGORITHMS,
  InsufficientScopeError,
  type IntrospectionVerifierOptions,
  InvalidTokenError,
  introspectionVerifier,
  type JwtVerifierOptions,
  jwtVerifier,
  MCPOAuthClientProvider,
  type MCPOAuthClientProviderOptions,
  MemoryOAuthStorage,
  /** `@mastra/mcp`'s name for `MemoryOAuthStorage`. */
  MemoryOAuthStorage as InMemoryOAuthStorage,
  type OAuthStorage,
  type OAuthStorageContext,
  type OAuthStorageEntry,
  oauthStorageKey,
  ProtectedResource,
  type ProtectedResourceMetadata,
  type ProtectedResourceOptions,
  type SdkTokenVerifier,
  type SimpleTokenProviderOptions,
  stepUpServer,
  TemporarilyUnavailableError,
  type TokenVerificationContext,
  type TokenVerifier,
} from '@mcpkit/oauth'
// Tool approval: policies, handlers, the pending-approval queue, audit events.
export {
  type ApprovalCall,
  type ApprovalCheck,
  type ApprovalDeniedResult,
  ApprovalError,
  type ApprovalErrorCode,
  type ApprovalGate,
  ApprovalQueue,
  type ApprovalQueueChange,
  type ApprovalQueueOptions,
  type ApprovalRecord,
  type ApprovalSettlement,
  type ApprovalSettleResult,
  type ApprovalStatus,
  type ApprovalStore,
  argsDigest,
  createApprovalGate,
  DEFAULT_APPROVAL_TIMEOUT,
  isApprovalDenied,
  type MaybePromise,
  MemoryApprovalStore,
  type NeedsApproval,
  type WithApprovalOptions,
  withApproval,
} from '@mcpkit/tool-approval'

// Shared types, request context and errors.
export {
  type ApprovalCallback,
  type ApprovalDecider,
  type ApprovalDecision,
  type ApprovalEvent,
  type ApprovalGateOptions,
  type ApprovalHandler,
  type ApprovalHandlerContext,
  type ApprovalOptions,
  type ApprovalOutcome,
  type ApprovalPolicyMap,
  type ApprovalRequest,
  type ApprovalRule,
  type AuthProvider,
  type ClientCapabilities,
  type EventSourceInit,
  type FetchWithContext,
  type HttpServerDefinition,
  InsufficientScopeClientError,
  isMCPKitError,
  type JsonSchema,
  LOGGING_LEVELS,
  type LoggingLevel,
  type LogHandler,
  type LogMessage,
  type MCPAgent,
  MCPClientError,
  type MCPErrorCode,
  MCPKitError,
  MCPServerError,
  type MCPTraceContext,
  type MCPWorkflow,
  type MCPWorkflowRun,
  type ProtocolEra,
  type ProtocolVersionOption,
  RequestContext,
  type RequestContextInput,
  type RequireToolApproval,
  type RequireToolApprovalContext,
  type ResourceAuth,
  type ResourceAuthDenial,
  type ResourceAuthInfo,
  type Root,
  type ServerDefinition,
  type ServerDefinitionOptions,
  type StdioServerDefinition,
  type Tool,
  type ToolAnnotations,
  type ToolExecutionContext,
  ToolExecutionError,
  type ToolInputIssue,
  ToolInputValidationError,
  toRequestContext,
} from '@mcpkit/types'

// `@mastra/mcp` names whose mcpkit counterpart is called differently.

/** `@mastra/mcp`'s name for one entry of `servers`: `ServerDefinition`. */
export type MastraMCPServerDefinition = ServerDefinition

/** `@mastra/mcp`'s name for a server definition's `fetch(url, init, requestContext)`. */
export type MastraFetchLike = FetchWithContext

/** `@mastra/mcp`'s name for a `requireToolApproval` function. */
export type RequireToolApprovalFn = Extract<ApprovalRule, (...args: never[]) => unknown>

/** `@mastra/mcp`'s name for a `progress.onUpdate` handler. */
export type ProgressHandler = (update: ProgressUpdate) => void

/** What `MCPServer.getToolListInfo()` returns (`@mastra/mcp`'s `ToolListInfo`). */
export type ToolListInfo = ReturnType<MCPServer['getToolListInfo']>

/** An MCP resource, as `resources.listResources` returns them (MCP `Resource`). */
export type Resource = Awaited<ReturnType<MCPServerResources['listResources']>>[number]

/** An MCP resource template, as `resources.resourceTemplates` returns them. */
export type ResourceTemplate = Awaited<
  ReturnType<NonNullable<MCPServerResources['resourceTemplates']>>
>[number]

/** An MCP prompt, as `prompts.listPrompts` returns them (with the optional `version`). */
export type Prompt = Awaited<ReturnType<MCPServerPrompts['listPrompts']>>[number]

/** One message of a prompt, as `prompts.getPromptMessages` returns them. */
export type PromptMessage = Extract<
  Awaited<ReturnType<NonNullable<MCPServerPrompts['getPromptMessages']>>>,
  unknown[]
>[number]
