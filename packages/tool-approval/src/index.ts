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
  ApprovalPolicyMap,
  ApprovalRequest,
  ApprovalRule,
  RequireToolApproval,
  RequireToolApprovalContext,
} from '@mcpkit/types'
export { ApprovalError, type ApprovalErrorCode } from './approval-error.js'
export { type ApprovalDeniedResult, isApprovalDenied } from './denied-result.js'
export { argsDigest } from './digest.js'
export {
  type ApprovalCall,
  type ApprovalCheck,
  type ApprovalGate,
  createApprovalGate,
  DEFAULT_APPROVAL_TIMEOUT,
} from './gate.js'
export { MemoryApprovalStore } from './memory-store.js'
export { ApprovalQueue, type ApprovalQueueChange, type ApprovalQueueOptions } from './queue.js'
export type {
  ApprovalRecord,
  ApprovalSettlement,
  ApprovalSettleResult,
  ApprovalStatus,
  ApprovalStore,
  MaybePromise,
} from './store.js'
export { type NeedsApproval, type WithApprovalOptions, withApproval } from './with-approval.js'
