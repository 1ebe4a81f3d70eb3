// A server that ends a call's response stream without answering (issue 15, item 4), on the
// transports the Streamable HTTP 2025 tests (client-http.test.ts) do not cover: the 2026-07-28
// era over HTTP (each request has a response stream of its own), and legacy SSE (the answers
// ride the session's one SSE stream, which the server ends). The call fails at once with
// CONNECTION_CLOSED, well within its 60 s timeout, or, when read-only, is sent again once.
import { MCPClient, type ServerDefinition } from '@mcpkit/mcp-client-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupsAfterEach, expectMCPError, textOf } from '../support/helpers.js'
import { startModernHost } from '../support/modern-host.js'
import { runningChildren, waitFor } from '../support/processes.js'
import { hostileHttp } from './client-helpers.js'

/** Far above what any of these calls may take: the timeout they must not wait for. */
const TIMEOUT = 60_000
/** What "at once" allows on two busy cores. */
const PROMPTLY = 5000

const cleanups = cleanupsAfterEach()

function client(name: string, definition: ServerDefinition): MCPClient {
  const created = new MCPClient({ servers: { [name]: definition }, timeout: TIMEOUT })
  cleanups.push(() => created.disconnect())
  return created
}

describe('the 2026-07-28 era over HTTP: a call whose response stream ends unanswered', () => {
  async function modern() {
    const host = await startModernHost()
    cleanups.push(() => host.stop())
    const mcp = client('modern', { url: host.url.href, protocolVersion: '2026-07-28' })
    const tools = await mcp.listTools()
    expect(mcp.getServerProtocolEras()).toEqual({ modern: 'modern' })
    return { host, tools }
  }

  it('fails at once with CONNECTION_CLOSED, and the next call works', async () => {
    const { host, tools } = await modern()
    host.front.cutCalls = { count: 1 }
    const started = Date.now()
    const error = await expectMCPError(tools.modern_count!.execute({}), 'CONNECTION_CLOSED')
    expect(Date.now() - started).toBeLessThan(PROMPTLY)
    expect(error.message).toMatch(/without answering/)
    // Not sent again: the tool is not read-only, and it did not run.
    expect(host.state.counted).toBe(0)
    expect(textOf(await tools.modern_count!.execute({}))).toBe('1')
  })

  it.each(['reset', 'reset-json'] as const)(
    'fails at once with CONNECTION_CLOSED when the connection under the answer is reset (%s)',
    async (cutBy) => {
      const { host, tools } = await modern()
      host.front.cutCalls = { count: 1 }
      host.front.cutBy = cutBy
      const started = Date.now()
      await expectMCPError(tools.modern_count!.execute({}), 'CONNECTION_CLOSED')
      expect(Date.now() - started).toBeLessThan(PROMPTLY)
      expect(host.state.counted).toBe(0)
      expect(textOf(await tools.modern_count!.execute({}))).toBe('1')
    },
  )

  it.each(['end', 'reset', 'reset-json'] as const)(
    'sends a read-only call again, once, and returns its answer (%s)',
    async (cutBy) => {
      const { host, tools } = await modern()
      host.front.cutCalls = { echo: 1 }
      host.front.cutBy = cutBy
      const calls = host.count('tools/call')
      const started = Date.now()
      expect(textOf(await tools.modern_echo!.execute({ text: 'again' }))).toBe('again')
      expect(Date.now() - started).toBeLessThan(PROMPTLY)
      expect(host.count('tools/call') - calls).toBe(2)
    },
  )

  it('fails a read-only call cut off twice with CONNECTION_CLOSED, not sending it a third time', async () => {
    const { host, tools } = await modern()
    host.front.cutCalls = { echo: 5 }
    const calls = host.count('tools/call')
    const started = Date.now()
    const error = await expectMCPError(
      tools.modern_echo!.execute({ text: 'x' }),
      'CONNECTION_CLOSED',
    )
    expect(Date.now() - started).toBeLessThan(PROMPTLY)
    expect(error.message).toMatch(/again when it was sent once more/)
    expect(host.count('tools/call') - calls).toBe(2)
  })
})

let server: Awaited<ReturnType<typeof hostileHttp>>
beforeAll(async () => {
  server = await hostileHttp('none')
})
afterAll(async () => {
  await server.stop()
  expect(await waitFor(() => runningChildren().length === 0, { timeoutMs: 10_000 })).toBe(true)
})

describe('the 2025 era over Streamable HTTP: the connection under an answer is reset', () => {
  it.each(['reset', 'reset_json'])(
    'fails the call at once with CONNECTION_CLOSED (%s), and the next call works',
    async (tool) => {
      const mcp = client('web', { url: server.url, protocolVersion: 'legacy' })
      const tools = await mcp.listTools()
      const started = Date.now()
      await expectMCPError(tools[`web_${tool}`]!.execute({}), 'CONNECTION_CLOSED')
      expect(Date.now() - started).toBeLessThan(PROMPTLY)
      expect(textOf(await tools.web_echo!.execute({ text: 'after' }))).toBe('after')
    },
  )
})

describe('legacy SSE: the server ends the session stream instead of answering', () => {
  const sse = (): ServerDefinition => ({ url: server.sseUrl, transport: 'sse' })

  it('fails a call at once with CONNECTION_CLOSED, and the next call reconnects', async () => {
    const mcp = client('legacy', sse())
    const tools = await mcp.listTools()
    const started = Date.now()
    await expectMCPError(tools.legacy_cut!.execute({}), 'CONNECTION_CLOSED')
    expect(Date.now() - started).toBeLessThan(PROMPTLY)
    expect(textOf(await tools.legacy_echo!.execute({ text: 'after' }))).toBe('after')
  })

  it('fails a call at once with CONNECTION_CLOSED when the stream is reset', async () => {
    const mcp = client('legacy', sse())
    const tools = await mcp.listTools()
    const started = Date.now()
    await expectMCPError(tools.legacy_reset!.execute({}), 'CONNECTION_CLOSED')
    expect(Date.now() - started).toBeLessThan(PROMPTLY)
    expect(textOf(await tools.legacy_echo!.execute({ text: 'after' }))).toBe('after')
  })

  it('sends a read-only call again on a new session, once, and returns its answer', async () => {
    const mcp = client('legacy', sse())
    const tools = await mcp.listTools()
    const started = Date.now()
    expect(textOf(await tools.legacy_cut_readonly!.execute({}))).toBe('cut_readonly')
    expect(Date.now() - started).toBeLessThan(PROMPTLY)
  })
})
