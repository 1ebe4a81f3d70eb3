// Issue 15, items 9 and 15: every request gets an answer, and hostile input a brief one. A
// result holding a BigInt or a cycle is answered with a JSON-RPC internal error (-32603) on
// every era and response mode, instead of an empty stream or a request that never completes;
// an object referenced twice is sent twice, not as "[Circular]". A 1 MB tool name is not echoed
// back, the tool list in the error is cut, and a body nested 100k levels deep gets a short
// -32600 with no internal error text.
import { createMCPTool, MCPServer } from '@mcpkit/mcp-server-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { modernCall } from '../support/modern-wire.js'
import {
  type Host,
  hostServer,
  mcpPostHeaders,
  openRawSession,
  rawRequest,
} from '../support/server-host.js'

const shared = { city: 'Lyon', celsius: 21 }

function hostileTools() {
  const cyclic: Record<string, unknown> = { name: 'loop' }
  cyclic.self = { back: cyclic }
  const tools: Record<string, ReturnType<typeof createMCPTool>> = {
    bigint: createMCPTool({
      id: 'bigint',
      description: 'structuredContent with a BigInt',
      execute: async () => ({
        content: [{ type: 'text', text: 'big' }],
        structuredContent: { count: 10n },
      }),
    }),
    cycle: createMCPTool({
      id: 'cycle',
      description: 'structuredContent with a cycle',
      execute: async () => ({
        content: [{ type: 'text', text: 'loop' }],
        structuredContent: cyclic,
      }),
    }),
    shared: createMCPTool({
      id: 'shared',
      description: 'one object referenced twice',
      execute: async () => ({ here: shared, there: shared, list: [shared, shared] }),
    }),
  }
  for (let index = 0; index < 110; index++) {
    tools[`filler_${index}`] = createMCPTool({
      id: `filler_${index}`,
      description: 'a tool among many',
      execute: async () => 'ok',
    })
  }
  return tools
}

/** The JSON-RPC answer of a 2025 POST: the JSON body, or the last `data:` event of its SSE stream. */
function answerOf(text: string): {
  result?: Record<string, unknown>
  error?: { code: number; message: string }
} {
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) return JSON.parse(trimmed)
  const data = trimmed
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => line.slice(6))
    .filter((line) => line.includes('"id"'))
  if (data.length === 0) throw new Error(`no answer in: ${trimmed.slice(0, 200)}`)
  return JSON.parse(data.at(-1)!)
}

async function legacyCall(host: Host, sessionId: string, body: unknown) {
  const response = await rawRequest(host.mcpUrl, {
    headers: mcpPostHeaders(sessionId),
    body: JSON.stringify(body),
    timeoutMs: 5000,
  })
  return { status: response.status, text: response.text, answer: answerOf(response.text) }
}

const call = (name: string, id = 7) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: {} },
})

describe.each([
  ['SSE answers', {}],
  ['JSON answers (enableJsonResponse)', { enableJsonResponse: true }],
])('results that cannot be sent (%s)', (_label, options) => {
  let host: Host
  let sessionId: string
  const logged: string[] = []

  beforeAll(async () => {
    const server = new MCPServer({
      name: 'answers',
      version: '1.0.0',
      tools: hostileTools(),
      logger: (message) => {
        if (message.level === 'error') logged.push(message.message)
      },
    })
    host = await hostServer(server, { options })
    sessionId = await openRawSession(host.mcpUrl)
  })

  afterAll(async () => {
    await host?.close()
  })

  it.each([
    ['bigint', 'a BigInt at $.structuredContent.count'],
    ['cycle', 'a cycle at $.structuredContent.self.back'],
  ])('a 2025 call of %s is answered -32603, naming the value', async (name, where) => {
    const { status, answer } = await legacyCall(host, sessionId, call(name))
    expect(status).toBe(200)
    expect(answer.error?.code).toBe(-32603)
    expect(answer.error?.message).toContain(where)
    expect(logged.some((line) => line.includes(where))).toBe(true)
  })

  it.each(['bigint', 'cycle'])('a 2026-07-28 call of %s is answered -32603', async (name) => {
    const answer = await modernCall(host.mcpUrl, {
      method: 'tools/call',
      params: { name, arguments: {} },
    })
    expect(answer.body.error?.code).toBe(-32603)
  })

  it('an object referenced twice is sent twice, faithfully', async () => {
    const { answer } = await legacyCall(host, sessionId, call('shared'))
    const content = answer.result?.content as Array<{ text: string }>
    expect(JSON.parse(content[0]!.text)).toEqual({
      here: shared,
      there: shared,
      list: [shared, shared],
    })
    expect(content[0]!.text).not.toContain('[Circular]')
  })
})

describe('legacy SSE: a result with a BigInt gets its error on the stream', () => {
  let host: Host

  beforeAll(async () => {
    host = await hostServer(
      new MCPServer({ name: 'answers', version: '1.0.0', tools: hostileTools() }),
    )
  })

  afterAll(async () => {
    await host?.close()
  })

  it('answers -32603 on the session stream', async () => {
    const controller = new AbortController()
    const stream = await fetch(host.sseUrl, {
      headers: { accept: 'text/event-stream' },
      signal: controller.signal,
    })
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader()
    let seen = ''
    const next = async (pattern: RegExp): Promise<RegExpExecArray> => {
      const deadline = Date.now() + 5000
      for (;;) {
        const match = pattern.exec(seen)
        if (match) return match
        if (Date.now() > deadline) throw new Error(`not seen on the stream: ${pattern}`)
        const { value, done } = await reader.read()
        if (done) throw new Error('the stream ended')
        seen += value
      }
    }
    try {
      const endpoint = (await next(/event: endpoint\ndata: (\S+)/))[1]!
      const messageUrl = new URL(endpoint, host.sseUrl)
      const post = (body: unknown) =>
        fetch(messageUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      await post({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2024-11-05',
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      })
      await next(/"id":1/)
      await post({ jsonrpc: '2.0', method: 'notifications/initialized' })
      await post(call('bigint', 2))
      const answer = (await next(/data: (\{[^\n]*"id":2[^\n]*\})/))[1]!
      expect(JSON.parse(answer).error.code).toBe(-32603)
    } finally {
      controller.abort()
      await reader.cancel().catch(() => {})
    }
  })
})

describe('hostile input gets brief answers', () => {
  let host: Host
  let sessionId: string

  beforeAll(async () => {
    host = await hostServer(
      new MCPServer({ name: 'brief', version: '1.0.0', tools: hostileTools() }),
    )
    sessionId = await openRawSession(host.mcpUrl)
  })

  afterAll(async () => {
    await host?.close()
  })

  it('a 1 MB tool name is not echoed back, and the tool list is cut (2025 and 2026-07-28)', async () => {
    const name = 'n'.repeat(1024 * 1024)
    const legacy = await legacyCall(host, sessionId, call(name))
    expect(legacy.text.length).toBeLessThan(2048)
    expect(legacy.answer.error?.code).toBe(-32602)
    expect(legacy.answer.error?.message).toMatch(/Unknown tool "n{64}…" \(1048576 characters\)/)
    expect(legacy.answer.error?.message).toContain('and 13 more')
    const modern = await modernCall(host.mcpUrl, {
      method: 'tools/call',
      params: { name, arguments: {} },
      headers: { 'mcp-name': 'n' },
    })
    // Node refuses a 1 MB header: the name disagrees with its header, briefly.
    expect(modern.body.error?.code).toBe(-32020)
    expect(JSON.stringify(modern.body).length).toBeLessThan(2048)
    const tenKb = 'm'.repeat(10_000)
    const fits = await modernCall(host.mcpUrl, {
      method: 'tools/call',
      params: { name: tenKb, arguments: {} },
    })
    expect(fits.body.error?.message).toMatch(/Unknown tool "m{64}…" \(10000 characters\)/)
    expect(JSON.stringify(fits.body).length).toBeLessThan(2048)
  })

  it('a body nested 100,000 levels deep gets a short -32600, and the server keeps serving', async () => {
    const depth = 100_000
    const body = `{"jsonrpc":"2.0","id":3,"method":"ping","params":{"deep":${'['.repeat(depth)}${']'.repeat(depth)}}}`
    for (const headers of [mcpPostHeaders(), mcpPostHeaders(sessionId)]) {
      const response = await rawRequest(host.mcpUrl, { headers, body, timeoutMs: 5000 })
      expect(response.status).toBe(400)
      const answer = response.json as { error: { code: number; message: string } }
      expect(answer.error.code).toBe(-32600)
      expect(answer.error.message).not.toMatch(/RangeError|stack/i)
      expect(response.text.length).toBeLessThan(300)
    }
    const sse = await rawRequest(new URL('/message?sessionId=x', host.mcpUrl), {
      headers: { 'content-type': 'application/json' },
      body,
      timeoutMs: 5000,
    })
    expect(sse.status).toBe(400)
    expect((sse.json as { error: { code: number } }).error.code).toBe(-32600)
    const ping = await legacyCall(host, sessionId, { jsonrpc: '2.0', id: 4, method: 'ping' })
    expect(ping.answer.result).toEqual({})
  })
})
