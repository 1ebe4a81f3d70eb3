import { ProtocolError } from '@modelcontextprotocol/server'
import type { Attributes, Context, Span } from '@opentelemetry/api'

/**
 * OpenTelemetry, when the app has it: `@opentelemetry/api` is an optional peer, loaded on the
 * first traced request. Without it requests run untraced at the cost of one resolved promise.
 * Spans follow the OpenTelemetry semantic conventions for MCP.
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

/** W3C trace context for a request's `_meta` (`traceparent`, `tracestate`). */
export interface TraceMeta {
  traceparent: string
  tracestate?: string
}

/** What the span of a request reads of it. */
export interface TracedRequest {
  /** `tools/call`, `resources/read` or `prompts/get`. */
  method: 'tools/call' | 'resources/read' | 'prompts/get'
  /** The tool or prompt name (in the span's name), or the resource URI (an attribute only). */
  target: string
  /** The request's JSON-RPC id. */
  requestId: string | number
  /** The request's `_meta`: W3C `traceparent` / `tracestate` from the client, if it sent them. */
  meta: Record<string, unknown> | undefined
  sessionId: string | undefined
  era: 'legacy' | 'modern'
  /** The revision the request was sent for, when known. */
  protocolVersion: string | undefined
  /** Whether the request came over HTTP (else stdio). */
  http: boolean
}

/**
 * The span of the request a handler runs in, as the handler's questions to the client see it:
 * each question carries the trace context of a span of this trace in its `_meta`, so the
 * client's handler span joins the trace.
 */
export interface RequestTrace {
  /** The trace context of the request's span: `_meta` of a question in `input_required`. */
  readonly meta: TraceMeta | undefined
  /**
   * Sends a server→client request (a 2025 session) in a CLIENT span, a child of the request's
   * span; `send` gets that span's trace context for the request's `_meta`.
   */
  request<Result>(
    method: string,
    send: (meta: TraceMeta | undefined) => Promise<Result>,
  ): Promise<Result>
}

/** The trace of an untraced request: questions go out without trace context. */
export const NO_TRACE: RequestTrace = {
  meta: undefined,
  request: (_method, send) => send(undefined),
}

/**
 * Runs a request in a SERVER span (OpenTelemetry semantic conventions for MCP: `tools/call
 * <tool>`, `prompts/get <prompt>`, `resources/read`), a child of the trace context the client
 * put in `_meta`, so one trace spans agent, client, server and tool. A tool result with
 * `isError` marks the span as failed (`error.type: tool_error`).
 */
export async function tracedRequest<Result>(
  request: TracedRequest,
  run: (trace: RequestTrace) => Promise<Result>,
): Promise<Result> {
  const api = await openTelemetry()
  if (!api) return run(NO_TRACE)
  const { method, target } = request
  const parent = remoteParent(api, request.meta) ?? api.context.active()
  const tracer = api.trace.getTracer('@mcpkit/mcp-server-core')
  const common: Attributes = {
    'mcpkit.protocol.era': request.era,
    'network.transport': request.http ? 'tcp' : 'pipe',
    ...(request.http ? { 'network.protocol.name': 'http' } : {}),
    ...(request.sessionId === undefined ? {} : { 'mcp.session.id': request.sessionId }),
    ...(request.protocolVersion === undefined
      ? {}
      : { 'mcp.protocol.version': request.protocolVersion }),
  }
  const span = tracer.startSpan(
    method === 'resources/read' ? method : `${method} ${target}`,
    {
      kind: api.SpanKind.SERVER,
      attributes: {
        'mcp.method.name': method,
        'jsonrpc.request.id': String(request.requestId),
        ...targetAttributes(method, target),
        ...common,
      },
    },
    parent,
  )
  const context = api.trace.setSpan(parent, span)
  const trace: RequestTrace = {
    meta: traceMetaOf(span),
    request: async (asked, send) => {
      const child = tracer.startSpan(
        asked,
        { kind: api.SpanKind.CLIENT, attributes: { 'mcp.method.name': asked, ...common } },
        context,
      )
      try {
        return await api.context.with(api.trace.setSpan(context, child), () =>
          send(traceMetaOf(child)),
        )
      } catch (error) {
        recordError(api, child, error)
        throw error
      } finally {
        child.end()
      }
    },
  }
  try {
    const result = await api.context.with(context, () => run(trace))
    if ((result as { isError?: unknown } | null)?.isError === true) {
      span.setAttribute('error.type', 'tool_error')
      span.setStatus({ code: api.SpanStatusCode.ERROR })
    }
    return result
  } catch (error) {
    recordError(api, span, error)
    throw error
  } finally {
    span.end()
  }
}

function targetAttributes(method: TracedRequest['method'], target: string): Attributes {
  switch (method) {
    case 'tools/call':
      return { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': target }
    case 'prompts/get':
      return { 'gen_ai.prompt.name': target }
    case 'resources/read':
      return { 'mcp.resource.uri': target }
  }
}

/** `error.type` (the JSON-RPC error code when there is one) and an error status. */
function recordError(api: OpenTelemetryApi, span: Span, error: unknown): void {
  if (error instanceof ProtocolError) {
    span.setAttribute('error.type', String(error.code))
    span.setAttribute('rpc.response.status_code', String(error.code))
  } else {
    span.setAttribute('error.type', error instanceof Error ? error.name : '_OTHER')
  }
  span.setStatus({
    code: api.SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  })
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

/** The W3C `traceparent` / `tracestate` of `span`; `undefined` for an invalid (no-op) span. */
function traceMetaOf(span: Span): TraceMeta | undefined {
  const { traceId, spanId, traceFlags, traceState } = span.spanContext()
  if (!/^[0-9a-f]{32}$/.test(traceId) || /^0+$/.test(traceId)) return undefined
  const flags = (traceFlags & 0xff).toString(16).padStart(2, '0')
  const meta: TraceMeta = { traceparent: `00-${traceId}-${spanId}-${flags}` }
  const state = traceState?.serialize()
  if (state) meta.tracestate = state
  return meta
}

/** `params` with the trace context added to its `_meta` (the handler's own keys win). */
export function withTraceMeta<Params extends object>(
  params: Params,
  meta: TraceMeta | undefined,
): Params {
  if (!meta) return params
  const own = (params as { _meta?: Record<string, unknown> })._meta
  return { ...params, _meta: { ...meta, ...own } }
}
