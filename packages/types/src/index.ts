export type { MCPAgent, MCPWorkflow, MCPWorkflowRun } from './agent.js'
export type {
  ApprovalCallback,
  ApprovalDecider,
  ApprovalDecision,
  ApprovalEvent,
  ApprovalGateOptions,
  ApprovalHandler,
  ApprovalHandlerContext,
  ApprovalOptions,
  ApprovalOutcome,
  ApprovalRequest,
} from './approval.js'
export {
  type AuthenticateOptions,
  attachAuthProvider,
  type ScopeChallenge,
  type ScopeStepUpRequest,
  type ServerAttachableAuthProvider,
  type ServerAuthorizationRequest,
} from './authenticate.js'
export { canonicalJson } from './canonical-json.js'
export {
  InsufficientScopeClientError,
  isMCPKitError,
  MCPClientError,
  type MCPErrorCode,
  MCPKitError,
  MCPServerError,
  ToolExecutionError,
  type ToolInputIssue,
  ToolInputValidationError,
} from './errors.js'
export { formatIssues, type SchemaIssue } from './format-issues.js'
export { jsonValueProblem } from './json-value.js'
export {
  LOGGING_LEVELS,
  type Log,
  type LoggingLevel,
  type LogHandler,
  type LogMessage,
  logTo,
  safeLog,
} from './logging.js'
export type { ProtocolEra, ProtocolVersionOption } from './protocol-version.js'
export { readCapped } from './read-capped.js'
export { RequestContext, type RequestContextInput, toRequestContext } from './request-context.js'
export type { ResourceAuth, ResourceAuthDenial, ResourceAuthInfo } from './resource-auth.js'
export type {
  AuthProvider,
  ClientCapabilities,
  EventSourceInit,
  FetchWithContext,
  HttpServerDefinition,
  MCPTraceContext,
  Root,
  ServerDefinition,
  ServerDefinitionOptions,
  StdioServerDefinition,
} from './server-definition.js'
export type {
  ApprovalPolicyMap,
  ApprovalRule,
  JsonSchema,
  RequireToolApproval,
  RequireToolApprovalContext,
  Tool,
  ToolAnnotations,
  ToolExecutionContext,
} from './tool.js'
