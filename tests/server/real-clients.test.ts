// The everything fixture (built only with MCPServer) as a real process, over stdio, Streamable
// HTTP and legacy SSE, used by the clients people actually point at it: the MCP Inspector CLI,
// the SDK `Client`, and our own `MCPClient`.
import { MCPClient } from '@mcpkit/mcp-client-core'
import type { ServerDefinition } from '@mcpkit/types'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import {
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  ProgressNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  EVERYTHING_TOOL_NAMES,
  SIMPLE_TEXT,
  STATIC_TEXT,
  STATIC_TEXT_URI,
  TEST_IMAGE_BASE64,
} from '../fixtures/everything-server.js'
import { textOf } from '../support/helpers.js'
import { waitFor } from '../support/processes.js'
import {
  connectSdkClient,
  everythingScript,
  runInspector,
  type ServerTransport,
  startEverythingProcess,
} from '../support/server-host.js'
import type { StartedServer } from '../support/servers.js'

const transports: ServerTransport[] = ['stdio', 'http', 'sse']
const servers: Partial<Record<'http' | 'sse', StartedServer>> = {}

beforeAll(async () => {
  everythingScript()
  const [http, sse] = await Promise.all([
    startEverythingProcess('http'),
    startEverythingProcess('sse'),
  ])
  servers.http = http
  servers.sse = sse
})

afterAll(async () => {
  await Promise.all([servers.http?.stop(), servers.sse?.stop()])
})

function urlOf(transport: ServerTransport): URL | undefined {
  if (transport === 'stdio') return undefined
  const server = servers[transport]
  if (!server) throw new Error(`the ${transport} server did not start`)
  return server.url
}

/** The inspector's target arguments for a transport. */
function inspectorTarget(transport: ServerTransport): string[] {
  if (transport === 'stdio') return [process.execPath, everythingScript(), 'stdio']
  return [String(urlOf(transport)), '--transport', transport]
}

describe.each(transports)('MCP Inspector CLI over %s', (transport) => {
  it('lists the tools (tools/list)', async () => {
    const run = await runInspector([...inspectorTarget(transport), '--method', 'tools/list'])
    expect(run.code, run.stderr).toBe(0)
    const tools = (run.json as { tools?: Array<{ name: string; inputSchema?: unknown }> }).tools
    expect(tools?.map((tool) => tool.name).sort()).toEqual([...EVERYTHING_TOOL_NAMES].sort())
    for (const tool of tools ?? []) expect(tool.inputSchema).toMatchObject({ type: 'object' })
  })

  it('calls a tool and gets its content (tools/call)', async () => {
    const run = await runInspector([
      ...inspectorTarget(transport),
      '--method',
      'tools/call',
      '--tool-name',
      'test_image_content',
    ])
    expect(run.code, run.stderr).toBe(0)
    expect(run.json).toMatchObject({
      content: [{ type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' }],
    })
  })
})

describe('MCP Inspector CLI, resources and prompts (Streamable HTTP)', () => {
  it('reads a resource and gets a prompt with arguments', async () => {
    const [read, prompt] = await Promise.all([
      runInspector([
        ...inspectorTarget('http'),
        '--method',
        'resources/read',
        '--uri',
        STATIC_TEXT_URI,
      ]),
      runInspector([
        ...inspectorTarget('http'),
        '--method',
        'prompts/get',
        '--prompt-name',
        'test_prompt_with_arguments',
        '--prompt-args',
        'arg1=alpha',
        'arg2=beta',
      ]),
    ])
    expect(read.code, read.stderr).toBe(0)
    expect(read.json).toMatchObject({
      contents: [{ uri: STATIC_TEXT_URI, mimeType: 'text/plain', text: STATIC_TEXT }],
    })
    expect(prompt.code, prompt.stderr).toBe(0)
    expect(JSON.stringify(prompt.json)).toContain("arg1='alpha', arg2='beta'")
  })
})

describe.each(transports)('SDK Client over %s', (transport) => {
  let client: Client

  beforeAll(async () => {
    client = await connectSdkClient(transport, urlOf(transport), {
      capabilities: { elicitation: {}, sampling: {} },
    })
  })

  afterAll(async () => {
    await client?.close()
  })

  it('initializes with the server identity and its capabilities', () => {
    expect(client.getServerVersion()).toMatchObject({ name: 'mcpkit-everything', version: '1.0.0' })
    expect(client.getServerCapabilities()).toMatchObject({
      tools: {},
      resources: { subscribe: true },
      prompts: {},
      logging: {},
      completions: {},
    })
    expect(client.getInstructions()).toMatch(/test server/)
  })

  it('lists and calls tools', async () => {
    const { tools } = await client.listTools()
    expect(tools.map((tool) => tool.name).sort()).toEqual([...EVERYTHING_TOOL_NAMES].sort())
    const sampling = tools.find((tool) => tool.name === 'test_sampling')
    expect(sampling?.inputSchema).toMatchObject({
      type: 'object',
      properties: { prompt: { type: 'string' } },
      required: ['prompt'],
    })
    expect(textOf(await client.callTool({ name: 'test_simple_text' }))).toBe(SIMPLE_TEXT)
  })

  it('reports progress and sends logs to the caller', async () => {
    const logs: unknown[] = []
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      logs.push(notification.params.data)
    })
    await client.setLoggingLevel('debug')
    // Our own progress handler, not `onprogress`: the SDK Client runs notification handlers a
    // microtask late but settles responses at once, so with stdio and legacy SSE (several
    // messages per read) `onprogress` misses a notification sent just before the result.
    const progress: Array<{ token: unknown; progress: number; total?: number }> = []
    client.setNotificationHandler(ProgressNotificationSchema, (notification) => {
      const { progressToken, progress: value, total } = notification.params
      progress.push({
        token: progressToken,
        progress: value,
        ...(total === undefined ? {} : { total }),
      })
    })
    const result = await client.callTool({
      name: 'test_tool_with_progress',
      arguments: {},
      _meta: { progressToken: `progress-${transport}` },
    })
    expect(textOf(result)).toBe(`progress-${transport}`)
    await waitFor(() => progress.length >= 3, { timeoutMs: 10_000 })
    expect(progress).toEqual(
      [0, 50, 100].map((value) => ({
        token: `progress-${transport}`,
        progress: value,
        total: 100,
      })),
    )
    await client.callTool({ name: 'test_tool_with_logging', arguments: {} })
    await waitFor(() => logs.length >= 3, { timeoutMs: 10_000 })
    expect(logs).toEqual([
      'Tool execution started',
      'Tool processing data',
      'Tool execution completed',
    ])
  })

  it('answers an elicitation request sent while a tool runs', async () => {
    client.setRequestHandler(ElicitRequestSchema, async () => ({
      action: 'accept',
      content: { username: `user-${transport}`, email: `${transport}@example.com` },
    }))
    const elicited = await client.callTool({
      name: 'test_elicitation',
      arguments: { message: 'who are you?' },
    })
    expect(textOf(elicited)).toBe(
      `User response: action=accept, content={"username":"user-${transport}","email":"${transport}@example.com"}`,
    )
  })

  it('reads resources and templates and gets prompts', async () => {
    const { resources } = await client.listResources()
    expect(resources.map((resource) => resource.uri)).toContain(STATIC_TEXT_URI)
    const { resourceTemplates } = await client.listResourceTemplates()
    expect(resourceTemplates.map((template) => template.uriTemplate)).toEqual([
      'test://template/{id}/data',
    ])
    const read = await client.readResource({ uri: 'test://template/42/data' })
    expect(read.contents[0]).toMatchObject({
      uri: 'test://template/42/data',
      mimeType: 'application/json',
    })
    expect(JSON.parse((read.contents[0] as { text: string }).text)).toEqual({
      id: '42',
      templateTest: true,
      data: 'Data for ID: 42',
    })
    const prompt = await client.getPrompt({
      name: 'test_prompt_with_arguments',
      arguments: { arg1: 'one', arg2: 'two' },
    })
    expect(prompt.messages[0]?.content).toEqual({
      type: 'text',
      text: "Prompt with arguments: arg1='one', arg2='two'",
    })
    const completion = await client.complete({
      ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' },
      argument: { name: 'arg1', value: 'par' },
    })
    expect(completion.completion.values).toEqual(['paris', 'park', 'party'])
  })
})

describe.each(transports)('MCPClient over %s', (transport) => {
  let client: MCPClient

  beforeAll(() => {
    const definition: ServerDefinition =
      transport === 'stdio'
        ? { command: process.execPath, args: [everythingScript(), 'stdio'], stderr: 'ignore' }
        : {
            url: urlOf(transport) as URL,
            transport: transport === 'http' ? 'streamable-http' : 'sse',
          }
    client = new MCPClient({
      id: `mcpserver-everything-${transport}`,
      servers: { everything: definition },
      timeout: 20_000,
    })
    // Registered before the connection opens, so the client announces elicitation.
    client.elicitation.onRequest('everything', async (request) => ({
      action: 'accept',
      content: { username: 'mcpclient', email: `${request.message}@example.com` },
    }))
  })

  afterAll(async () => {
    await client?.disconnect()
  })

  it('lists the tools as everything_<tool> and calls them', async () => {
    const tools = await client.listTools()
    expect(Object.keys(tools).sort()).toEqual(
      EVERYTHING_TOOL_NAMES.map((name) => `everything_${name}`).sort(),
    )
    expect(textOf(await tools.everything_test_simple_text?.execute({}))).toBe(SIMPLE_TEXT)
    const mixed = (await tools.everything_test_multiple_content_types?.execute({})) as {
      content: Array<{ type: string }>
    }
    expect(mixed.content.map((part) => part.type)).toEqual(['text', 'image', 'resource'])
  })

  it('elicits through elicitation.onRequest and tracks progress', async () => {
    const updates: number[] = []
    const stopProgress = client.progress.onUpdate('everything', (update) => {
      updates.push(update.progress)
    })
    try {
      const tools = await client.listTools()
      const result = await tools.everything_test_elicitation?.execute({ message: 'hello' })
      expect(textOf(result)).toBe(
        'User response: action=accept, content={"username":"mcpclient","email":"hello@example.com"}',
      )
      await tools.everything_test_tool_with_progress?.execute({})
      await waitFor(() => updates.length >= 3, { timeoutMs: 10_000 })
      expect(updates).toEqual([0, 50, 100])
    } finally {
      stopProgress()
    }
  })

  it('reads resources and gets prompts', async () => {
    const read = await client.resources.read('everything', STATIC_TEXT_URI)
    expect(read.contents).toEqual([
      { uri: STATIC_TEXT_URI, mimeType: 'text/plain', text: STATIC_TEXT },
    ])
    const prompt = await client.prompts.get({
      serverName: 'everything',
      name: 'test_prompt_with_image',
    })
    expect(prompt.messages.map((message) => message.content.type)).toEqual(['image', 'text'])
  })
})
