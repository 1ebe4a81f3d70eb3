import {
  type ApprovalDecision,
  type ApprovalEvent,
  type ApprovalGateOptions,
  type ApprovalHandler,
  type ApprovalHandlerContext,
  type ApprovalOutcome,
  type ApprovalRequest,
  canonicalJson,
  type RequestContext,
  type RequestContextInput,
  type ToolAnnotations,
  toRequestContext,
} from '@mcpkit/types'
import { type ApprovalDeniedResult, approvalDeniedResult } from './denied-result.js'
import { sha256Hex } from './digest.js'
import { assertValidPolicy, evaluatePolicy, messageOf, resolvePrincipal } from './policy.js'

/** One tool call, as the gate sees it. */
export interface ApprovalCall {
  /** The tool's name (for MCP tools: its name on its server); policy maps are keyed by it. */
  toolName: string
  serverName: string | undefined
  args: Record<string, unknown>
  annotations: ToolAnnotations | undefined
  /** A `RequestContext`, or a plain object of its values (read as one). */
  requestContext: RequestContextInput | null
  /**
   * The name of an agent framework whose own approval flow approved this exact call (see
   * `ToolExecutionContext.approvedBy`): a call the policy holds is then recorded as approved
   * by it, and the handler is not asked again. Ignored for calls the policy does not hold.
   */
  approvedBy?: string | undefined
  /** The call's abort signal: aborting stops waiting (outcome `'denied'`, reason `'aborted'`). */
  signal?: AbortSignal | undefined
}

/** The gate's answer: run the call, or resolve it with `result` instead. */
export type ApprovalCheck =
  | { allowed: true; event: ApprovalEvent }
  | { allowed: false; result: ApprovalDeniedResult; event: ApprovalEvent }

/** Decides, call by call, whether a tool call may run. Build one with `createApprovalGate`. */
export interface ApprovalGate {
  /**
   * Evaluates the policy and, when approval is needed, asks the handler and waits for the
   * decision, the expiry, or the call's abort. Emits exactly one `onDecision` event. Never
   * rejects: every failure is a denial.
   */
  check(call: ApprovalCall): Promise<ApprovalCheck>
  /** Policy only (no handler): whether this call would need approval. */
  needsApproval(call: Omit<ApprovalCall, 'signal'>): Promise<boolean>
  /** Who a call with this request context is made for; throws when it cannot be told. */
  principal(requestContext: RequestContextInput | null): string
}

/** 5 minutes, as `ApprovalOptions.timeout` documents. */
export const DEFAULT_APPROVAL_TIMEOUT = 300_000
/** The longest delay `setTimeout` supports (about 24.8 days). */
const MAX_TIMEOUT = 2_147_483_647

const NO_HANDLER_REASON =
  'approval is required but no approval handler is configured (set `approval.handler` on MCPClient, or `handler` in the withApproval options)'

/** How a wait for a decision ended. */
interface Ending {
  outcome: Extract<ApprovalOutcome, 'approved' | 'denied' | 'expired'>
  reason: string | undefined
  decidedBy: string | undefined
}

/**
 * Builds the approval gate for a policy: the one place every tool call passes before it runs
 * (`MCPClient` holds one per server; `withApproval` wraps a `Tool` around one). Calls are
 * independent: many can wait for approval at once, none waits for another.
 *
 * Throws a `TypeError` now for an invalid policy, handler or timeout.
 */
export function createApprovalGate(options: ApprovalGateOptions): ApprovalGate {
  const { policy, handler, onDecision } = options
  assertValidPolicy(policy)
  const ask = handler === undefined ? undefined : handlerFunction(handler)
  const timeout = options.timeout ?? DEFAULT_APPROVAL_TIMEOUT
  if (!Number.isInteger(timeout) || timeout <= 0 || timeout > MAX_TIMEOUT) {
    throw new TypeError(
      `Approval timeout must be a whole number of milliseconds between 1 and ${MAX_TIMEOUT}; got ${timeout}`,
    )
  }
  const mode = options.mode ?? 'enforce'
  if (mode !== 'enforce' && mode !== 'shadow') {
    throw new TypeError(`Approval mode must be 'enforce' or 'shadow'; got ${String(mode)}`)
  }
  const enforced = mode === 'enforce'

  const emit = (event: ApprovalEvent) => {
    if (!onDecision) return
    try {
      const returned: unknown = onDecision(event)
      // An async hook's rejection would otherwise surface as an unhandled rejection.
      if (typeof (returned as { then?: unknown } | null)?.then === 'function') {
        ;(returned as Promise<unknown>).then(undefined, () => {})
      }
    } catch {
      // The audit hook must not change the outcome of a call.
    }
  }

  /** What the policy says of `call` made for `principal`. */
  const policyVerdict = (
    call: Omit<ApprovalCall, 'signal' | 'requestContext'> & {
      requestContext: RequestContext | null
    },
    principal: string,
  ) =>
    evaluatePolicy(policy, {
      toolName: call.toolName,
      serverName: call.serverName,
      args: call.args,
      requestContext: call.requestContext,
      annotations: call.annotations,
      principal,
    })

  async function check(given: ApprovalCall): Promise<ApprovalCheck> {
    const call = { ...given, requestContext: toRequestContext(given.requestContext) }
    const startedAt = Date.now()
    const base = {
      enforced,
      toolName: call.toolName,
      serverName: call.serverName,
    }
    const finish = (ending: {
      outcome: ApprovalOutcome
      principal: string
      argsDigest: string
      requestId: string | undefined
      reason: string | undefined
      decidedBy: string | undefined
    }): ApprovalCheck => {
      const at = Date.now()
      const event: ApprovalEvent = { ...base, ...ending, at, waitedMs: at - startedAt }
      emit(event)
      if (ending.outcome === 'denied' || ending.outcome === 'expired') {
        return {
          allowed: false,
          event,
          result: approvalDeniedResult({
            toolName: call.toolName,
            outcome: ending.outcome,
            requestId: ending.requestId,
            reason: ending.reason ?? 'not approved',
          }),
        }
      }
      return { allowed: true, event }
    }
    const deny = (principal: string, argsDigest: string, reason: string) =>
      finish({
        outcome: 'denied',
        principal,
        argsDigest,
        requestId: undefined,
        reason,
        decidedBy: undefined,
      })

    // Fail closed on anything that keeps us from knowing who calls with what.
    let principal: string
    try {
      principal = resolvePrincipal(options.principal, call.requestContext)
    } catch (error) {
      return deny('anonymous', '', `the principal could not be determined (${messageOf(error)})`)
    }
    let canonicalArgs: string
    let argsDigest: string
    try {
      canonicalArgs = canonicalJson(call.args)
      argsDigest = await sha256Hex(canonicalArgs)
    } catch (error) {
      return deny(principal, '', `the arguments could not be read (${messageOf(error)})`)
    }

    const verdict = await policyVerdict(call, principal)
    const common = { principal, argsDigest, decidedBy: undefined }
    if (!verdict.required) {
      return finish({ ...common, outcome: 'not-required', requestId: undefined, reason: undefined })
    }
    if (!enforced) {
      return finish({
        ...common,
        outcome: 'required',
        requestId: undefined,
        reason: verdict.failure,
      })
    }
    if (call.signal?.aborted) return deny(principal, argsDigest, 'aborted')
    if (typeof call.approvedBy === 'string' && call.approvedBy !== '') {
      // The framework's own approval flow asked about this call and it was approved: one
      // approval per call, recorded here for the audit trail.
      return finish({
        ...common,
        outcome: 'approved',
        requestId: undefined,
        reason: verdict.failure,
        decidedBy: call.approvedBy,
      })
    }
    if (!ask) return deny(principal, argsDigest, NO_HANDLER_REASON)

    const createdAt = Date.now()
    const request: ApprovalRequest = Object.freeze({
      id: globalThis.crypto.randomUUID(),
      toolName: call.toolName,
      serverName: call.serverName,
      // A frozen copy: what the reviewer sees cannot be changed under them.
      args: deepFreeze(JSON.parse(canonicalArgs) as Record<string, unknown>),
      argsDigest,
      principal,
      annotations: call.annotations,
      createdAt,
      expiresAt: createdAt + timeout,
    })
    const ending = await waitForDecision({ ask, request, call, timeout })
    if (ending.outcome === 'approved') {
      // The decision is for the arguments the reviewer saw; refuse if the caller changed them.
      let digestNow: string | undefined
      try {
        digestNow = await sha256Hex(canonicalJson(call.args))
      } catch {
        digestNow = undefined
      }
      if (digestNow !== argsDigest) {
        return finish({
          ...common,
          outcome: 'denied',
          requestId: request.id,
          reason: 'the arguments changed while the call waited for approval',
          decidedBy: ending.decidedBy,
        })
      }
    }
    return finish({
      ...common,
      outcome: ending.outcome,
      requestId: request.id,
      reason: ending.outcome === 'approved' ? verdict.failure : ending.reason,
      decidedBy: ending.decidedBy,
    })
  }

  async function needsApproval(given: Omit<ApprovalCall, 'signal'>): Promise<boolean> {
    const call = { ...given, requestContext: toRequestContext(given.requestContext) }
    let principal: string
    try {
      principal = resolvePrincipal(options.principal, call.requestContext)
    } catch {
      return true
    }
    return (await policyVerdict(call, principal)).required
  }

  const principal = (requestContext: RequestContextInput | null) =>
    resolvePrincipal(options.principal, toRequestContext(requestContext))

  return { check, needsApproval, principal }
}

type Ask = (request: ApprovalRequest, context: ApprovalHandlerContext) => unknown

function handlerFunction(handler: ApprovalHandler): Ask {
  if (typeof handler === 'function') return handler
  if (typeof (handler as { decide?: unknown } | null)?.decide === 'function') {
    return (request, context) => handler.decide(request, context)
  }
  throw new TypeError(
    'Approval handler must be a function (request, context) => boolean | decision, or an object with decide(request, context), such as an ApprovalQueue',
  )
}

/**
 * Asks the handler and settles on the first of: its decision, the expiry, the call's abort.
 * Cleans up after itself (timer, abort listener) whichever comes first, and tells the handler
 * to stop waiting through its signal when the call gives up.
 */
function waitForDecision(options: {
  ask: Ask
  request: ApprovalRequest
  call: ApprovalCall
  timeout: number
}): Promise<Ending> {
  const { ask, request, call, timeout } = options
  const controller = new AbortController()
  const callSignal = call.signal
  return new Promise<Ending>((resolve) => {
    let done = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const end = (ending: Ending, stopHandler?: { reason: unknown }) => {
      if (done) return
      done = true
      clearTimeout(timer)
      callSignal?.removeEventListener('abort', onCallAbort)
      resolve(ending)
      // After `done`: a queue settles its record here, and its answer must be ignored.
      if (stopHandler) controller.abort(stopHandler.reason)
    }
    const onCallAbort = () =>
      end(
        { outcome: 'denied', reason: 'aborted', decidedBy: undefined },
        { reason: callSignal?.reason },
      )
    const onExpiry = () => {
      // Timers may fire a little early; expiry is final only once expiresAt has passed, so a
      // store comparing with expiresAt agrees with us.
      const remaining = request.expiresAt - Date.now()
      if (remaining > 0) {
        timer = setTimeout(onExpiry, remaining)
        return
      }
      end(
        {
          outcome: 'expired',
          reason: `no decision within ${timeout} ms (the approval request expired)`,
          decidedBy: undefined,
        },
        { reason: new DOMException('The approval request expired', 'TimeoutError') },
      )
    }
    timer = setTimeout(onExpiry, timeout)
    callSignal?.addEventListener('abort', onCallAbort, { once: true })

    let answer: Promise<unknown>
    try {
      answer = Promise.resolve(
        ask(request, {
          requestContext: toRequestContext(call.requestContext),
          signal: controller.signal,
        }),
      )
    } catch (error) {
      answer = Promise.reject(error)
    }
    answer.then(
      (value) => end(toEnding(value)),
      (error: unknown) =>
        end({ outcome: 'denied', reason: messageOf(error), decidedBy: undefined }),
    )
  })
}

/** Reads a handler's answer; anything that is not a clear approval is a denial. */
function toEnding(value: unknown): Ending {
  if (value === true) return { outcome: 'approved', reason: undefined, decidedBy: undefined }
  if (value === false) return { outcome: 'denied', reason: 'not approved', decidedBy: undefined }
  if (typeof value === 'object' && value !== null && 'approved' in value) {
    const decision = value as ApprovalDecision
    const decidedBy = typeof decision.by === 'string' ? decision.by : undefined
    if (decision.approved === true) return { outcome: 'approved', reason: undefined, decidedBy }
    if (decision.approved === false) {
      const reason =
        typeof decision.reason === 'string' && decision.reason !== ''
          ? decision.reason
          : 'not approved'
      return { outcome: 'denied', reason, decidedBy }
    }
  }
  return {
    outcome: 'denied',
    reason: 'the approval handler returned neither a boolean nor { approved }',
    decidedBy: undefined,
  }
}

function deepFreeze<Value>(value: Value): Value {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}
