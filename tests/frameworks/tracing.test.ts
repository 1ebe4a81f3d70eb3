/**
 * OpenTelemetry with the SDK's in-memory exporter: `MCPClient` and `MCPServer` record spans
 * for connect, `tools/list` and `tools/call` (client) and the tool's execution (server), with
 * the semantic conventions' attributes, and the client's W3C trace context travels in the
 * request's `_meta` over HTTP so the server's tool span is a child of the client's call span:
 * one trace id end to end.
 */
import { MCPClient } from '@mcpkit/mcp-client-core'
import { SpanKind, trace } from '@opentelemetry/api'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type FrameworkServer, startFrameworkServer } from '../support/framework-server.js'

const exporter = new InMemorySpanExporter()
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
let server: FrameworkServer

beforeAll(async () => {
  trace.setGlobalTracerProvider(provider)
  server = await startFrameworkServer()
})
afterAll(async () => {
  await server?.host.close()
  await provider.shutdown()
  trace.disable()
})

it('one trace id from the client span to the server’s tool span over HTTP', async () => {
  const mcp = new MCPClient({ id: 'traced', servers: { notes: { url: server.host.mcpUrl } } })
  try {
    const tools = await mcp.listTools()
    await tools.notes_get_weather!.execute({ city: 'Oslo' })
  } finally {
    await mcp.disconnect()
  }
  const spans = exporter.getFinishedSpans()
  const named = (name: string, kind: SpanKind) =>
    spans.find((span) => span.name === name && span.kind === kind)

  // The handshake's span is named after its method: `server/discover` on 2026-07-28.
  const connect = named('server/discover', SpanKind.CLIENT)
  expect(connect?.attributes['mcp.method.name']).toBe('server/discover')
  expect(connect?.attributes['mcpkit.server.name']).toBe('notes')
  expect(connect?.attributes['mcp.protocol.version']).toBeTypeOf('string')
  expect(named('tools/list', SpanKind.CLIENT)?.attributes['mcp.method.name']).toBe('tools/list')

  const clientCall = named('tools/call get_weather', SpanKind.CLIENT)
  const serverCall = named('tools/call get_weather', SpanKind.SERVER)
  expect(clientCall?.attributes).toMatchObject({
    'mcp.method.name': 'tools/call',
    'gen_ai.tool.name': 'get_weather',
    'gen_ai.operation.name': 'execute_tool',
  })
  expect(serverCall?.attributes).toMatchObject({
    'mcp.method.name': 'tools/call',
    'gen_ai.tool.name': 'get_weather',
  })
  expect(serverCall?.spanContext().traceId).toBe(clientCall?.spanContext().traceId)
  expect(serverCall?.parentSpanContext?.spanId).toBe(clientCall?.spanContext().spanId)
  expect(serverCall?.parentSpanContext?.isRemote).toBe(true)
})
