import type { RequestContext } from './request-context.js'
import type { RequireToolApproval, ToolAnnotations } from './tool.js'

/** A call waiting for a human decision. Everything a reviewer needs to decide, nothing more. */
export interface ApprovalRequest {
  /** Random, unguessable id; `approve(id)` / `deny(id)` settle this call and no other. */
  readonly id: string
  readonly toolName: string
  /** The server the tool belongs to; `undefined` for non-MCP tools. */
  readonly serverName: string | undefined
  readonly args: Record<string, unknown>
  /** SHA-256 (hex) of the canonical JSON of `args`: sorted keys, no whitespace. */
  readonly argsDigest: string
  /** Who the call is made for; only this principal may settle the request through a queue. */
  readonly principal: string
  readonly annotations: ToolAnnotations | undefined
  /** Epoch milliseconds. */
  readonly createdAt: number
  /** Epoch milliseconds; an unanswered request is denied at this time. */
  readonly expiresAt: number
}

/** The answer to an approval request. */
export type ApprovalDecision =
  | { approved: true; by?: string | undefined }
  | { approved: false; reason?: string | undefined; by?: string | undefined }

/** Extra information an approval handler receives with the request. */
export interface ApprovalHandlerContext {
  requestContext: RequestContext | null
  /** Aborted when the call is aborted or the request expires: stop waiting then. */
  signal: AbortSignal
}

/** A function that decides (CLIs, tests, auto-approvers). `true`/`false` are shorthands. */
export type ApprovalCallback = (
  request: ApprovalRequest,
  context: ApprovalHandlerContext,
) => boolean | ApprovalDecision | Promise<boolean | ApprovalDecision>

/** An object that decides, such as `ApprovalQueue` (a human answers later). */
export interface ApprovalDecider {
  decide(request: ApprovalRequest, context: ApprovalHandlerContext): Promise<ApprovalDecision>
}

/** Who decides calls that need approval. */
export type ApprovalHandler = ApprovalCallback | ApprovalDecider

/** How a call's approval check ended. */
export type ApprovalOutcome =
  /** The policy did not require approval; the call ran. */
  | 'not-required'
  | 'approved'
  | 'denied'
  /** Nobody answered before `expiresAt`; the call was denied. */
  | 'expired'
  /** Shadow mode: the policy required approval; nobody was asked and the call ran. */
  | 'required'

/** The audit record of one decision, emitted through `onDecision` for every checked call. */
export interface ApprovalEvent {
  outcome: ApprovalOutcome
  /** `false` in shadow mode: the outcome was logged, the call ran anyway. */
  enforced: boolean
  toolName: string
  serverName: string | undefined
  principal: string
  argsDigest: string
  /** The approval request's id; `undefined` when no approval was needed. */
  requestId: string | undefined
  reason: string | undefined
  /** Who decided (`by` of the decision), when the handler said. */
  decidedBy: string | undefined
  /** Epoch milliseconds of the decision. */
  at: number
  /** Milliseconds between the call and the decision. */
  waitedMs: number
}

/** Options of the approval middleware; `MCPClient` takes them as its `approval` option. */
export interface ApprovalOptions {
  /** Who decides. Without one, every call that needs approval is denied (fail closed). */
  handler?: ApprovalHandler
  /**
   * Who the calls are made for: a fixed string (one client per user, as in a pool), or a
   * function of the call's request context. Default: the request context's `principal`
   * entry, else `'anonymous'`.
   */
  principal?: string | ((requestContext: RequestContext | null) => string | undefined)
  /** Audit hook, called once per checked call. Must not throw (errors are ignored). */
  onDecision?: (event: ApprovalEvent) => void
  /**
   * `'enforce'` (default), or `'shadow'` to trial a policy: calls it would hold are logged
   * (outcome `'required'`, `enforced: false`) and run without asking the handler.
   */
  mode?: 'enforce' | 'shadow'
  /** Milliseconds an approval request waits before it is denied. Default 300000 (5 min). */
  timeout?: number
}

/** What `withApproval` / `createApprovalGate` take: a policy plus the options. */
export interface ApprovalGateOptions extends ApprovalOptions {
  policy: RequireToolApproval
}
