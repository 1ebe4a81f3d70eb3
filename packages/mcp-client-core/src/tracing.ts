import { ToolExecutionError } from '@mcpkit/types'
import { ProtocolError } from '@modelcontextprotocol/client'
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api'
import { CLIENT_INFO } from './version.js'

/**
 * OpenTelemetry, when the app has it: `@opentelemetry/api` is an optional peer, loaded on the
 * first traced operation. Without it, or with it and no tracer provider registered (no SDK),
 * an operation does no span work at all: it runs as it is, without a span, a context or a
 * promise more. A provider registered later is used from the next operation on.
 * Spans follow the OpenTelemetry semantic conventions for MCP (`mcp.method.name`,
 * `gen_ai.tool.name`, `mcp.session.id`, …).
 */
type OpenTelemetryApi = typeof import('@opentelemetry/api')

let loading: Promise<OpenTelemetryApi | undefined> | undefined
/** The API once loaded, `null` once known to be missing: later operations need no `await`. */
let loaded: OpenTelemetryApi | null | undefined

function openTelemetry(): Promise<OpenTelemetryApi | undefined> {
  loading ??= import('@opentelemetry/api').then(
    (api) => {
      loaded = api
      return api
    },
    () => {
      loaded = null
      return undefined
    },
  )
  return loading
}

/**
 * The tracer of the registered tracer provider; `undefined` when none is registered. The API's
 * global provider is a proxy that hands out no-op tracers until an SDK sets its delegate; it
 * is asked for the delegate's tracer, so an app without an SDK gets no no-op spans made.
 */
function tracerOf(api: OpenTelemetryApi): Tracer | undefined {
  const provider = api.trace.getTracerProvider() as ReturnType<
    OpenTelemetryApi['trace']['getTracerProvider']
  > & { getDelegateTracer?: (name: string, version?: string) => Tracer | undefined }
  return typeof provider.getDelegateTracer === 'function'
    ? provider.getDelegateTracer(TRACER_NAME, CLIENT_INFO.version)
    : provider.getTracer(TRACER_NAME, CLIENT_INFO.version)
}

const TRACER_NAME = '@mcpkit/mcp-client-core'

/** W3C trace context to put in a request's `_meta` (`traceparent`, `tracestate`). */
export interface TraceMeta {
  traceparent: string
  tracestate?: string
}

/** What a traced operation gets: its span's trace context for `_meta`, and its attributes. */
export interface SpanHandle {
  /** Whether a span records the operation: without one, attributes need not be computed. */
  readonly recording: boolean
  /** The trace context of the operation's span, for the request's `_meta`. */
  meta: TraceMeta | undefined
  /** Adds attributes known only later (the session id, the negotiated revision). */
  setAttributes(attributes: Attributes): void
  /** Marks the span failed without an exception (a tool's `isError` result: `tool_error`). */
  fail(errorType: string): void
  /** Renames the span (the connect span, once the handshake's method is known). */
  rename(name: string): void
}

const NO_SPAN: SpanHandle = {
  recording: false,
  meta: undefined,
  setAttributes: () => {},
  fail: () => {},
  rename: () => {},
}

/**
 * Runs `operation` in a CLIENT span named `name` (a child of the active context when the app
 * has a context manager), ending it with the outcome: an error sets the span's status and
 * `error.type` (the JSON-RPC error code when there is one, else the mcpkit error code).
 */
export function traced<Result>(
  name: string,
  attributes: Attributes,
  operation: (span: SpanHandle) => Promise<Result>,
): Promise<Result> {
  return inSpan('client', name, attributes, undefined, operation)
}

/**
 * Runs the client's handler of a server's request (`elicitation/create`,
 * `sampling/createMessage`, `roots/list`, on a 2025 session or embedded in a 2026-07-28
 * `input_required` answer) in a SERVER span named after the method, a child of the trace
 * context the server put in the request's `_meta`: the server's span for the tool that asked.
 */
export function tracedHandler<Result>(
  method: string,
  meta: unknown,
  attributes: Attributes,
  operation: () => Promise<Result> | Result,
): Promise<Result> {
  return inSpan('server', method, { 'mcp.method.name': method, ...attributes }, meta, async () =>
    operation(),
  )
}

function inSpan<Result>(
  kind: 'client' | 'server',
  name: string,
  attributes: Attributes,
  remoteMeta: unknown,
  operation: (span: SpanHandle) => Promise<Result>,
): Promise<Result> {
  // After the first operation the answer is known: no extra await per call on the hot path.
  if (loaded === undefined) {
    return openTelemetry().then(() => inSpan(kind, name, attributes, remoteMeta, operation))
  }
  const tracer = loaded ? tracerOf(loaded) : undefined
  if (!loaded || !tracer) {
    try {
      return operation(NO_SPAN)
    } catch (error) {
      return Promise.reject(error)
    }
  }
  return inRecordedSpan(loaded, tracer, kind, name, attributes, remoteMeta, operation)
}

async function inRecordedSpan<Result>(
  api: OpenTelemetryApi,
  tracer: Tracer,
  kind: 'client' | 'server',
  name: string,
  attributes: Attributes,
  remoteMeta: unknown,
  operation: (span: SpanHandle) => Promise<Result>,
): Promise<Result> {
  const parent = remoteParent(api, remoteMeta) ?? api.context.active()
  const span: Span = tracer.startSpan(
    name,
    { kind: kind === 'client' ? api.SpanKind.CLIENT : api.SpanKind.SERVER, attributes },
    parent,
  )
  const handle: SpanHandle = {
    recording: span.isRecording(),
    meta: traceMetaOf(span),
    setAttributes: (more) => span.setAttributes(more),
    fail: (errorType) => {
      span.setAttribute('error.type', errorType)
      span.setStatus({ code: api.SpanStatusCode.ERROR })
    },
    rename: (newName) => span.updateName(newName),
  }
  try {
    return await api.context.with(api.trace.setSpan(parent, span), () => operation(handle))
  } catch (error) {
    const rpcCode = jsonRpcCodeOf(error)
    const code = (error as { code?: unknown } | null)?.code
    span.setAttribute(
      'error.type',
      error instanceof ToolExecutionError
        ? 'tool_error'
        : rpcCode !== undefined
          ? String(rpcCode)
          : typeof code === 'string'
            ? code
            : error instanceof Error
              ? error.name
              : '_OTHER',
    )
    if (rpcCode !== undefined) span.setAttribute('rpc.response.status_code', String(rpcCode))
    span.setStatus({
      code: api.SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    })
    throw error
  } finally {
    span.end()
  }
}

/**
 * The JSON-RPC error code of a failed request: the SDK's `ProtocolError` carries it as a
 * number, and mcpkit's errors keep that error as their `cause`.
 */
function jsonRpcCodeOf(error: unknown): number | undefined {
  let current = error
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
    if (current instanceof ProtocolError) return current.code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/** The peer's span from `_meta.traceparent` (and `tracestate`), as a remote parent. */
function remoteParent(api: OpenTelemetryApi, meta: unknown): Context | undefined {
  if (meta === null || typeof meta !== 'object') return undefined
  const { traceparent, tracestate } = meta as { traceparent?: unknown; tracestate?: unknown }
  if (typeof traceparent !== 'string') return undefined
  const match = TRACEPARENT.exec(traceparent)
  if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return undefined
  return api.trace.setSpanContext(api.ROOT_CONTEXT, {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: Number.parseInt(match[3]!, 16),
    isRemote: true,
    ...(typeof tracestate === 'string' && tracestate !== ''
      ? { traceState: api.createTraceState(tracestate) }
      : {}),
  })
}

/** The W3C `traceparent` / `tracestate` of `span`; `undefined` for an invalid (no-op) span. */
function traceMetaOf(span: Span): TraceMeta | undefined {
  const { traceId, spanId, traceFlags, traceState, isRemote } = span.spanContext()
  if (!/^[0-9a-f]{32}$/.test(traceId) || /^0+$/.test(traceId) || isRemote) return undefined
  const flags = (traceFlags & 0xff).toString(16).padStart(2, '0')
  const meta: TraceMeta = { traceparent: `00-${traceId}-${spanId}-${flags}` }
  const state = traceState?.serialize()
  if (state) meta.tracestate = state
  return meta
}

/** `connect` in a span named after the handshake (`initialize`, or `server/discover`). */
export function tracedConnect<Connection extends { era: string }>(
  serverName: string,
  connect: () => Promise<Connection>,
  attributesOf: (connection: Connection) => Attributes,
): Promise<Connection> {
  return traced(
    'initialize',
    { 'mcp.method.name': 'initialize', 'mcpkit.server.name': serverName },
    async (span) => {
      const connection = await connect()
      // A 2026-07-28 server has no `initialize`: its handshake is `server/discover`.
      const method = connection.era === 'modern' ? 'server/discover' : 'initialize'
      span.rename(method)
      span.setAttributes({ 'mcp.method.name': method, ...attributesOf(connection) })
      return connection
    },
  )
}
