import {
  type ApprovalGateOptions,
  RequestContext,
  type RequestContextInput,
  type Tool,
  type ToolExecutionContext,
} from '@mcpkit/types'
import { createApprovalGate } from './gate.js'

/**
 * AI SDK-style `needsApproval`: whether a call with this input would need approval (policy
 * only, nobody is asked). `experimental_context` is used as the request context when it is a
 * `RequestContext` and no `requestContext` is given.
 */
export type NeedsApproval = (
  input: Record<string, unknown>,
  options?: { requestContext?: RequestContextInput | null; experimental_context?: unknown },
) => Promise<boolean>

/** Options of `withApproval`: the gate's, plus the names the policy sees. */
export type WithApprovalOptions = ApprovalGateOptions & {
  /** The name policies and reviewers see. Default: `tool.id`. */
  toolName?: string
  /** Default: `undefined` (not an MCP tool). */
  serverName?: string
}

/**
 * Puts any `Tool` behind an approval gate. Returns a new object with the tool's other
 * properties, an `execute` that passes the gate first, and `needsApproval`. A denied call
 * does not throw: `execute` resolves with an `ApprovalDeniedResult` (`isError: true`, a text
 * the model can read; test with `isApprovalDenied`). The original tool is not changed.
 */
export function withApproval<T extends Tool<unknown, unknown>>(
  tool: T,
  options: WithApprovalOptions,
): T & { needsApproval: NeedsApproval } {
  const gate = createApprovalGate(options)
  const toolName = options.toolName ?? tool.id
  const serverName = options.serverName
  const original = tool

  const execute = async (input: unknown, context?: ToolExecutionContext) => {
    const check = await gate.check({
      toolName,
      serverName,
      args: asArgs(input),
      annotations: original.annotations,
      requestContext: context?.requestContext ?? null,
      signal: context?.signal ?? context?.abortSignal,
      approvedBy: context?.approvedBy,
    })
    if (!check.allowed) return check.result
    return original.execute(input, context)
  }
  const needsApproval: NeedsApproval = (input, needsOptions = {}) =>
    gate.needsApproval({
      toolName,
      serverName,
      args: asArgs(input),
      annotations: original.annotations,
      requestContext:
        needsOptions.requestContext ??
        (needsOptions.experimental_context instanceof RequestContext
          ? needsOptions.experimental_context
          : null),
    })

  // Copy the descriptors, not the values, so getters (e.g. a lazily built schema) keep working;
  // keep the prototype so class-based tools keep their methods.
  const descriptors = Object.getOwnPropertyDescriptors(tool) as PropertyDescriptorMap
  delete descriptors.execute
  delete descriptors.needsApproval
  const wrapped = Object.create(Object.getPrototypeOf(tool), descriptors) as T & {
    needsApproval: NeedsApproval
  }
  Object.defineProperties(wrapped, {
    execute: { value: execute, enumerable: true, writable: true, configurable: true },
    needsApproval: { value: needsApproval, enumerable: true, writable: true, configurable: true },
  })
  return wrapped
}

/** Policies and digests work on an arguments object; a tool taking a scalar gets it wrapped. */
function asArgs(input: unknown): Record<string, unknown> {
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    return input as Record<string, unknown>
  }
  return { input }
}
