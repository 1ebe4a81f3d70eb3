// The demo's agent side: the calculator, the rule-based model, the agent loop's handling of
// missing tools, and the OpenAI-compatible provider against a chat-completions server on
// 127.0.0.1 driving a real demo (its notes tools over Streamable HTTP).
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type AgentTool,
  createDemo,
  evaluate,
  formatScenarioReport,
  OpenAICompatibleProvider,
  providerFromEnvironment,
  RuleBasedProvider,
  runAgent,
  type ScenarioReport,
} from '@mcpkit/demo'
import { afterEach, describe, expect, it } from 'vitest'
import { api } from './support.js'

describe('calculator', () => {
  it.each([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['2 ^ 3 ^ 2', 512],
    ['-2 ^ 2', -4],
    ['2 ^ -1', 0.5],
    ['3 - -2', 5],
    ['10 % 4', 2],
    ['1.5e2 / 3', 50],
    ['6 x 7', 42],
  ])('%s = %d', (expression, value) => {
    expect(evaluate(expression)).toBe(value)
  })

  it.each([
    ['', /empty/],
    ['1 +', /ends too early/],
    ['(1 + 2', /never closed/],
    ['1 / 0', /Division by zero/],
    ['process.exit()', /Unsupported character "p"/],
    ['1 2', /Unexpected "2" at position 3/],
    ['9'.repeat(201), /under 200/],
  ])('rejects %j', (expression, message) => {
    expect(() => evaluate(expression)).toThrow(message)
  })
})

describe('rule-based provider', () => {
  const provider = new RuleBasedProvider()
  const tools = [
    'notes_add_note',
    'notes_list_notes',
    'notes_delete_note',
    'utilities_calculate',
    'utilities_current_time',
  ].map((name) => ({ name, description: name, inputSchema: {}, needsApproval: false }))
  const ask = (content: string) =>
    provider.generate({ messages: [{ role: 'user', content }], tools })

  it.each([
    ['add note buy milk', 'notes_add_note', { text: 'buy milk' }],
    ['Add a note: call Bob', 'notes_add_note', { text: 'call Bob' }],
    ['list notes', 'notes_list_notes', {}],
    ['show my notes', 'notes_list_notes', {}],
    ['delete note n-1a2b', 'notes_delete_note', { id: 'n-1a2b' }],
    ['what time is it', 'utilities_current_time', {}],
    ['what time is it in Asia/Tokyo?', 'utilities_current_time', { timeZone: 'Asia/Tokyo' }],
    ['calculate 2 * (3 + 4)', 'utilities_calculate', { expression: '2 * (3 + 4)' }],
    ['what is 6*7?', 'utilities_calculate', { expression: '6*7' }],
  ])('%j → %s', async (message, tool, args) => {
    const turn = await ask(message)
    expect(turn).toMatchObject({ type: 'tool-calls', calls: [{ tool, args }] })
  })

  it('answers anything else with its help text, calling nothing', async () => {
    const turn = await ask('sing me a song')
    expect(turn.type).toBe('text')
    expect(turn.type === 'text' && turn.text).toMatch(/did not understand.*"add note <text>"/)
  })
})

describe('agent loop', () => {
  const provider = new RuleBasedProvider()

  it("a tool of a server that failed gets that server's error as its result", async () => {
    const reply = await runAgent({
      provider,
      message: 'list notes',
      tools: {},
      unavailableServers: { notes: 'CONNECTION_FAILED: connection refused' },
    })
    expect(reply.toolCalls).toEqual([
      {
        tool: 'notes_list_notes',
        args: {},
        error:
          'The notes server is unavailable, so notes_list_notes could not run: CONNECTION_FAILED: connection refused',
        durationMs: expect.any(Number),
      },
    ])
    expect(reply.reply).toMatch(
      /^The tool notes_list_notes failed: The notes server is unavailable/,
    )
  })

  it('a throwing tool becomes a tool error with its code', async () => {
    const tool: AgentTool = {
      description: {
        name: 'utilities_calculate',
        description: '',
        inputSchema: {},
        needsApproval: false,
      },
      run: async () => {
        throw Object.assign(new Error('stdio server exited'), { code: 'CONNECTION_CLOSED' })
      },
    }
    const reply = await runAgent({
      provider,
      message: 'calculate 1+1',
      tools: { utilities_calculate: tool },
    })
    expect(reply.toolCalls[0]!.error).toBe('CONNECTION_CLOSED: stdio server exited')
  })

  it('stops after maxSteps when the model keeps calling tools', async () => {
    let calls = 0
    const looping = {
      name: 'looping',
      generate: async () => ({
        type: 'tool-calls' as const,
        calls: [{ id: `c${calls++}`, tool: 'nothing', args: {} }],
      }),
    }
    const reply = await runAgent({ provider: looping, message: 'go', tools: {}, maxSteps: 3 })
    expect(calls).toBe(3)
    expect(reply.toolCalls).toHaveLength(3)
    expect(reply.toolCalls[0]!.error).toMatch(/There is no tool "nothing"/)
    expect(reply.reply).toMatch(/stopped after 3 steps/)
  })
})

describe('OpenAI-compatible provider', () => {
  let model: Server | undefined
  const closers: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const close of closers.splice(0)) await close()
  })

  /** A chat-completions endpoint that answers with `answers` in turn and records requests. */
  async function startModel(
    answers: ((body: Record<string, unknown>) => { status?: number; body: unknown })[],
  ): Promise<{
    baseUrl: string
    requests: { headers: IncomingMessage['headers']; body: Record<string, unknown> }[]
  }> {
    const requests: { headers: IncomingMessage['headers']; body: Record<string, unknown> }[] = []
    model = createServer(async (req, res) => {
      let text = ''
      for await (const chunk of req) text += chunk
      const body = JSON.parse(text) as Record<string, unknown>
      requests.push({ headers: req.headers, body })
      const answer = answers[requests.length - 1]?.(body) ?? {
        status: 500,
        body: { error: 'no more answers' },
      }
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(answer.body))
    })
    const server = model
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        }),
    )
    const { port } = server.address() as AddressInfo
    return { baseUrl: `http://127.0.0.1:${port}/v1`, requests }
  }

  it('drives the real notes tools through function calling', async () => {
    const { baseUrl, requests } = await startModel([
      () => ({
        body: {
          choices: [
            {
              message: {
                role: 'assistant',
                content: null,
                tool_calls: [
                  {
                    id: 'call_1',
                    type: 'function',
                    function: {
                      name: 'notes_add_note',
                      arguments: '{"text":"[owner:alice] buy milk"}',
                    },
                  },
                ],
              },
            },
          ],
        },
      }),
      () => ({
        body: { choices: [{ message: { role: 'assistant', content: 'Saved your note.' } }] },
      }),
    ])
    const provider = new OpenAICompatibleProvider({
      apiKey: 'sk-test',
      baseUrl,
      model: 'test-model',
    })
    const demo = await createDemo({ provider })
    closers.unshift(() => demo.close())
    const alice = demo.users[0]!

    const answer = await api<{ reply: string; toolCalls: { tool: string; result: unknown }[] }>(
      demo,
      '/api/chat',
      { user: alice, body: { message: 'please remember to buy milk' } },
    )
    expect(answer.status).toBe(200)
    expect(answer.body.reply).toBe('Saved your note.')
    expect(answer.body.toolCalls).toMatchObject([
      { tool: 'notes_add_note', result: { note: { text: '[owner:alice] buy milk' } } },
    ])
    expect(demo.notes.store.list('alice').map((note) => note.text)).toEqual([
      '[owner:alice] buy milk',
    ])

    expect(requests).toHaveLength(2)
    const [first, second] = requests as [(typeof requests)[0], (typeof requests)[0]]
    expect(first.headers.authorization).toBe('Bearer sk-test')
    expect(first.body.model).toBe('test-model')
    const offered = (
      first.body.tools as { function: { name: string; description: string; parameters: unknown } }[]
    ).map((tool) => tool.function)
    expect(offered.map((tool) => tool.name).sort()).toEqual([
      'notes_add_note',
      'notes_delete_note',
      'notes_list_notes',
      'utilities_calculate',
      'utilities_current_time',
    ])
    expect(offered.find((tool) => tool.name === 'notes_delete_note')?.description).toMatch(
      /approval/,
    )
    expect(offered.find((tool) => tool.name === 'notes_add_note')?.parameters).toMatchObject({
      type: 'object',
      properties: { text: { type: 'string' } },
    })
    const messages = second.body.messages as Record<string, unknown>[]
    expect(messages.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'tool'])
    expect(messages[2]).toMatchObject({
      tool_calls: [{ id: 'call_1', function: { name: 'notes_add_note' } }],
    })
    expect(messages[3]).toMatchObject({ tool_call_id: 'call_1' })
    expect(JSON.parse(messages[3]!.content as string)).toMatchObject({
      note: { text: '[owner:alice] buy milk' },
    })
  })

  it('a model server error answers 502 with what to check', async () => {
    const { baseUrl } = await startModel([
      () => ({ status: 401, body: { error: { message: 'bad key' } } }),
    ])
    const demo = await createDemo({
      provider: new OpenAICompatibleProvider({ apiKey: 'sk-wrong', baseUrl }),
    })
    closers.unshift(() => demo.close())
    const answer = await api<{ error: { code: string; message: string } }>(demo, '/api/chat', {
      user: demo.users[0]!,
      body: { message: 'hi' },
    })
    expect(answer.status).toBe(502)
    expect(answer.body.error.code).toBe('MODEL_ERROR')
    expect(answer.body.error.message).toMatch(/HTTP 401.*OPENAI_API_KEY/)
  })

  it('is chosen from OPENAI_* settings, and only when a key is set', () => {
    expect(providerFromEnvironment({})).toBeUndefined()
    expect(providerFromEnvironment({ OPENAI_API_KEY: '' })).toBeUndefined()
    const provider = providerFromEnvironment({
      OPENAI_API_KEY: 'sk-x',
      OPENAI_MODEL: 'local-llama',
      OPENAI_BASE_URL: 'http://127.0.0.1:1/v1',
    })
    expect(provider?.name).toBe('openai:local-llama')
  })
})

describe('scenario report', () => {
  it('says which check failed', () => {
    const summary = { samples: 1, p50: 1, p95: 2 }
    const report: ScenarioReport = {
      ok: false,
      users: 2,
      requests: 4,
      latency: { api: summary, pooled: summary, fresh: summary },
      approvals: { approved: 1, denied: 0, expired: 0 },
      isolation: { responsesChecked: 4, leaks: 1 },
      checks: [
        { name: 'requests', ok: true, detail: '4 chat requests, 4 answered 200' },
        { name: 'note isolation', ok: false, detail: '4 responses checked, 1 foreign notes seen' },
      ],
    }
    const table = formatScenarioReport(report)
    expect(table).toMatch(
      /^\| note isolation +\| 4 responses checked, 1 foreign notes seen +\| FAILED \|$/m,
    )
    expect(table).toMatch(/^Result: SOME CHECKS FAILED$/m)
  })
})
