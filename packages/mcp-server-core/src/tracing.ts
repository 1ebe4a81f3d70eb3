import type { Context } from '@opentelemetry/api'

/**
 * OpenTelemetry, when the app has it: `@opentelemetry/api` is an optional peer, loaded on the
 * first tool call. Without it tools run untraced at the cost of one resolved promise.
 */
type OpenTelemetryApi = typeof import('@opentelemetry/api')

let loading: Promise<OpenTelemetryApi | undefined> | undefined

function openTelemetry(): Promise<OpenTelemetryApi | undefined> {
  loading ??= import('@opentelemetry/api').then(
    (api) => api,
    () => undefined,
  )
  return loading
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/** What the tool-call span reads of the request. */
export interface TracedCall {
  toolName: string
  /** The request's `_meta`: W3C `traceparent` / `tracestate` from the client, if it sent them. */
  meta: Record<string, unknown> | undefined
  sessionId: string | undefined
  era: 'legacy' | 'modern'
}

/**
 * Runs a tool call in a SERVER span `tools/call <tool>` (OpenTelemetry semantic conventions
 * for MCP), a child of the trace context the client put in `_meta`, so one trace spans agent,
 * client, server and tool. A result with `isError` marks the span as failed.
 */
export async function tracedToolCall<Result>(
  call: TracedCall,
  run: () => Promise<Result>,
): Promise<Result> {
  const api = await openTelemetry()
  if (!api) return run()
  const parent = remoteParent(api, call.meta) ?? api.context.active()
  const span = api.trace.getTracer('@mcpkit/mcp-server-core').startSpan(
    `tools/call ${call.toolName}`,
    {
      kind: api.SpanKind.SERVER,
      attributes: {
        'mcp.method.name': 'tools/call',
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': call.toolName,
        'mcpkit.protocol.era': call.era,
        ...(call.sessionId === undefined ? {} : { 'mcp.session.id': call.sessionId }),
      },
    },
    parent,
  )
  try {
    const result = await api.context.with(api.trace.setSpan(parent, span), run)
    if ((result as { isError?: unknown } | null)?.isError === true) {
      span.setAttribute('error.type', 'tool_error')
      span.setStatus({ code: api.SpanStatusCode.ERROR })
    }
    return result
  } catch (error) {
    span.setAttribute('error.type', error instanceof Error ? error.name : 'Error')
    span.setStatus({
      code: api.SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    })
    throw error
  } finally {
    span.end()
  }
}

/** The client's span from `_meta.traceparent` (and `tracestate`), as a remote parent. */
function remoteParent(
  api: OpenTelemetryApi,
  meta: Record<string, unknown> | undefined,
): Context | undefined {
  const traceparent = meta?.traceparent
  if (typeof traceparent !== 'string') return undefined
  const match = TRACEPARENT.exec(traceparent)
  if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return undefined
  const tracestate = typeof meta?.tracestate === 'string' ? meta.tracestate : undefined
  return api.trace.setSpanContext(api.ROOT_CONTEXT, {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: Number.parseInt(match[3]!, 16),
    isRemote: true,
    ...(tracestate ? { traceState: api.createTraceState(tracestate) } : {}),
  })
}
