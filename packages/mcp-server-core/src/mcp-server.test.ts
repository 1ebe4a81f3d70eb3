import type { LogHandler } from '@mcpkit/types'
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { InMemoryTransport } from '@modelcontextprotocol/server'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { MCPServer } from './mcp-server.js'
import { createMCPTool } from './server-tool.js'

async function connect(
  server: MCPServer,
  client = new Client({ name: 'test', version: '1' }, { capabilities: { elicitation: {} } }),
) {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
  const session = server.createSessionServer()
  await session.connect(serverSide)
  await client.connect(clientSide)
  return { client, session }
}

const weather = createMCPTool({
  id: 'getWeather',
  description: 'Weather for a city',
  inputSchema: z.object({ city: z.string(), days: z.number().int().min(1).optional() }),
  outputSchema: z.object({ city: z.string(), celsius: z.number() }),
  annotations: { readOnlyHint: true },
  execute: async ({ city }) => ({ city, celsius: 21 }),
})

describe('MCPServer', () => {
  it('lists tools with JSON Schema and calls them with structured content', async () => {
    const server = new MCPServer({ name: 's', version: '1.0.0', tools: { weather } })
    const { client } = await connect(server)
    const { tools } = await client.listTools()
    expect(tools).toHaveLength(1)
    expect(tools[0]).toMatchObject({
      name: 'getWeather',
      annotations: { readOnlyHint: true },
      inputSchema: { type: 'object', required: ['city'] },
      outputSchema: { type: 'object' },
    })
    const result = await client.callTool({ name: 'getWeather', arguments: { city: 'Oslo' } })
    expect(result.structuredContent).toEqual({ city: 'Oslo', celsius: 21 })
    expect(result.content).toEqual([{ type: 'text', text: '{"city":"Oslo","celsius":21}' }])
  })

  it('names the field when arguments fail the schema, and the tools when the name is unknown', async () => {
    const server = new MCPServer({ name: 's', version: '1.0.0', tools: { weather } })
    const { client } = await connect(server)
    const invalid = await client.callTool({ name: 'getWeather', arguments: { city: 3, days: 0 } })
    expect(invalid.isError).toBe(true)
    expect((invalid.content as { text: string }[])[0]!.text).toMatch(/city: .*; days: /)
    await expect(client.callTool({ name: 'nope', arguments: {} })).rejects.toThrow(
      /Unknown tool "nope". Available tools: getWeather/,
    )
  })

  it('turns a throwing tool into an isError result, keeping the stack in the log', async () => {
    const logs: Parameters<LogHandler>[0][] = []
    const server = new MCPServer({
      name: 's',
      version: '1.0.0',
      logger: (line) => logs.push(line),
      tools: {
        boom: createMCPTool({
          id: 'boom',
          description: 'fails',
          inputSchema: z.object({}),
          execute: async () => {
            throw new Error('database is down')
          },
        }),
      },
    })
    const { client } = await connect(server)
    const result = await client.callTool({ name: 'boom', arguments: {} })
    expect(result).toEqual({ content: [{ type: 'text', text: 'database is down' }], isError: true })
    expect(logs[0]).toMatchObject({
      level: 'error',
      details: { stack: expect.stringContaining('database is down') },
    })
  })

  it('exposes agents as ask_<key> and workflows as run_<key>; explicit tools win', async () => {
    const logs: string[] = []
    const server = new MCPServer({
      name: 's',
      version: '1.0.0',
      logger: (line) => logs.push(line.message),
      tools: {
        ask_other: createMCPTool({
          id: 'ask_other',
          description: 'explicit',
          inputSchema: z.object({}),
          execute: async () => 'explicit',
        }),
      },
      agents: {
        helper: {
          name: 'Helper',
          description: 'Answers questions',
          generate: async (message) => ({ text: `you said ${message}`, usage: { tokens: 3 } }),
        },
        other: {
          name: 'Other',
          description: 'shadowed',
          generate: async () => ({ text: 'agent' }),
        },
      },
      workflows: {
        double: {
          description: 'Doubles a number',
          inputSchema: z.object({ n: z.number() }),
          createRun: async () => ({
            start: async ({ inputData }) => ({
              status: 'success',
              result: (inputData as { n: number }).n * 2,
            }),
          }),
        },
      },
    })
    const { client } = await connect(server)
    const names = (await client.listTools()).tools.map((tool) => tool.name).sort()
    expect(names).toEqual(['ask_helper', 'ask_other', 'run_double'])
    expect(logs.some((line) => line.includes('"ask_other"'))).toBe(true)
    const asked = await client.callTool({ name: 'ask_helper', arguments: { message: 'hi' } })
    expect(asked.content).toEqual([{ type: 'text', text: 'you said hi' }])
    expect(asked.structuredContent).toEqual({ text: 'you said hi', usage: { tokens: 3 } })
    const ran = await client.callTool({ name: 'run_double', arguments: { n: 4 } })
    expect(ran.structuredContent).toEqual({ status: 'success', result: 8 })
    expect((await client.callTool({ name: 'ask_other', arguments: {} })).content).toEqual([
      { type: 'text', text: 'explicit' },
    ])
  })

  it('refuses agents and workflows without a description at construction', () => {
    expect(
      () => new MCPServer({ name: 's', version: '1', agents: { a: { generate: async () => '' } } }),
    ).toThrow(/non-empty description/)
    expect(
      () =>
        new MCPServer({
          name: 's',
          version: '1',
          workflows: {
            w: { description: ' ', createRun: async () => ({ start: async () => ({}) }) },
          },
        }),
    ).toThrow(/non-empty description/)
  })

  it('sends elicitation, progress and logs to the calling session only', async () => {
    const server = new MCPServer({
      name: 's',
      version: '1.0.0',
      tools: {
        ask: createMCPTool({
          id: 'ask',
          description: 'elicits',
          inputSchema: z.object({}),
          execute: async (_input, { elicitation, progress, log }) => {
            await progress(1, 2, 'half')
            await log('info', 'asking')
            const answer = await elicitation.sendRequest({
              message: 'name?',
              requestedSchema: { type: 'object', properties: { name: { type: 'string' } } },
            })
            return `hello ${(answer.content as { name: string }).name}`
          },
        }),
      },
    })
    const seen: Record<string, string[]> = { a: [], b: [] }
    const clients = await Promise.all(
      (['a', 'b'] as const).map(async (who) => {
        const client = new Client(
          { name: who, version: '1' },
          { capabilities: { elicitation: {} } },
        )
        client.setRequestHandler('elicitation/create', async () => {
          seen[who]!.push('elicit')
          return { action: 'accept', content: { name: who } }
        })
        client.setNotificationHandler('notifications/message', () => {
          seen[who]!.push('log')
        })
        return (await connect(server, client)).client
      }),
    )
    const progress: number[] = []
    const result = await clients[0]!.callTool(
      { name: 'ask', arguments: {} },
      {
        onprogress: (update) => progress.push(update.progress),
      },
    )
    expect(result.content).toEqual([{ type: 'text', text: 'hello a' }])
    expect(progress).toEqual([1])
    expect(seen).toEqual({ a: ['log', 'elicit'], b: [] })
  })

  it('serves resources and templates, and notifies only subscribed sessions', async () => {
    const server = new MCPServer({
      name: 's',
      version: '1.0.0',
      resources: {
        listResources: () => [{ uri: 'test://static', name: 'static', mimeType: 'text/plain' }],
        resourceTemplates: () => [{ uriTemplate: 'test://item/{id}', name: 'item' }],
        getResourceContent: ({ uri }) => ({ text: `content of ${uri}` }),
      },
    })
    const first = await connect(server)
    const second = await connect(server)
    expect((await first.client.readResource({ uri: 'test://static' })).contents).toEqual([
      { uri: 'test://static', mimeType: 'text/plain', text: 'content of test://static' },
    ])
    expect((await first.client.readResource({ uri: 'test://item/7' })).contents[0]).toMatchObject({
      text: 'content of test://item/7',
    })
    const updates: Record<string, string[]> = { first: [], second: [] }
    first.client.setNotificationHandler(
      'notifications/resources/updated',
      (n) => void updates.first!.push(n.params.uri),
    )
    second.client.setNotificationHandler(
      'notifications/resources/updated',
      (n) => void updates.second!.push(n.params.uri),
    )
    await first.client.subscribeResource({ uri: 'test://static' })
    await server.resources.notifyUpdated({ uri: 'test://static' })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(updates).toEqual({ first: ['test://static'], second: [] })
  })

  it('checks required prompt arguments and versions', async () => {
    const server = new MCPServer({
      name: 's',
      version: '1.0.0',
      prompts: {
        listPrompts: () => [
          { name: 'review', version: 'v1', arguments: [{ name: 'code', required: true }] },
          {
            name: 'review',
            version: 'v2',
            description: 'newer',
            arguments: [{ name: 'code', required: true }],
          },
        ],
        getPromptMessages: ({ version, args }) => ({
          messages: [
            { role: 'user', content: { type: 'text', text: `${version ?? 'v1'}: ${args.code}` } },
          ],
        }),
      },
    })
    const { client } = await connect(server)
    await expect(client.getPrompt({ name: 'review', arguments: {} })).rejects.toThrow(
      /missing required arguments: code/,
    )
    const got = await client.getPrompt({ name: 'review', arguments: { code: 'x()' } })
    expect(got.messages[0]!.content).toEqual({ type: 'text', text: 'v1: x()' })
    await expect(client.getPrompt({ name: 'nope' })).rejects.toThrow(/Available prompts: review/)
  })

  it('refuses era, requestState, cacheHints, eventBus and resumeSchema mistakes at construction', () => {
    const base = { name: 'x', version: '1' }
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ protocolVersion: '2025-11-25' }, /protocolVersion/],
      [{ requestState: { key: 'too short' } }, /at least 32 bytes/],
      [{ cacheHints: { ttlMs: -5 } }, /ttlMs/],
      [{ eventBus: {} }, /eventBus/],
      [
        {
          tools: {
            nested: createMCPTool({
              id: 'nested',
              description: 'a resume form that is no form',
              resumeSchema: z.object({ address: z.object({ street: z.string() }) }),
              execute: async () => 'never',
            }),
          },
        },
        /resumeSchema cannot be asked as a form/,
      ],
    ]
    for (const [config, message] of cases) {
      expect(() => new MCPServer({ ...base, ...config } as never), message.source).toThrow(message)
    }
  })

  it('accepts getPromptMessages returning a bare PromptMessage[] or { prompt, messages }', async () => {
    const server = new MCPServer({
      name: 'prompts',
      version: '1',
      prompts: {
        listPrompts: () => [{ name: 'bare' }, { name: 'wrapped', description: 'listed' }],
        getPromptMessages: ({ name }) =>
          name === 'bare'
            ? [{ role: 'user', content: { type: 'text', text: 'bare' } }]
            : { messages: [{ role: 'user', content: { type: 'text', text: 'wrapped' } }] },
      },
    })
    const { client } = await connect(server)
    expect((await client.getPrompt({ name: 'bare' })).messages[0]?.content).toEqual({
      type: 'text',
      text: 'bare',
    })
    const wrapped = await client.getPrompt({ name: 'wrapped' })
    expect(wrapped.description).toBe('listed')
    expect(wrapped.messages[0]?.content).toEqual({ type: 'text', text: 'wrapped' })
    await client.close()
  })

  it('createFetchHandler serves 2026-07-28 clients: tools that ask, agents and workflows', async () => {
    const server = new MCPServer({
      name: 'fetch-modern',
      version: '1',
      tools: {
        greet: createMCPTool({
          id: 'greet',
          description: 'asks a name',
          inputSchema: z.object({}),
          execute: async (_input, { elicitation }) => {
            const answer = await elicitation.sendRequest({
              message: 'name?',
              requestedSchema: { type: 'object', properties: { name: { type: 'string' } } },
            })
            return `hi ${String(answer.content?.name)}`
          },
        }),
      },
      agents: {
        helper: {
          name: 'Helper',
          description: 'answers',
          generate: async (message: string) => ({ text: `re: ${message}` }),
        },
      },
      workflows: {
        double: {
          description: 'doubles',
          inputSchema: z.object({ n: z.number() }),
          createRun: async () => ({
            start: async ({ inputData }: { inputData: { n: number } }) => ({
              status: 'success',
              result: inputData.n * 2,
            }),
          }),
        },
      },
    })
    const handler = server.createFetchHandler({ allowedHosts: ['fetch.test'] })
    const client = new Client(
      { name: 'modern', version: '1' },
      { capabilities: { elicitation: {} }, versionNegotiation: { mode: { pin: '2026-07-28' } } },
    )
    client.setRequestHandler('elicitation/create', () => ({
      action: 'accept',
      content: { name: 'Ada' },
    }))
    await client.connect(
      new StreamableHTTPClientTransport(new URL('http://fetch.test/mcp'), {
        fetch: (url, init) => handler(new Request(url, init)),
      }),
    )
    const text = (result: unknown) => (result as { content: { text: string }[] }).content[0]?.text
    expect(text(await client.callTool({ name: 'greet', arguments: {} }))).toBe('hi Ada')
    expect(text(await client.callTool({ name: 'ask_helper', arguments: { message: 'q' } }))).toBe(
      're: q',
    )
    expect(text(await client.callTool({ name: 'run_double', arguments: { n: 21 } }))).toContain(
      '42',
    )
    await client.close()
    await server.close()
  })
})
