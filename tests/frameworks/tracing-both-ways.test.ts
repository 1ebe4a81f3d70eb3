/**
 * W3C trace context in both directions, with the OpenTelemetry SDK's in-memory exporter: an
 * `MCPClient` and an `MCPServer` over Streamable HTTP on 127.0.0.1, on both protocol eras. A
 * tool that asks the client (elicitation, sampling, roots) puts its span's trace context in the
 * question's `_meta` (a server→client request on 2025, an `input_required` answer on
 * 2026-07-28), and the client's handler span is a child of it: one trace covers client tool
 * call → server tool execution → the server's question → the client's handler. `resources/read`
 * and `prompts/get` are traced on both sides, and the spans carry the semantic conventions'
 * attributes (`mcp.session.id` on 2025 sessions, the server's address, `error.type`).
 */
import { MCPClient } from '@mcpkit/mcp-client-core'
import { createMCPTool } from '@mcpkit/mcp-server-core'
import { SpanKind, trace } from '@opentelemetry/api'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createErasServer } from '../support/eras-server.js'
import { cleanupsAfterEach } from '../support/helpers.js'
import { everythingScript, type Host, hostServer } from '../support/server-host.js'

const exporter = new InMemorySpanExporter()
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
const cleanups = cleanupsAfterEach()
let host: Host

beforeAll(async () => {
  trace.setGlobalTracerProvider(provider)
  const { server } = createErasServer({
    tools: {
      boom: createMCPTool({
        id: 'boom',
        description: 'Always fails',
        inputSchema: z.object({}),
        execute: async () => {
          throw new Error('boom')
        },
      }),
    },
  })
  host = await hostServer(server)
})
afterAll(async () => {
  await host?.close()
  await provider.shutdown()
  trace.disable()
})
beforeEach(() => exporter.reset())

type Era = 'legacy' | 'modern'

function connect(era: Era): MCPClient {
  const client = new MCPClient({
    id: `traced-${era}`,
    servers: {
      eras: {
        url: host.mcpUrl,
        roots: [{ uri: 'file:///work' }],
        ...(era === 'legacy' ? { protocolVersion: 'legacy' as const } : {}),
      },
    },
  })
  cleanups.push(() => client.disconnect())
  // Each form gets its one field filled: `name` (greet) or `topic` (the `asks` prompt).
  client.elicitation.onRequest('eras', async (request) => ({
    action: 'accept',
    content: 'topic' in request.requestedSchema.properties ? { topic: 'rust' } : { name: 'Ada' },
  }))
  client.sampling.onRequest('eras', async () => ({
    model: 'test-model',
    role: 'assistant',
    content: { type: 'text', text: 'short' },
  }))
  return client
}

function spansNamed(name: string, kind: SpanKind): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.name === name && span.kind === kind)
}

function only(name: string, kind: SpanKind): ReadableSpan {
  const found = spansNamed(name, kind)
  expect(found.map((span) => span.name)).toEqual([name])
  return found[0]!
}

/** The span whose span id is the parent of `span`. */
function parentOf(span: ReadableSpan): ReadableSpan | undefined {
  const parentId = span.parentSpanContext?.spanId
  return exporter.getFinishedSpans().find((each) => each.spanContext().spanId === parentId)
}

/**
 * The server's tool span a client handler span hangs from: on 2025 through the server's CLIENT
 * span of its request (`method`), on 2026-07-28 directly (the question rode in the answer).
 */
function askingToolSpan(handler: ReadableSpan, era: Era, method: string): ReadableSpan | undefined {
  let asking = parentOf(handler)
  if (era === 'legacy') {
    expect(asking?.name).toBe(method)
    expect(asking?.kind).toBe(SpanKind.CLIENT)
    asking = parentOf(asking!)
  }
  expect(asking?.kind).toBe(SpanKind.SERVER)
  return asking
}

describe.each(['legacy', 'modern'] as const)('on the %s era', (era) => {
  it('one trace: client tools/call → server tools/call → elicitation → client handler', async () => {
    const client = connect(era)
    const tools = await client.listTools()
    expect(client.getServerProtocolEras()).toEqual({ eras: era })
    expect(await tools.eras_greet!.execute({})).toMatchObject({
      content: [{ type: 'text', text: 'Hello, Ada!' }],
    })

    const clientCall = only('tools/call greet', SpanKind.CLIENT)
    const handler = only('elicitation/create', SpanKind.SERVER)
    const traceId = clientCall.spanContext().traceId
    expect(handler.spanContext().traceId).toBe(traceId)
    expect(handler.parentSpanContext?.isRemote).toBe(true)
    expect(handler.attributes).toMatchObject({
      'mcp.method.name': 'elicitation/create',
      'mcpkit.server.name': 'eras',
    })

    // Up from the client's handler: the server's question (2025), then the server's tool span.
    const asking = askingToolSpan(handler, era, 'elicitation/create')
    expect(asking?.name).toBe('tools/call greet')
    expect(asking?.parentSpanContext?.spanId).toBe(clientCall.spanContext().spanId)
    // 2026-07-28: the retry that got the answer is a second server span of the same call.
    const serverCalls = spansNamed('tools/call greet', SpanKind.SERVER)
    expect(serverCalls).toHaveLength(era === 'modern' ? 2 : 1)
    for (const span of serverCalls) {
      expect(span.spanContext().traceId).toBe(traceId)
      expect(span.parentSpanContext?.spanId).toBe(clientCall.spanContext().spanId)
    }
  })

  it("sampling and roots handler spans join the asking tool's trace", async () => {
    const client = connect(era)
    const tools = await client.listTools()
    await tools.eras_summarize!.execute({})
    const clientCall = only('tools/call summarize', SpanKind.CLIENT)
    for (const method of ['sampling/createMessage', 'roots/list']) {
      const handler = only(method, SpanKind.SERVER)
      expect(handler.spanContext().traceId, method).toBe(clientCall.spanContext().traceId)
      expect(handler.parentSpanContext?.isRemote, method).toBe(true)
      const asking = askingToolSpan(handler, era, method)
      expect(asking?.name, method).toBe('tools/call summarize')
      expect(asking?.parentSpanContext?.spanId, method).toBe(clientCall.spanContext().spanId)
    }
  })

  it('traces resources/read and prompts/get on both sides, a prompt’s question included', async () => {
    const client = connect(era)
    await client.resources.read('eras', 'note://shared')
    const clientRead = only('resources/read', SpanKind.CLIENT)
    const serverRead = only('resources/read', SpanKind.SERVER)
    for (const span of [clientRead, serverRead]) {
      expect(span.attributes).toMatchObject({
        'mcp.method.name': 'resources/read',
        'mcp.resource.uri': 'note://shared',
      })
    }
    expect(serverRead.parentSpanContext?.spanId).toBe(clientRead.spanContext().spanId)

    await client.prompts.get({ serverName: 'eras', name: 'asks' })
    const clientGet = only('prompts/get asks', SpanKind.CLIENT)
    expect(clientGet.attributes['gen_ai.prompt.name']).toBe('asks')
    const serverGets = spansNamed('prompts/get asks', SpanKind.SERVER)
    expect(serverGets.length).toBeGreaterThan(0)
    for (const span of serverGets) {
      expect(span.parentSpanContext?.spanId).toBe(clientGet.spanContext().spanId)
    }
    const handler = only('elicitation/create', SpanKind.SERVER)
    expect(handler.spanContext().traceId).toBe(clientGet.spanContext().traceId)
    expect(askingToolSpan(handler, era, 'elicitation/create')?.name).toBe('prompts/get asks')
  })

  it('puts the semantic conventions’ attributes on client and server spans', async () => {
    const client = connect(era)
    const tools = await client.listTools()
    await tools.eras_greet!.execute({})
    const version = client.getServerProtocolVersions().eras
    const connected = only(era === 'modern' ? 'server/discover' : 'initialize', SpanKind.CLIENT)
    const list = only('tools/list', SpanKind.CLIENT)
    const clientCall = only('tools/call greet', SpanKind.CLIENT)
    const serverCall = spansNamed('tools/call greet', SpanKind.SERVER)[0]
    for (const span of [connected, list, clientCall]) {
      expect(span.attributes, span.name).toMatchObject({
        'mcpkit.server.name': 'eras',
        'mcpkit.protocol.era': era,
        'network.transport': 'tcp',
        'network.protocol.name': 'http',
        'server.address': '127.0.0.1',
        'server.port': host.port,
      })
      expect(span.attributes['mcp.protocol.version'], span.name).toBeTypeOf('string')
      if (version) expect(span.attributes['mcp.protocol.version']).toBe(version)
    }
    expect(serverCall?.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'greet',
      'mcp.protocol.version': clientCall.attributes['mcp.protocol.version'],
      'network.transport': 'tcp',
    })
    expect(serverCall?.attributes['jsonrpc.request.id']).toBeTypeOf('string')
    const sessionId = clientCall.attributes['mcp.session.id']
    if (era === 'legacy') {
      // A 2025 Streamable HTTP session: both sides name it.
      expect(sessionId).toBeTypeOf('string')
      expect(list.attributes['mcp.session.id']).toBe(sessionId)
      expect(serverCall?.attributes['mcp.session.id']).toBe(sessionId)
      expect(only('elicitation/create', SpanKind.SERVER).attributes['mcp.session.id']).toBe(
        sessionId,
      )
    } else {
      expect(sessionId).toBeUndefined()
      expect(serverCall?.attributes['mcp.session.id']).toBeUndefined()
    }
  })

  it('records error.type: tool_error for a failed tool, the JSON-RPC code for an error', async () => {
    const client = connect(era)
    const tools = await client.listTools()
    await expect(tools.eras_boom!.execute({})).rejects.toThrow('boom')
    expect(only('tools/call boom', SpanKind.CLIENT).attributes['error.type']).toBe('tool_error')
    expect(only('tools/call boom', SpanKind.SERVER).attributes['error.type']).toBe('tool_error')

    await expect(client.prompts.get({ serverName: 'eras', name: 'missing' })).rejects.toThrow()
    for (const kind of [SpanKind.CLIENT, SpanKind.SERVER]) {
      expect(only('prompts/get missing', kind).attributes).toMatchObject({
        'error.type': '-32602',
        'rpc.response.status_code': '-32602',
      })
    }
  })
})

it('over stdio, client spans say network.transport: pipe and name no server address', async () => {
  const client = new MCPClient({
    id: 'traced-stdio',
    servers: {
      everything: {
        command: process.execPath,
        args: [everythingScript(), 'stdio'],
        stderr: 'ignore',
      },
    },
  })
  cleanups.push(() => client.disconnect())
  const tools = await client.listTools()
  await tools.everything_test_simple_text!.execute({})
  const call = only('tools/call test_simple_text', SpanKind.CLIENT)
  expect(call.attributes).toMatchObject({
    'mcp.method.name': 'tools/call',
    'network.transport': 'pipe',
    'mcpkit.server.name': 'everything',
  })
  expect(call.attributes['mcp.protocol.version']).toBeTypeOf('string')
  for (const key of ['server.address', 'server.port', 'network.protocol.name', 'mcp.session.id']) {
    expect(call.attributes[key], key).toBeUndefined()
  }
})
