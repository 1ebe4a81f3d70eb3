import type { Attributes, Span, Tracer } from '@opentelemetry/api'
import { CLIENT_INFO } from './version.js'

/**
 * OpenTelemetry, when the app has it: `@opentelemetry/api` is an optional peer, loaded on the
 * first traced operation. Without it every operation runs untraced at the cost of one
 * resolved promise; with it and no SDK registered, the API's no-op tracer does nothing.
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

/** W3C trace context to put in a request's `_meta` (`traceparent`, `tracestate`). */
export interface TraceMeta {
  traceparent: string
  tracestate?: string
}

/** What a traced operation gets: its span's trace context for `_meta`, and its attributes. */
export interface SpanHandle {
  /** The trace context of the operation's span, for the request's `_meta`. */
  meta: TraceMeta | undefined
  /** Adds attributes known only later (the session id, the negotiated revision). */
  setAttributes(attributes: Attributes): void
}

const NO_SPAN: SpanHandle = { meta: undefined, setAttributes: () => {} }

/**
 * Runs `operation` in a CLIENT span named `name` (a child of the active context when the app
 * has a context manager), ending it with the outcome: an error sets the span's status and
 * `error.type` (the mcpkit error code when there is one).
 */
export async function traced<Result>(
  name: string,
  attributes: Attributes,
  operation: (span: SpanHandle) => Promise<Result>,
): Promise<Result> {
  // After the first operation the answer is known: no extra await per call on the hot path.
  const api = loaded === undefined ? await openTelemetry() : (loaded ?? undefined)
  if (!api) return operation(NO_SPAN)
  const tracer: Tracer = api.trace.getTracer('@mcpkit/mcp-client-core', CLIENT_INFO.version)
  const span: Span = tracer.startSpan(
    name,
    { kind: api.SpanKind.CLIENT, attributes },
    api.context.active(),
  )
  const handle: SpanHandle = {
    meta: traceMetaOf(span),
    setAttributes: (more) => span.setAttributes(more),
  }
  try {
    return await api.context.with(api.trace.setSpan(api.context.active(), span), () =>
      operation(handle),
    )
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code
    span.setAttribute(
      'error.type',
      typeof code === 'string' ? code : error instanceof Error ? error.name : 'Error',
    )
    span.setStatus({
      code: api.SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    })
    throw error
  } finally {
    span.end()
  }
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

/** The attributes of a `tools/list` span. */
export function listAttributes(serverName: string): Attributes {
  return { 'mcp.method.name': 'tools/list', 'mcpkit.server.name': serverName }
}

/** `connect` in a span that records the negotiated revision and era. */
export function tracedConnect<Connection extends { protocolVersion: string; era: string }>(
  serverName: string,
  connect: () => Promise<Connection>,
): Promise<Connection> {
  return traced(
    `connect ${serverName}`,
    { 'mcp.method.name': 'initialize', 'mcpkit.server.name': serverName },
    async (span) => {
      const connection = await connect()
      span.setAttributes({
        'mcp.protocol.version': connection.protocolVersion,
        'mcpkit.protocol.era': connection.era,
      })
      return connection
    },
  )
}
