import { type ApprovalGate, createApprovalGate } from '@mcpkit/tool-approval'
import {
  type ApprovalOptions,
  type Log,
  MCPClientError,
  MCPKitError,
  type RequestContext,
  type ServerDefinition,
  type ToolExecutionContext,
  ToolExecutionError,
  ToolInputValidationError,
  toRequestContext,
} from '@mcpkit/types'
import {
  type CallToolRequestOptions,
  type CallToolRequestParams,
  type CallToolResult,
  type Client,
  type ProtocolEra,
  ProtocolError,
} from '@modelcontextprotocol/client'
import type { InputCheck } from './input-validator.js'
import type { MCPTool } from './mcp-tool.js'
import type { ScopeRequestOptions } from './operation-scope.js'
import { abortedError, type Operation } from './request-errors.js'
import { type SpanHandle, traced } from './tracing.js'

/** What a tool call needs from the connection of the tool's server. */
export interface ToolCallTarget {
  /** The server's name (its key in `servers`). */
  readonly name: string
  readonly definition: ServerDefinition
  /** Milliseconds per request. */
  readonly timeout: number
  readonly log: Log
  /** Holds the calls `requireToolApproval` selects; `undefined` when it selects none. */
  readonly approvalGate: ApprovalGate | undefined
  /** Aborts when the client is disconnected. */
  readonly closed: AbortSignal
  /** The compiled input check of a schema. */
  inputCheck(tool: MCPTool): InputCheck
  /** The tools the server listed last by name, if it has listed them; no I/O. */
  readonly listedTools: ReadonlyMap<string, MCPTool> | undefined
  /** The tools the server lists by name, listing them first when it has not. */
  currentTools(requestContext: RequestContext | null): Promise<ReadonlyMap<string, MCPTool>>
  /**
   * Sends through the live connection, reconnecting (and re-sending when safe) as needed.
   * `options` go into the SDK call's options: they carry the attempt's scope, and its `signal`
   * aborts when the attempt is cut short (a lost response stream, too large an answer);
   * `undefined` when nothing can cut it short (one stdio request).
   */
  request<Result>(
    operation: Operation,
    send: (
      client: Client,
      era: ProtocolEra,
      options: ScopeRequestOptions | undefined,
    ) => Promise<Result>,
  ): Promise<Result>
  /**
   * The `_meta` keys a request on `era` carries (the modern era's log level): a new object each
   * time, which the caller may add to.
   */
  requestMeta(era: ProtocolEra): Record<string, unknown> | undefined
  /**
   * A call's `progressToken`: its `runId`, or a new token without one; `undefined` when
   * `enableProgressTracking` is off or no `progress.onUpdate` handler of the server would hear it.
   */
  progressToken(runId: string | undefined): string | undefined
  /** The server's tools, listed again when the cached list was invalidated. */
  tools(requestContext: RequestContext | null): Promise<readonly MCPTool[]>
  /** Forgets the cached tool list. */
  invalidateTools(): void
}

/**
 * The JSON-RPC error a 2026-07-28 server answers when a `tools/call`'s `Mcp-Param-*` headers do
 * not match its arguments (SEP-2243 `HeaderMismatch`): the tool's schema changed since it was
 * listed.
 */
const HEADER_MISMATCH = -32020

/**
 * A tool call, the one path every call takes to its server, whatever handed out the tool
 * (`listTools()`, `listToolsets()`, a pool, a detached `execute`): validate the arguments,
 * check the server still lists the tool, wait for approval, send, map the result.
 */
export function callTool(
  target: ToolCallTarget,
  tool: MCPTool,
  input: Record<string, unknown>,
  given: ToolExecutionContext,
): Promise<unknown> {
  const { signal, abortSignal } = given
  if (signal && abortSignal && signal !== abortSignal) {
    return callWithEither(target, tool, input, given, signal, abortSignal)
  }
  const context = normalizeContext(given, signal ?? abortSignal)
  return traced(
    `tools/call ${tool.name}`,
    {
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': tool.name,
      'mcpkit.server.name': target.name,
    },
    (span) => {
      context.span = span
      return runCall(target, tool, input, context)
    },
  )
}

async function runCall(
  target: ToolCallTarget,
  tool: MCPTool,
  input: Record<string, unknown>,
  context: CallContext,
): Promise<unknown> {
  const { requestContext, signal } = context
  if (signal?.aborted) throw abortedError(target.name, tool.name, signal.reason)
  validate(target, tool, input)
  // The server's current definition of the tool goes with the call: the caller's may be older.
  const listed = listedTool(
    target,
    tool,
    target.listedTools ?? (await target.currentTools(requestContext)),
  )
  if (target.approvalGate) {
    const refusal = await approve(target, target.approvalGate, tool, input, context)
    if (refusal !== undefined) return refusal
  }
  let result: CallToolResult
  try {
    result = await send(target, listed, input, context)
  } catch (error) {
    // Out of line: this frame is allocated for every call.
    result = await sendAgainIfSchemaChanged(target, tool, input, context, error)
  }
  // The semantic conventions' `error.type` of a result with `isError` (returned or thrown).
  if (result.isError) context.span?.fail('tool_error')
  return mapResult(target, tool, result)
}

/**
 * A call that failed: when the server's schema for the tool changed (its `Mcp-Param-*` headers
 * no longer match), the tools are listed again and the call sent once more with the new
 * definition; any other error is thrown as it is.
 */
async function sendAgainIfSchemaChanged(
  target: ToolCallTarget,
  tool: MCPTool,
  input: Record<string, unknown>,
  context: CallContext,
  error: unknown,
): Promise<CallToolResult> {
  if (!(error instanceof MCPKitError && isHeaderMismatch(error.cause))) throw error
  target.log(
    'info',
    `tools/call "${tool.name}": the server's headers for it changed; listing the tools again`,
  )
  target.invalidateTools()
  const current = listedTool(target, tool, await target.currentTools(context.requestContext))
  validate(target, current, input)
  return send(target, current, input, context)
}

/** A call's context as the steps below read it. */
interface CallContext {
  requestContext: RequestContext | null
  signal: AbortSignal | undefined
  runId: string | undefined
  approvedBy: string | undefined
  /** The call's span, once `traced` opened it: its trace context goes in the request's `_meta`. */
  span: SpanHandle | undefined
  /** The call's `progressToken`, set by `send`. */
  progressToken: string | undefined
}

/**
 * A call given two signals (`signal` and a framework's `abortSignal`) ends when either aborts.
 * They are not joined with `AbortSignal.any()`: Node keeps what each join registers on a source
 * for as long as that source lives (nodejs/node#55351), and an agent's signal may outlive
 * thousands of calls. One controller per call follows both, until the call settles.
 */
async function callWithEither(
  target: ToolCallTarget,
  tool: MCPTool,
  input: Record<string, unknown>,
  given: ToolExecutionContext,
  signal: AbortSignal,
  abortSignal: AbortSignal,
): Promise<unknown> {
  const either = new AbortController()
  const onSignal = () => either.abort(signal.reason)
  const onAbortSignal = () => either.abort(abortSignal.reason)
  if (signal.aborted) onSignal()
  else if (abortSignal.aborted) onAbortSignal()
  signal.addEventListener('abort', onSignal, { once: true })
  abortSignal.addEventListener('abort', onAbortSignal, { once: true })
  try {
    return await callTool(target, tool, input, {
      ...given,
      signal: either.signal,
      abortSignal: undefined,
    })
  } finally {
    signal.removeEventListener('abort', onSignal)
    abortSignal.removeEventListener('abort', onAbortSignal)
  }
}

/**
 * Frameworks pass `abortSignal` and plain-object contexts: read the context as a
 * `RequestContext`, once, here. `signal` is whichever signal the caller gave.
 */
function normalizeContext(
  context: ToolExecutionContext,
  signal: AbortSignal | undefined,
): CallContext {
  return {
    requestContext: toRequestContext(context.requestContext),
    signal,
    runId: context.runId,
    approvedBy: context.approvedBy,
    span: undefined,
    progressToken: undefined,
  }
}

/** The definition's `traceContext()`, as `_meta` keys; a throwing callback adds nothing. */
function traceContextMeta(target: ToolCallTarget): Record<string, string> | undefined {
  const read = target.definition.traceContext
  if (typeof read !== 'function') return undefined
  try {
    const trace = read()
    if (!trace || typeof trace.traceparent !== 'string') return undefined
    return {
      traceparent: trace.traceparent,
      ...(typeof trace.tracestate === 'string' ? { tracestate: trace.tracestate } : {}),
      ...(typeof trace.baggage === 'string' ? { baggage: trace.baggage } : {}),
    }
  } catch (error) {
    target.log('warning', `traceContext() threw; the call is sent without it: ${String(error)}`)
    return undefined
  }
}

function isHeaderMismatch(error: unknown): boolean {
  return error instanceof ProtocolError && error.code === HEADER_MISMATCH
}

/** Whether `requireToolApproval` holds this call (policy only, nobody is asked). */
export function needsApproval(
  target: ToolCallTarget,
  tool: MCPTool,
  input: Record<string, unknown>,
  requestContext: RequestContext | null,
): Promise<boolean> {
  if (!target.approvalGate) return Promise.resolve(false)
  return target.approvalGate.needsApproval({
    toolName: tool.name,
    serverName: target.name,
    args: input,
    annotations: tool.annotations,
    requestContext,
  })
}

/** 1. The arguments match the tool's input schema (compiled once per schema). */
function validate(target: ToolCallTarget, tool: MCPTool, input: Record<string, unknown>): void {
  const issues = target.inputCheck(tool)(input)
  if (issues.length > 0) {
    throw new ToolInputValidationError({ toolName: tool.name, serverName: target.name, issues })
  }
}

/**
 * 2. The server still lists the tool: its current definition. The list is fetched again only
 * when it was invalidated (`tools/list_changed`, a reconnect), so this is a map lookup on the
 * hot path.
 */
function listedTool(
  target: ToolCallTarget,
  tool: MCPTool,
  listed: ReadonlyMap<string, MCPTool>,
): MCPTool {
  const current = listed.get(tool.name)
  if (current) return current
  const available = [...listed.keys()].map((name) => `"${name}"`).join(', ') || '(none)'
  throw new MCPClientError(
    'TOOL_NOT_FOUND',
    `Server "${target.name}" no longer has a tool named "${tool.name}". Its tools: ${available}. List the tools again (listTools / listToolsets).`,
    { serverName: target.name },
  )
}

/**
 * 3. Approval, when `requireToolApproval` holds the call: the result to return instead of
 * running it (a denial the agent reads), or `undefined` to go on. The wait ends with the
 * decision, its expiry, the caller's abort, or `disconnect()`.
 */
async function approve(
  target: ToolCallTarget,
  gate: ApprovalGate,
  tool: MCPTool,
  input: Record<string, unknown>,
  context: CallContext,
): Promise<unknown> {
  const { signal, requestContext, approvedBy } = context
  const waiting = new AbortController()
  const stopWaiting = () => waiting.abort()
  signal?.addEventListener('abort', stopWaiting, { once: true })
  target.closed.addEventListener('abort', stopWaiting, { once: true })
  let check: Awaited<ReturnType<ApprovalGate['check']>>
  try {
    check = await gate.check({
      toolName: tool.name,
      serverName: target.name,
      args: input,
      annotations: tool.annotations,
      requestContext,
      approvedBy,
      signal: waiting.signal,
    })
  } finally {
    signal?.removeEventListener('abort', stopWaiting)
    target.closed.removeEventListener('abort', stopWaiting)
  }
  if (signal?.aborted) throw abortedError(target.name, tool.name, signal.reason)
  if (target.closed.aborted) {
    throw new MCPClientError(
      'DISCONNECTED',
      `The client was disconnected while "${tool.name}" waited for approval; it was not sent.`,
      { serverName: target.name },
    )
  }
  return check.allowed ? undefined : check.result
}

/**
 * 4. `tools/call`, with a progress token, the call's abort signal, and the retry rule of
 * `request()`: sent again after a lost connection only when the tool is annotated read-only or
 * idempotent. Every call takes this path, so it builds each object once, with no spread of
 * optional parts and no closure it does not need: per call that was ~1 µs of a stdio call's
 * ~60 µs (`bench:overhead`).
 */
function send(
  target: ToolCallTarget,
  tool: MCPTool,
  input: Record<string, unknown>,
  context: CallContext,
): Promise<CallToolResult> {
  const { signal } = context
  // One token per call, whatever attempts `request()` makes.
  context.progressToken = target.progressToken(context.runId)
  if (signal) return sendAbortable(target, tool, input, context, signal)
  return target.request(operationOf(tool, context), (client, era, scopeOptions) =>
    client.callTool(
      callParams(target, tool, input, context, era),
      callOptions(target, tool, scopeOptions),
    ),
  ) as Promise<CallToolResult>
}

/** `send` for a call with the caller's abort signal: it aborts the request, and the error names it. */
async function sendAbortable(
  target: ToolCallTarget,
  tool: MCPTool,
  input: Record<string, unknown>,
  context: CallContext,
  signal: AbortSignal,
): Promise<CallToolResult> {
  // A per-call controller between the caller's signal and the SDK: a long-lived caller signal
  // (an agent's, shared by all its calls) carries one listener of ours per call in flight, and
  // nothing the SDK or its transport attach to a request's signal (SDK 2.4 removes its own).
  const controller = new AbortController()
  const onAbort = () => controller.abort(signal.reason)
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    return (await target.request(operationOf(tool, context), (client, era, scopeOptions) => {
      const scopeSignal = scopeOptions?.signal
      return client.callTool(
        callParams(target, tool, input, context, era),
        callOptions(
          target,
          tool,
          scopeOptions,
          scopeSignal ? AbortSignal.any([controller.signal, scopeSignal]) : controller.signal,
        ),
      )
    })) as CallToolResult
  } catch (error) {
    if (signal.aborted && !(error instanceof MCPKitError && error.code === 'DISCONNECTED')) {
      throw abortedError(target.name, tool.name, signal.reason, error)
    }
    throw error
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

function operationOf(tool: MCPTool, context: CallContext): Operation {
  const { annotations } = tool
  return {
    what: `tools/call "${tool.name}"`,
    idempotent: annotations?.readOnlyHint === true || annotations?.idempotentHint === true,
    requestContext: context.requestContext,
    span: context.span,
  }
}

/**
 * The call's params. `_meta`: the era's keys, the progress token, then the W3C trace context,
 * so the server's span joins the caller's trace; the definition's `traceContext` (the app's
 * own carrier) wins over the span's.
 */
function callParams(
  target: ToolCallTarget,
  tool: MCPTool,
  input: Record<string, unknown>,
  context: CallContext,
  era: ProtocolEra,
): CallToolRequestParams {
  let meta = target.requestMeta(era)
  const { progressToken } = context
  if (progressToken !== undefined) meta = Object.assign(meta ?? {}, { progressToken })
  const spanMeta = context.span?.meta
  if (spanMeta) meta = Object.assign(meta ?? {}, spanMeta)
  const traceMeta = traceContextMeta(target)
  if (traceMeta) meta = Object.assign(meta ?? {}, traceMeta)
  return meta
    ? { name: tool.name, arguments: input, _meta: meta }
    : { name: tool.name, arguments: input }
}

/**
 * The SDK call's options: the attempt's scope with its signal (or `signal`, which includes
 * it), and the definition the tool was listed with. From the definition the SDK checks the result against the tool's output schema
 * without looking the tool up in its response cache (an async lookup per call), and on
 * 2026-07-28 mirrors the arguments into `Mcp-Param-*` headers; a mismatch is retried in
 * `runCall` after listing again.
 */
function callOptions(
  target: ToolCallTarget,
  tool: MCPTool,
  scopeOptions: ScopeRequestOptions | undefined,
  signal?: AbortSignal,
): CallToolRequestOptions {
  const options: CallToolRequestOptions = scopeOptions
    ? { timeout: target.timeout, toolDefinition: tool.definition, ...scopeOptions }
    : { timeout: target.timeout, toolDefinition: tool.definition }
  if (signal) options.signal = signal
  return options
}

/**
 * 5. What the caller gets: the structured content when the tool has it, else the result. A
 * result with `isError: true` throws `ToolExecutionError`, unless `toolErrors: 'return'`.
 */
function mapResult(target: ToolCallTarget, tool: MCPTool, result: CallToolResult): unknown {
  if (result.isError) {
    if (target.definition.toolErrors === 'return') return result
    throw new ToolExecutionError({
      toolName: tool.name,
      serverName: target.name,
      message: `Tool "${tool.name}" on server "${target.name}" reported an error: ${resultText(result) || '(no message)'}`,
      result,
    })
  }
  return result.structuredContent !== undefined ? result.structuredContent : result
}

function resultText(result: CallToolResult): string {
  return result.content
    .map((part) => (part.type === 'text' ? part.text : `[${part.type}]`))
    .join('\n')
    .trim()
}

/** The approval gate of a server, with mistakes in the settings as configuration errors. */
export function approvalGateFor(
  serverName: string,
  definition: ServerDefinition,
  approval: ApprovalOptions | undefined,
): ApprovalGate | undefined {
  const policy = definition.requireToolApproval
  if (policy === undefined || policy === false) return undefined
  try {
    return createApprovalGate({ ...approval, policy })
  } catch (error) {
    throw new MCPClientError(
      'INVALID_CONFIGURATION',
      `Server "${serverName}": invalid tool approval settings: ${error instanceof Error ? error.message : String(error)}`,
      { serverName, cause: error },
    )
  }
}
