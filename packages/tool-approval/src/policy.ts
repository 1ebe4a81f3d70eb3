import type {
  ApprovalOptions,
  ApprovalPolicyMap,
  ApprovalRule,
  RequestContext,
  RequireToolApproval,
  RequireToolApprovalContext,
} from '@mcpkit/types'
import { toRequestContext } from '@mcpkit/types'

/** Whether a call needs approval, and why the answer was forced when the policy failed. */
export interface PolicyVerdict {
  required: boolean
  /** Set when the policy threw or returned something other than a boolean. */
  failure: string | undefined
}

/**
 * Throws a `TypeError` for a policy that is not one of the accepted shapes, so a typo is
 * found when the gate is built rather than on the first call.
 */
export function assertValidPolicy(policy: unknown): asserts policy is RequireToolApproval {
  if (isRule(policy)) return
  if (isPolicyMap(policy)) {
    for (const [toolName, rule] of Object.entries(policy.tools)) {
      if (!isRule(rule)) {
        throw new TypeError(
          `Approval policy for tool "${toolName}" must be true, false or a function; got ${describe(rule)}`,
        )
      }
    }
    if (policy.default !== undefined && !isRule(policy.default)) {
      throw new TypeError(
        `Approval policy "default" must be true, false or a function; got ${describe(policy.default)}`,
      )
    }
    return
  }
  throw new TypeError(
    `Approval policy must be true, false, a function, or { tools: { <name>: rule }, default?: rule }; got ${describe(policy)}`,
  )
}

/**
 * Evaluates the policy for one call. Fails closed: a rule that throws, or returns anything but
 * a boolean, requires approval.
 */
export async function evaluatePolicy(
  policy: RequireToolApproval,
  context: RequireToolApprovalContext,
): Promise<PolicyVerdict> {
  const rule = ruleFor(policy, context)
  if (typeof rule === 'boolean') return { required: rule, failure: undefined }
  try {
    const result: unknown = await rule(context)
    if (typeof result === 'boolean') return { required: result, failure: undefined }
    return {
      required: true,
      failure: `the approval policy returned ${describe(result)} instead of a boolean; approval required`,
    }
  } catch (error) {
    return {
      required: true,
      failure: `the approval policy failed (${messageOf(error)}); approval required`,
    }
  }
}

function ruleFor(policy: RequireToolApproval, context: RequireToolApprovalContext): ApprovalRule {
  if (!isPolicyMap(policy)) return policy
  // Own keys only: a tool called "constructor" must not pick up Object.prototype.constructor.
  if (Object.hasOwn(policy.tools, context.toolName)) {
    const rule = policy.tools[context.toolName]
    if (rule !== undefined) return rule
  }
  if (policy.default !== undefined) return policy.default
  return context.annotations?.readOnlyHint !== true
}

function isRule(value: unknown): value is ApprovalRule {
  return typeof value === 'boolean' || typeof value === 'function'
}

function isPolicyMap(value: unknown): value is ApprovalPolicyMap {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { tools?: unknown }).tools === 'object' &&
    (value as { tools?: unknown }).tools !== null
  )
}

/**
 * Who a call is made for. A fixed string wins; a function decides per request context; the
 * default reads the context's `principal` entry. Anything that is not a non-empty string
 * falls back to `'anonymous'`. A throwing function propagates: the caller fails closed.
 */
export function resolvePrincipal(
  option: ApprovalOptions['principal'],
  requestContext: RequestContext | null,
): string {
  // A plain object (what some frameworks pass) has no `get`: read its own property.
  const context = toRequestContext(requestContext)
  let principal: unknown
  if (typeof option === 'string') principal = option
  else if (typeof option === 'function') principal = option(context)
  else principal = context?.get('principal')
  return typeof principal === 'string' && principal !== '' ? principal : 'anonymous'
}

/** The message of a thrown value, for reasons shown to people and agents. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name
  return typeof error === 'string' ? error : describe(error)
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object'
  return typeof value === 'undefined' ? 'undefined' : `${typeof value} ${String(value)}`
}
