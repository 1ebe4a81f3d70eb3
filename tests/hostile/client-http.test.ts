import { MCPClient, MCPClientPool } from '@mcpkit/mcp-client-core'
import type { HttpServerDefinition, LogHandler, LogMessage } from '@mcpkit/types'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { expectMCPError } from '../support/helpers.js'
import { runningChildren, waitFor } from '../support/processes.js'
import { heapAfterGc, hostileHttp, hostileStdio } from './client-helpers.js'

type Server = Awaited<ReturnType<typeof hostileHttp>>
const servers: Record<string, Server> = {}
const clients: MCPClient[] = []

beforeAll(async () => {
  for (const attack of ['endless', 'slowlist', 'biglist', 'loop', 'none']) {
    servers[attack] = await hostileHttp(attack)
  }
})
afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(clients.splice(0).map((client) => client.disconnect()))
})
afterAll(async () => {
  await Promise.all(Object.values(servers).map((server) => server.stop()))
  // No process left: the HTTP servers we started and every stdio server are gone.
  expect(await waitFor(() => runningChildren().length === 0, { timeoutMs: 10_000 })).toBe(true)
})

function http(attack: string, extra: Partial<HttpServerDefinition> = {}): HttpServerDefinition {
  return { url: servers[attack]!.url, protocolVersion: 'legacy', ...extra }
}

function client(
  definitions: ConstructorParameters<typeof MCPClient>[0]['servers'],
  timeout = 30_000,
  logger?: LogHandler,
) {
  const created = new MCPClient({ servers: definitions, timeout, ...(logger ? { logger } : {}) })
  clients.push(created)
  return created
}

describe('pagination that never ends', () => {
  it('stops every list at maxListPages with SERVER_ERROR, over HTTP and stdio', async () => {
    const mcp = client({
      web: http('endless', { maxListPages: 10 }),
      local: hostileStdio('endless', { maxListPages: 10 }),
    })
    const started = Date.now()
    const { errors } = await mcp.listToolsWithErrors()
    expect(Object.keys(errors).sort()).toEqual(['local', 'web'])
    for (const error of Object.values(errors)) {
      expect(error.code).toBe('SERVER_ERROR')
      expect(error.message).toMatch(/10 pages/)
    }
    // Resources, templates and prompts: each list fails (logged), none runs forever.
    expect(await mcp.resources.list()).toEqual({})
    expect(await mcp.resources.templates()).toEqual({})
    expect(await mcp.prompts.list()).toEqual({})
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('stops at the default of 64 pages in a pooled client', async () => {
    const pool = new MCPClientPool({ max: 2, warm: false })
    try {
      await pool.withClient(
        'bob',
        ({ id }) => new MCPClient({ id, servers: { web: http('endless') }, timeout: 30_000 }),
        async (mcp) => {
          const error = await expectMCPError(mcp.listTools(), 'SERVER_ERROR')
          expect(error.message).toMatch(/64 pages/)
        },
      )
    } finally {
      await pool.close()
    }
  })

  it('fails every list at once with SERVER_ERROR when a page cursor comes back, quoting it short', async () => {
    const lines: LogMessage[] = []
    const mcp = client(
      {
        web: http('loop'),
        local: hostileStdio('loop'),
        sse: { url: servers.loop!.sseUrl, transport: 'sse' },
      },
      30_000,
      (line) => void lines.push(line),
    )
    const started = Date.now()
    const { errors } = await mcp.listToolsWithErrors()
    expect(Object.keys(errors).sort()).toEqual(['local', 'sse', 'web'])
    for (const error of Object.values(errors)) {
      expect(error.code).toBe('SERVER_ERROR')
      expect(error.message).toMatch(
        /returned the page cursor "Lxxx.*… \(10001 characters\) a second time/,
      )
      // Never the whole 10 kB cursor.
      expect(error.message.length).toBeLessThan(400)
    }
    // Resources, templates and prompts fail the same way (logged per server), each at once.
    expect(await mcp.resources.list()).toEqual({})
    expect(await mcp.resources.templates()).toEqual({})
    expect(await mcp.prompts.list()).toEqual({})
    for (const what of ['resources/list', 'resources/templates/list', 'prompts/list']) {
      const failed = lines.filter(
        (line) => line.message.includes(`${what} failed`) && /a second time/.test(line.message),
      )
      expect(failed.map((line) => line.serverName).sort(), what).toEqual(['local', 'sse', 'web'])
    }
    // Three pages a list, not maxListPages (64).
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('stops a slow endless list at listTimeout with REQUEST_TIMEOUT', async () => {
    // The deadline runs on fake timers; the server and its 200 ms pages are real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    let pages = 0
    let firstPage = () => {}
    const listing = new Promise<void>((resolve) => {
      firstPage = resolve
    })
    const mcp = client({
      slow: http('slowlist', {
        listTimeout: 1000,
        fetch: (url, init) => {
          if (typeof init?.body === 'string' && init.body.includes('"tools/list"')) {
            pages++
            firstPage()
          }
          return fetch(url, init)
        },
      }),
    })
    let failed = false
    const listed = mcp.listTools().finally(() => {
      failed = true
    })
    listed.catch(() => {})
    await listing
    await vi.advanceTimersByTimeAsync(999)
    expect(failed, 'still listing just before listTimeout').toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    const error = await expectMCPError(listed, 'REQUEST_TIMEOUT')
    expect(error.message).toMatch(/listTimeout/)
    expect(pages).toBeGreaterThan(0)
  })
})

describe('a 50 MB tool list (50 pages of 1 MB)', () => {
  it('fails with RESPONSE_TOO_LARGE past maxResponseBytes, and the heap comes back', async () => {
    const baseline = heapAfterGc()
    const mcp = client({ big: http('biglist') })
    const error = await expectMCPError(mcp.listTools(), 'RESPONSE_TOO_LARGE')
    expect(error.message).toMatch(/tools\/list exceeded 16777216 bytes/)
    await mcp.disconnect()
    expect(heapAfterGc()).toBeLessThan(baseline * 1.1)
  })

  it('is read whole when the server is allowed that much', async () => {
    const mcp = client({ big: http('biglist', { maxResponseBytes: 64 * 1024 * 1024 }) })
    expect(Object.keys(await mcp.listTools())).toHaveLength(50)
  })
})

describe('a response stream the server ends without an answer', () => {
  it('fails a call at once with CONNECTION_CLOSED instead of waiting for its timeout', async () => {
    const mcp = client({ web: http('none') }, 60_000)
    const tools = await mcp.listTools()
    const started = Date.now()
    const error = await expectMCPError(tools.web_cut!.execute({}), 'CONNECTION_CLOSED')
    expect(error.message).toMatch(/without answering/)
    expect(Date.now() - started).toBeLessThan(5000)
    // The connection is still good.
    expect(await tools.web_echo!.execute({ text: 'after' })).toMatchObject({
      content: [{ text: 'after' }],
    })
  })

  it('sends a read-only call again, once, and returns its answer', async () => {
    const mcp = client({ web: http('none') }, 60_000)
    const tools = await mcp.listTools()
    const started = Date.now()
    expect(await tools.web_cut_readonly!.execute({})).toMatchObject({
      content: [{ text: 'cut_readonly' }],
    })
    expect(Date.now() - started).toBeLessThan(5000)
  })
})
