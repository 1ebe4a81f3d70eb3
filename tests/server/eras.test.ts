// One MCPServer endpoint, both protocol eras at once: the v2 SDK Client pinned to 2026-07-28,
// in auto mode and in its default (2025) mode, the v1 SDK Client, legacy SSE, over Streamable
// HTTP on 127.0.0.1. The same tool definitions ask the client on both eras; 2025 sessions keep
// their isolation and the deprecated features (roots, sampling, logging, SSE).
import {
  Client,
  type ClientCapabilities,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client'
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport as V1SseTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { StreamableHTTPClientTransport as V1HttpTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createErasServer, type ErasLedger } from '../support/eras-server.js'
import { textOf } from '../support/helpers.js'
import { type Host, hostServer } from '../support/server-host.js'

type Mode = 'legacy' | 'auto' | { pin: '2026-07-28' }

const ANSWERS: Record<string, Record<string, unknown>> = {
  'What is your name?': { name: 'Ada' },
  'Which dish?': { dish: 'soup' },
  'Which topic?': { topic: 'rust' },
}

/** What a user types into a form, by its message; the client's name marks who answered. */
function answerFor(message: string, who: string): Record<string, unknown> {
  if (message.startsWith('Which table')) return { table: 4 }
  if (message.startsWith('Delivery address')) return { address: `${who} street` }
  const answer = ANSWERS[message]
  if (!answer) throw new Error(`unexpected question ${message}`)
  return message === 'What is your name?' ? { name: who } : answer
}

let host: Host
let ledger: ErasLedger
const clients: { close(): Promise<void> }[] = []

beforeAll(async () => {
  const built = createErasServer()
  ledger = built.ledger
  host = await hostServer(built.server)
})

afterAll(async () => {
  await Promise.allSettled(clients.map((client) => client.close()))
  await host.close()
})

/** A v2 SDK Client that answers every kind of question, in `mode`. */
async function v2Client(
  who: string,
  mode: Mode,
  capabilities: ClientCapabilities = { elicitation: {}, sampling: {}, roots: {} },
) {
  const questions: string[] = []
  const client = new Client(
    { name: who, version: '1.0.0' },
    { capabilities, versionNegotiation: { mode } },
  )
  client.setRequestHandler('elicitation/create', (request) => {
    const message = String(request.params.message)
    questions.push(message)
    return { action: 'accept', content: answerFor(message, who) as Record<string, string> }
  })
  if (capabilities.sampling) {
    client.setRequestHandler('sampling/createMessage', () => ({
      role: 'assistant',
      content: { type: 'text', text: `summary by ${who}` },
      model: 'test-model',
    }))
  }
  if (capabilities.roots) {
    client.setRequestHandler('roots/list', () => ({ roots: [{ uri: `file:///${who}` }] }))
  }
  await client.connect(new StreamableHTTPClientTransport(host.mcpUrl))
  clients.push(client)
  return { client, questions }
}

describe('the v2 SDK Client on one endpoint, in every negotiation mode', () => {
  it.each([
    ['legacy', 'legacy'],
    ['auto', 'modern'],
    [{ pin: '2026-07-28' }, 'modern'],
  ] as const)('mode %j lands on the %s era and is served', async (mode, era) => {
    const { client } = await v2Client(`v2-${era}-${JSON.stringify(mode)}`, mode)
    expect(client.getProtocolEra()).toBe(era)
    const tools = (await client.listTools()).tools.map((tool) => tool.name)
    expect(tools).toEqual(expect.arrayContaining(['whoami', 'greet', 'order', 'deliver']))
    const who = JSON.parse(textOf(await client.callTool({ name: 'whoami', arguments: {} })))
    // A 2025 client gets a session; a 2026-07-28 request has none.
    expect(who.sessionId === null).toBe(era === 'modern')
  })
})

describe('one tool definition asks the client on both eras', () => {
  it('elicitation: a server→client request on 2025, input_required on 2026-07-28', async () => {
    const legacy = await v2Client('Grace', 'legacy')
    const modern = await v2Client('Alan', { pin: '2026-07-28' })
    const before = ledger.runs.greet ?? 0
    const [fromLegacy, fromModern] = await Promise.all([
      legacy.client.callTool({ name: 'greet', arguments: { greeting: 'Hi' } }),
      modern.client.callTool({ name: 'greet', arguments: { greeting: 'Hi' } }),
    ])
    expect(textOf(fromLegacy)).toBe('Hi, Grace!')
    expect(textOf(fromModern)).toBe('Hi, Alan!')
    expect(legacy.questions).toEqual(['What is your name?'])
    expect(modern.questions).toEqual(['What is your name?'])
    // The legacy call ran execute once; the modern one once per round (ask, then answer).
    expect((ledger.runs.greet ?? 0) - before).toBe(3)
  })

  it('several rounds on 2026-07-28: earlier answers come back from the signed requestState', async () => {
    const modern = await v2Client('Edsger', { pin: '2026-07-28' })
    const result = await modern.client.callTool({
      name: 'order',
      arguments: { restaurant: 'Chez MCP' },
    })
    expect(textOf(result)).toBe('Chez MCP: soup at table 4')
    expect(modern.questions).toEqual(['Which dish?', 'Which table for soup?'])
    // Booked once: the side effect sits after the last question.
    expect(ledger.bookings.filter((booking) => booking.startsWith('Chez MCP'))).toHaveLength(1)
  })

  it('suspend() / resumeData on both eras (the legacy shim asks the form over the session)', async () => {
    const legacy = await v2Client('Barbara', 'legacy')
    const modern = await v2Client('Ken', { pin: '2026-07-28' })
    const [fromLegacy, fromModern] = await Promise.all([
      legacy.client.callTool({ name: 'deliver', arguments: { orderId: 'o-1' } }),
      modern.client.callTool({ name: 'deliver', arguments: { orderId: 'o-2' } }),
    ])
    expect(textOf(fromLegacy)).toBe('order o-1 goes to Barbara street')
    expect(textOf(fromModern)).toBe('order o-2 goes to Ken street')
    expect(legacy.questions).toEqual(['Delivery address for o-1?'])
    expect(modern.questions).toEqual(['Delivery address for o-2?'])
  })

  it('a declined suspend() form ends the call with an isError result, on both eras', async () => {
    for (const mode of ['legacy', { pin: '2026-07-28' }] as const) {
      const client = new Client(
        { name: 'decliner', version: '1.0.0' },
        { capabilities: { elicitation: {} }, versionNegotiation: { mode } },
      )
      client.setRequestHandler('elicitation/create', () => ({ action: 'decline' }))
      await client.connect(new StreamableHTTPClientTransport(host.mcpUrl))
      clients.push(client)
      const result = await client.callTool({ name: 'deliver', arguments: { orderId: 'o-3' } })
      expect(result.isError, JSON.stringify(mode)).toBe(true)
      expect(textOf(result)).toMatch(/declined/)
    }
  })

  it('sampling and roots, asked together, on both eras', async () => {
    const legacy = await v2Client('Radia', 'legacy')
    const modern = await v2Client('Leslie', { pin: '2026-07-28' })
    expect(textOf(await legacy.client.callTool({ name: 'summarize', arguments: {} }))).toBe(
      'summary by Radia over file:///Radia',
    )
    expect(textOf(await modern.client.callTool({ name: 'summarize', arguments: {} }))).toBe(
      'summary by Leslie over file:///Leslie',
    )
  })

  it('a 2026-07-28 client that did not declare a capability gets -32021, not a hang', async () => {
    const modern = await v2Client('Noam', { pin: '2026-07-28' }, { elicitation: {} })
    await expect(
      modern.client.callTool({ name: 'summarize', arguments: {} }),
    ).rejects.toMatchObject({ code: -32021 })
  })

  it('prompts in either shape, and a prompt that asks first, on both eras', async () => {
    for (const mode of ['legacy', { pin: '2026-07-28' }] as const) {
      const { client } = await v2Client('Tim', mode)
      const bare = await client.getPrompt({ name: 'bare' })
      expect(bare.messages).toEqual([
        { role: 'user', content: { type: 'text', text: 'bare prompt' } },
      ])
      const wrapped = await client.getPrompt({ name: 'wrapped' })
      expect(wrapped.description).toBe('described by the handler')
      expect(wrapped.messages[0]?.content).toEqual({ type: 'text', text: 'wrapped prompt' })
      const asks = await client.getPrompt({ name: 'asks' })
      expect(asks.messages[0]?.content).toEqual({ type: 'text', text: 'about rust' })
    }
  })
})

describe('2025 sessions next to 2026-07-28 requests keep their isolation and features', () => {
  it('interleaved elicitations reach only the session that asked', async () => {
    const sessions = await Promise.all(['S1', 'S2'].map((who) => v2Client(who, 'legacy')))
    const modern = await v2Client('M1', { pin: '2026-07-28' })
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        [...sessions, modern].map(async ({ client }) =>
          textOf(await client.callTool({ name: 'greet', arguments: {} })),
        ),
      ).flat(),
    )
    const texts = results
    expect(texts.filter((text) => text === 'Hello, S1!')).toHaveLength(4)
    expect(texts.filter((text) => text === 'Hello, S2!')).toHaveLength(4)
    expect(texts.filter((text) => text === 'Hello, M1!')).toHaveLength(4)
    for (const session of sessions) expect(session.questions).toHaveLength(4)
  })

  it('the v1 SDK client: elicitation, sampling, roots and logging/setLevel over its session', async () => {
    const client = new V1Client(
      { name: 'v1-client', version: '1.0.0' },
      { capabilities: { elicitation: {}, sampling: {}, roots: {} } },
    )
    const logs: string[] = []
    client.setRequestHandler(ElicitRequestSchema, () => ({
      action: 'accept',
      content: { name: 'V1' },
    }))
    client.setRequestHandler(CreateMessageRequestSchema, () => ({
      role: 'assistant',
      content: { type: 'text', text: 'v1 summary' },
      model: 'm',
    }))
    client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [{ uri: 'file:///v1' }] }))
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      logs.push(String(notification.params.data))
    })
    await client.connect(new V1HttpTransport(host.mcpUrl))
    clients.push(client)
    expect(textOf(await client.callTool({ name: 'greet', arguments: {} }))).toBe('Hello, V1!')
    expect(textOf(await client.callTool({ name: 'summarize', arguments: {} }))).toBe(
      'v1 summary over file:///v1',
    )
    await client.setLoggingLevel('info')
    await client.callTool({ name: 'chatty', arguments: {} })
    expect(logs).toEqual(['chatty started'])
  })

  it('legacy SSE (2024-11-05) still serves its sessions', async () => {
    const client = new V1Client(
      { name: 'v1-sse', version: '1.0.0' },
      { capabilities: { elicitation: {} } },
    )
    client.setRequestHandler(ElicitRequestSchema, () => ({
      action: 'accept',
      content: { name: 'SSE' },
    }))
    await client.connect(new V1SseTransport(host.sseUrl))
    clients.push(client)
    expect(textOf(await client.callTool({ name: 'greet', arguments: {} }))).toBe('Hello, SSE!')
  })

  it('logs on 2026-07-28 only reach a request that asked for them (logLevel in _meta)', async () => {
    const { client } = await v2Client('Quiet', { pin: '2026-07-28' })
    const logs: string[] = []
    client.setNotificationHandler('notifications/message', (notification) => {
      logs.push(String(notification.params.data))
    })
    const progress: number[] = []
    await client.callTool(
      { name: 'chatty', arguments: {} },
      { onprogress: (update) => progress.push(update.progress) },
    )
    expect(logs).toEqual([])
    expect(progress).toEqual([1, 2])
  })
})
