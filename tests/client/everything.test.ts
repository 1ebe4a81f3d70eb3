// server-everything (the MCP reference server) over each real transport: what a user of
// MCPClient sees for tools, progress, structured content, resources, subscriptions, prompts,
// elicitation and server logs.
import { MCPClient } from '@mcpkit/mcp-client-core'
import type { LogMessage, ServerDefinition } from '@mcpkit/types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { textOf } from '../support/helpers.js'
import { waitFor } from '../support/processes.js'
import { everythingStdio, type StartedServer, startEverythingHttp } from '../support/servers.js'

const transports = ['stdio', 'streamableHttp', 'sse'] as const
type EverythingTransport = (typeof transports)[number]

const TEMPLATE_URI = 'demo://resource/dynamic/text/{resourceId}'

describe.each(transports)('server-everything over %s', (transport: EverythingTransport) => {
  let server: StartedServer | undefined
  let client: MCPClient
  let definition: () => ServerDefinition

  beforeAll(async () => {
    if (transport !== 'stdio') server = await startEverythingHttp(transport)
    definition = () => {
      if (transport === 'stdio') return everythingStdio()
      if (!server) throw new Error('server not started')
      // `auto` for both: server-everything's SSE app answers POST /sse with 404, which must
      // make the client fall back to legacy SSE.
      return { url: server.url, timeout: 20_000 }
    }
    client = new MCPClient({
      id: `everything-${transport}`,
      servers: { everything: definition() },
      timeout: 20_000,
    })
  })

  afterAll(async () => {
    await client?.disconnect()
    await server?.stop()
  })

  it('listTools() keys each tool as everything_<tool>', async () => {
    const tools = await client.listTools()
    const keys = Object.keys(tools)
    for (const expected of [
      'everything_echo',
      'everything_get-sum',
      'everything_get-structured-content',
      'everything_trigger-long-running-operation',
      'everything_toggle-subscriber-updates',
      // registered by the server only for clients that announce elicitation
      'everything_trigger-elicitation-request',
    ]) {
      expect(keys).toContain(expected)
    }
    for (const key of keys) expect(key.startsWith('everything_')).toBe(true)
    const sum = tools['everything_get-sum']
    expect(sum?.id).toBe('everything_get-sum')
    expect(sum?.name).toBe('get-sum')
    expect(sum?.serverName).toBe('everything')
    expect(sum?.description).toMatch(/sum/i)
    expect(Object.keys((sum?.inputSchema.properties ?? {}) as object).sort()).toEqual(['a', 'b'])
  })

  it('finds in auto mode (the default) that it speaks the legacy era', async () => {
    await client.listTools()
    expect(client.getServerProtocolEras()).toEqual({ everything: 'legacy' })
    expect(client.getServerProtocolVersions().everything).toMatch(/^2025-/)
  })

  it('listToolsets() nests the same tools under the server name', async () => {
    const toolsets = await client.listToolsets()
    expect(Object.keys(toolsets)).toEqual(['everything'])
    const everything = toolsets.everything ?? {}
    expect(Object.keys(everything)).toContain('echo')
    expect(Object.keys(everything)).toContain('get-sum')
    expect(everything.echo?.id).toBe('everything_echo')
  })

  it('calls echo and get-sum and returns what the server answered', async () => {
    const tools = await client.listTools()
    const echoed = await tools.everything_echo?.execute({ message: `hi over ${transport}` })
    expect(textOf(echoed)).toBe(`Echo: hi over ${transport}`)
    const sum = await tools['everything_get-sum']?.execute({ a: 2, b: 40 })
    expect(textOf(sum)).toContain('is 42')
  })

  it('matches 30 concurrent calls to their own results, and carries a large multi-byte payload intact', async () => {
    const tools = await client.listTools()
    const echo = tools.everything_echo
    const messages = Array.from({ length: 30 }, (_, index) => `call ${index} over ${transport}`)
    const results = await Promise.all(messages.map((message) => echo?.execute({ message })))
    expect(results.map(textOf)).toEqual(messages.map((message) => `Echo: ${message}`))

    // ~600 KB of 1- to 4-byte UTF-8 characters: crosses many pipe/stream chunk boundaries.
    const large = 'aé€😀'.repeat(60_000)
    expect(textOf(await echo?.execute({ message: large }))).toBe(`Echo: ${large}`)
  })

  it('delivers progress of a long-running tool to progress.onUpdate', async () => {
    const updates: Array<{ progressToken: unknown; progress: number; total?: number }> = []
    const stop = client.progress.onUpdate('everything', (update) => {
      updates.push(update)
    })
    try {
      const tools = await client.listTools()
      const result = await tools['everything_trigger-long-running-operation']?.execute(
        { duration: 0.6, steps: 3 },
        { runId: `run-${transport}` },
      )
      expect(textOf(result)).toMatch(/Long running operation completed/)
      // The last update may be handled just after the result; all three must arrive.
      await waitFor(() => updates.length >= 3, { timeoutMs: 10_000 })
      expect(updates.map((update) => update.progress)).toEqual([1, 2, 3])
      for (const update of updates) {
        expect(update.total).toBe(3)
        expect(update.progressToken).toBe(`run-${transport}`)
      }
    } finally {
      if (typeof stop === 'function') stop()
    }
  })

  it('returns structuredContent of a tool with an output schema', async () => {
    const tools = await client.listTools()
    const tool = tools['everything_get-structured-content']
    expect(tool?.outputSchema).toBeDefined()
    const result = await tool?.execute({ location: 'Chicago' })
    expect(result).toEqual({ temperature: 36, conditions: 'Light rain / drizzle', humidity: 82 })
  })

  it('lists resources and templates and reads a template URI', async () => {
    const resources = await client.resources.list()
    const uris = (resources.everything ?? []).map((resource) => resource.uri)
    expect(uris).toContain('demo://resource/static/document/features.md')

    const templates = await client.resources.templates()
    expect((templates.everything ?? []).map((template) => template.uriTemplate)).toContain(
      TEMPLATE_URI,
    )

    const read = await client.resources.read('everything', 'demo://resource/dynamic/text/7')
    expect(read.contents[0]?.uri).toBe('demo://resource/dynamic/text/7')
    expect((read.contents[0] as { text?: string }).text).toMatch(/^Resource 7: /)

    const document = await client.resources.read(
      'everything',
      'demo://resource/static/document/features.md',
    )
    expect((document.contents[0] as { text?: string }).text).toMatch(/Tools/)
  })

  it('subscribes to a resource and hears resources/updated through onUpdated', async () => {
    const uri = 'demo://resource/dynamic/text/1'
    const updated: string[] = []
    const stop = client.resources.onUpdated('everything', ({ uri: changed }) => {
      updated.push(changed)
    })
    const tools = await client.listTools()
    const toggle = tools['everything_toggle-subscriber-updates']
    try {
      expect(await client.resources.subscribe('everything', uri)).toEqual({})
      // Starts the server's per-session updates, which sends one update at once.
      expect(textOf(await toggle?.execute({}))).toMatch(/^Started/)
      expect(await waitFor(() => updated.includes(uri), { timeoutMs: 10_000 })).toBe(true)
    } finally {
      await toggle?.execute({})
      await client.resources.unsubscribe('everything', uri)
      if (typeof stop === 'function') stop()
    }
  })

  it('lists prompts and gets one with arguments', async () => {
    const prompts = await client.prompts.list()
    const names = (prompts.everything ?? []).map((prompt) => prompt.name)
    expect(names).toEqual(expect.arrayContaining(['simple-prompt', 'args-prompt']))
    const argsPrompt = (prompts.everything ?? []).find((prompt) => prompt.name === 'args-prompt')
    expect(argsPrompt?.arguments?.map((argument) => argument.name)).toEqual(['city', 'state'])

    const { messages } = await client.prompts.get({
      serverName: 'everything',
      name: 'args-prompt',
      args: { city: 'Paris', state: 'TX' },
    })
    expect(messages).toEqual([
      { role: 'user', content: { type: 'text', text: "What's weather in Paris, TX?" } },
    ])
  })

  it('answers the server’s elicitation through elicitation.onRequest, and declines with no handler', async () => {
    const requests: Array<{ message?: string; requestedSchema?: { properties?: object } }> = []
    const stop = client.elicitation.onRequest('everything', async (request) => {
      requests.push(request as (typeof requests)[number])
      return { action: 'accept', content: { name: 'Ada Lovelace', check: true } }
    })
    const tools = await client.listTools()
    const trigger = tools['everything_trigger-elicitation-request']
    expect(trigger).toBeDefined()
    const accepted = textOf(await trigger?.execute({}))
    expect(accepted).toContain('User provided the requested information')
    expect(accepted).toContain('- Name: Ada Lovelace')
    expect(requests).toHaveLength(1)
    expect(requests[0]?.message).toMatch(/Please provide inputs/)
    expect(Object.keys(requests[0]?.requestedSchema?.properties ?? {})).toContain('name')

    // README: with no handler registered, requests are declined.
    expect(typeof stop).toBe('function')
    stop()
    const declined = textOf(await trigger?.execute({}))
    expect(declined).toContain('declined')
    expect(requests).toHaveLength(1)
  })

  it('forwards server log messages to the logger, and not with enableServerLogs: false', async () => {
    const withLogs: LogMessage[] = []
    const withoutLogs: LogMessage[] = []
    const uri = 'demo://resource/dynamic/text/2'
    const logging = new MCPClient({
      id: `everything-logs-${transport}`,
      logger: (message) => withLogs.push(message),
      servers: { everything: definition() },
    })
    const quiet = new MCPClient({
      id: `everything-quiet-${transport}`,
      logger: (message) => withoutLogs.push(message),
      servers: { everything: { ...definition(), enableServerLogs: false } },
    })
    try {
      // server-everything answers resources/subscribe with an info-level log message.
      await logging.resources.subscribe('everything', uri)
      await quiet.resources.subscribe('everything', uri)
      const fromServer = (message: LogMessage) =>
        message.message.includes('Received Subscribe Resource request')
      expect(await waitFor(() => withLogs.some(fromServer), { timeoutMs: 10_000 })).toBe(true)
      const line = withLogs.find(fromServer)
      expect(line?.serverName).toBe('everything')
      expect(line?.level).toBe('info')
      expect(line?.timestamp).toBeInstanceOf(Date)
      expect(line?.message).toContain(uri)
      // Give the quiet client the same time to (wrongly) forward it.
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(withoutLogs.filter(fromServer)).toEqual([])
    } finally {
      await Promise.all([logging.disconnect(), quiet.disconnect()])
    }
  })
})

describe('server-everything over legacy SSE with transport: "sse"', () => {
  let server: StartedServer
  beforeAll(async () => {
    server = await startEverythingHttp('sse')
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('connects straight to SSE and calls a tool', async () => {
    const client = new MCPClient({
      id: 'everything-forced-sse',
      servers: { everything: { url: server.url, transport: 'sse' } },
    })
    try {
      const tools = await client.listTools()
      expect(textOf(await tools.everything_echo?.execute({ message: 'forced' }))).toBe(
        'Echo: forced',
      )
    } finally {
      await client.disconnect()
    }
  })
})
