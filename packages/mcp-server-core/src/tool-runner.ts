import {
  type CallToolResult,
  type InputRequiredResult,
  MissingRequiredClientCapabilityError,
  ProtocolError,
  ProtocolErrorCode,
  type ServerContext,
} from '@modelcontextprotocol/server'
import type { ServerCatalog } from './catalog.js'
import { toolCallRefusal } from './http-auth.js'
import { clientInputOf, InputRound } from './input-rounds.js'
import { requestExtra } from './request-extra.js'
import type { MCPToolContext } from './server-tool.js'
import { NO_TRACE, type RequestTrace } from './tracing.js'
import { unknownToolMessage } from './unknown-tool.js'

/**
 * Answers `tools/call`: finds the tool, checks the caller's scopes, validates the arguments,
 * runs it (again, for each round of questions on the 2026-07-28 era), and shapes what it
 * returned. A tool that throws, or arguments that fail the schema, become an `isError` result
 * the model reads; an unknown tool, or a `requestState` that is not this call's, is a JSON-RPC
 * error.
 */
export async function runTool(
  catalog: ServerCatalog,
  name: string,
  args: Record<string, unknown> | undefined,
  ctx: ServerContext,
  era: 'legacy' | 'modern',
  trace: RequestTrace = NO_TRACE,
): Promise<CallToolResult | InputRequiredResult> {
  const entry = catalog.tools.get(name)
  if (!entry) {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      unknownToolMessage(name, catalog.tools.keys()),
    )
  }
  const refusal = toolCallRefusal(catalog.auth, name, ctx.http?.authInfo)
  if (refusal) throw refusal
  const opened = await InputRound.open({
    ctx,
    era,
    codec: catalog.requestState,
    trace,
    method: 'tools/call',
    name,
    args: args ?? {},
    resumeForm: entry.resumeForm,
  })
  if (!(opened instanceof InputRound)) {
    return errorResult(
      `Tool "${name}" did not run: the user ${opened.declined === 'decline' ? 'declined' : 'cancelled'} its request for input.`,
    )
  }
  const checked = await entry.checkInput(args ?? {})
  if ('error' in checked) {
    return errorResult(`Invalid arguments for tool "${name}": ${checked.error}`)
  }
  // The run's own signal: it aborts with the request's, when a 2026-07-28 run ends for input
  // (the run is abandoned), and when the call outlives its time limit.
  const run = linkedAbort(ctx.mcpReq.signal)
  const limitMs = entry.timeoutMs ?? catalog.toolTimeoutMs
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    const running = opened.run(() =>
      entry.run(checked.data, toolContext(catalog, ctx, opened, run.signal)),
    )
    const outcome = Number.isFinite(limitMs)
      ? await Promise.race([
          running,
          new Promise<'expired'>((resolve) => {
            timer = setTimeout(() => resolve('expired'), limitMs)
          }),
        ])
      : await running
    if (outcome === 'expired') {
      // The tool may ignore its signal: whatever it does later is dropped, not reported.
      running.catch(() => {})
      const message = `Tool "${name}" did not finish within ${limitMs} ms (its time limit) and was cancelled.`
      run.abort(message)
      catalog.log('warning', message, { tool: name, timeoutMs: limitMs })
      return errorResult(message)
    }
    if (outcome.kind === 'complete') return outcome.value
    run.abort('the call needs input from the client; it runs again on the retry')
    return outcome.result
  } catch (error) {
    // Undeclared capability on 2026-07-28: the spec's -32021 error, not a tool failure.
    if (error instanceof MissingRequiredClientCapabilityError) throw error
    const message = error instanceof Error ? error.message : String(error)
    catalog.log('error', `tool "${name}" failed: ${message}`, {
      tool: name,
      ...(error instanceof Error && error.stack ? { stack: error.stack } : {}),
    })
    return errorResult(message)
  } finally {
    clearTimeout(timer)
    run.release()
  }
}

/** A signal of this run that also aborts with the request's. */
function linkedAbort(requestSignal: AbortSignal) {
  const controller = new AbortController()
  const onAbort = () => controller.abort(requestSignal.reason)
  if (requestSignal.aborted) onAbort()
  else requestSignal.addEventListener('abort', onAbort, { once: true })
  return {
    signal: controller.signal,
    abort: (reason: string) => controller.abort(reason),
    release: () => requestSignal.removeEventListener('abort', onAbort),
  }
}

/** The second argument of `execute`, for a call from an MCP client. */
function toolContext(
  catalog: ServerCatalog,
  ctx: ServerContext,
  round: InputRound,
  signal: AbortSignal | undefined,
): MCPToolContext {
  const { mcpReq } = ctx
  const progressToken = mcpReq._meta?.progressToken
  return {
    extra: requestExtra(ctx, { signal, round }),
    ...clientInputOf(round),
    suspend: async (payload) => round.suspend(payload),
    ...(round.resumption
      ? {
          resumeData: round.resumption.resumeData,
          suspendPayload: round.resumption.suspendPayload,
        }
      : {}),
    // The level filter is the SDK's: the session's `logging/setLevel` on 2025 sessions, the
    // request's `logLevel` on 2026-07-28 ones.
    log: (level, data) => mcpReq.log(level, data, catalog.info.name),
    progress: async (progress, total, message) => {
      if (progressToken === undefined) return
      await mcpReq.notify({
        method: 'notifications/progress',
        params: {
          progressToken,
          progress,
          ...(total === undefined ? {} : { total }),
          ...(message === undefined ? {} : { message }),
        },
      })
    },
  }
}

export function errorResult(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true }
}
