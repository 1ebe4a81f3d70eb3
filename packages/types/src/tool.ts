import type { RequestContext, RequestContextInput } from './request-context.js'

/** A JSON Schema object, as servers publish them in `tools/list`. */
export type JsonSchema = { [keyword: string]: unknown }

/** Behaviour hints a server attaches to a tool (MCP `ToolAnnotations`). Hints, not guarantees. */
export interface ToolAnnotations {
  title?: string
  /** The tool does not modify its environment. */
  readOnlyHint?: boolean
  /** The tool may perform destructive updates (meaningful when not read-only). */
  destructiveHint?: boolean
  /** Calling the tool again with the same arguments has no additional effect. */
  idempotentHint?: boolean
  /** The tool talks to an open world of external entities. */
  openWorldHint?: boolean
  [hint: string]: unknown
}

/** What the caller of `Tool.execute` may pass along with the arguments. */
export interface ToolExecutionContext {
  /**
   * The context of the request this call serves. It reaches the server definition's custom
   * `fetch` for every HTTP request the call makes, and the approval policy. A plain object
   * (as Mastra and other frameworks pass) is read as a `RequestContext` of its entries.
   */
  requestContext?: RequestContextInput | null | undefined
  /** Aborts the call: the request is cancelled on the server (`notifications/cancelled`). */
  signal?: AbortSignal | undefined
  /**
   * The same as `signal`, under the name the AI SDK and Mastra pass. When both are given,
   * either one aborts the call.
   */
  abortSignal?: AbortSignal | undefined
  /**
   * Set only by an agent framework's adapter whose own approval flow (the AI SDK's
   * `needsApproval`, Mastra's `requireToolApproval` suspend/resume) asked about this exact
   * call and had it approved: the approval gate then records the call as approved by this
   * name (`decidedBy`) instead of asking its handler a second time. It never exempts a call
   * the gate would hold from approval when nobody approved it: do not set it from model
   * output or request data.
   */
  approvedBy?: string | undefined
  /**
   * Correlates progress notifications: the call's `progressToken`, when a `progress.onUpdate`
   * handler of its server is registered.
   */
  runId?: string | undefined
}

/**
 * An executable tool, the shape agents consume. `inputSchema` is JSON Schema; tools from
 * `MCPClient` also carry a zod version of it for frameworks that want one.
 */
export interface Tool<Input = Record<string, unknown>, Output = unknown> {
  /** Unique name of the tool where it is listed (for MCP tools: `<server>_<tool>`). */
  readonly id: string
  readonly description: string
  readonly inputSchema: JsonSchema
  readonly outputSchema?: JsonSchema | undefined
  readonly annotations?: ToolAnnotations | undefined
  execute(input: Input, context?: ToolExecutionContext): Promise<Output>
}

/** What approval policies receive to decide whether a call needs approval. */
export interface RequireToolApprovalContext {
  /** The tool's name (for MCP tools: its name on its server, not namespaced). */
  toolName: string
  /** The server the tool belongs to (the key in `servers`); `undefined` for non-MCP tools. */
  serverName: string | undefined
  args: Record<string, unknown>
  requestContext: RequestContext | null
  annotations: ToolAnnotations | undefined
  /** Who the call is made for (see `ApprovalOptions.principal`). */
  principal: string
}

/** One rule: `true` (every call needs approval), `false`, or a function deciding per call. */
export type ApprovalRule =
  | boolean
  | ((context: RequireToolApprovalContext) => boolean | Promise<boolean>)

/**
 * Rules per tool name, and one for the tools the map does not name. Without `default`, a tool
 * not in `tools` needs approval unless the server annotates it `readOnlyHint: true`.
 */
export interface ApprovalPolicyMap {
  tools: Record<string, ApprovalRule>
  default?: ApprovalRule
}

/** Which calls need human approval: one rule for every tool, or a per-tool map. */
export type RequireToolApproval = ApprovalRule | ApprovalPolicyMap
