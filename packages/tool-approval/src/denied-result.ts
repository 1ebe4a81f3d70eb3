/** The `_meta` key under which a denial says why; namespaced so it cannot clash with a server's. */
export const APPROVAL_META_KEY = 'mcpkit/approval'

/**
 * A denied call as the agent sees it: an MCP tool result with `isError: true` whose text says
 * what happened, so the model can tell the user instead of retrying blindly.
 */
export interface ApprovalDeniedResult {
  isError: true
  content: [{ type: 'text'; text: string }]
  _meta: {
    'mcpkit/approval': {
      /** `'expired'` when nobody answered in time, else `'denied'`. */
      outcome: 'denied' | 'expired'
      /** The approval request's id; `undefined` when no request was made (no handler, aborted early). */
      requestId: string | undefined
      reason: string
    }
  }
}

/** Builds the result a denied call resolves with. */
export function approvalDeniedResult(options: {
  toolName: string
  outcome: 'denied' | 'expired'
  requestId: string | undefined
  reason: string
}): ApprovalDeniedResult {
  const reason = options.reason.replace(/[.\s]+$/u, '')
  return {
    isError: true,
    content: [
      {
        type: 'text',
        text: `The call to "${options.toolName}" was denied: ${reason}. It did not run.`,
      },
    ],
    _meta: {
      [APPROVAL_META_KEY]: {
        outcome: options.outcome,
        requestId: options.requestId,
        reason: options.reason,
      },
    },
  }
}

/** Whether a tool result is an approval denial (from `withApproval` or `MCPClient`). */
export function isApprovalDenied(value: unknown): value is ApprovalDeniedResult {
  if (typeof value !== 'object' || value === null) return false
  const result = value as { isError?: unknown; _meta?: unknown }
  if (result.isError !== true || typeof result._meta !== 'object' || result._meta === null) {
    return false
  }
  const meta = (result._meta as Record<string, unknown>)[APPROVAL_META_KEY]
  if (typeof meta !== 'object' || meta === null) return false
  const outcome = (meta as { outcome?: unknown }).outcome
  return outcome === 'denied' || outcome === 'expired'
}
