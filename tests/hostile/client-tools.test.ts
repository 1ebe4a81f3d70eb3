import { MCPClient, MCPClientPool } from '@mcpkit/mcp-client-core'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { runningChildren, waitFor } from '../support/processes.js'
import { hostileStdio, longestLoopDelay } from './client-helpers.js'

const clients: MCPClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.disconnect()))
})
afterAll(async () => {
  // No process left: every server this file started, and what they started, is gone.
  expect(await waitFor(() => runningChildren().length === 0, { timeoutMs: 10_000 })).toBe(true)
})

describe('a server whose schemas carry a catastrophic pattern (^(a+)+$)', () => {
  it('(the measure itself sees a 150 ms block)', async () => {
    const blocked = await longestLoopDelay(async () => {
      const started = Date.now()
      while (Date.now() - started < 150) {}
    })
    expect(blocked.maxDelayMs).toBeGreaterThan(100)
  })

  it('cannot block the event loop: input, output and zod checks run in linear time', async () => {
    const mcp = new MCPClient({ servers: { evil: hostileStdio('redos') }, timeout: 20_000 })
    clients.push(mcp)
    const tools = await mcp.listTools()
    const tool = tools.evil_redos!
    const value = `${'a'.repeat(28)}!`

    // The arguments: refused by the input check, nothing sent.
    const input = await longestLoopDelay(() => tool.execute({ text: value }))
    expect(input.error).toMatchObject({ code: 'INVALID_TOOL_INPUT' })
    expect(input.maxDelayMs).toBeLessThan(100)

    // The output: the server answers that very value; the SDK checks it with mcpkit's validator.
    const output = await longestLoopDelay(() => tool.execute({ text: 'aaaa' }))
    expect(output.error).toMatchObject({ code: 'SERVER_ERROR' })
    expect(output.maxDelayMs).toBeLessThan(100)

    // The zod schema handed to frameworks does not carry the pattern.
    const zod = await longestLoopDelay(async () => tool.inputZodSchema.safeParse({ text: value }))
    expect(zod.result?.success).toBe(true)
    expect(zod.maxDelayMs).toBeLessThan(100)
  })
})

describe('a server whose tool names collide with Object.prototype, or repeat', () => {
  it('keeps every tool an own key of listTools() and listToolsets(), through a pool too', async () => {
    const pool = new MCPClientPool({ max: 2 })
    try {
      await pool.withClient(
        'alice',
        ({ id }) => new MCPClient({ id, servers: { s: hostileStdio('names') }, timeout: 20_000 }),
        async (mcp) => {
          const toolsets = await mcp.listToolsets()
          const toolset = toolsets.s!
          expect(Object.getPrototypeOf(toolset)).toBe(Object.prototype)
          const keys = Object.keys(toolset)
          expect(keys).toHaveLength(5)
          expect(keys.slice(0, 4)).toEqual(['__proto__', 'hasOwnProperty', 'constructor', 'echo'])
          expect(keys[4]).toMatch(/^echo_[0-9a-f]{8}$/)
          for (const key of keys) expect(Object.hasOwn(toolset, key)).toBe(true)
          const proto = Object.getOwnPropertyDescriptor(toolset, '__proto__')?.value
          expect(proto?.name).toBe('__proto__')
          // Reachable and callable.
          expect(await proto.execute({})).toMatchObject({ content: [{ text: '__proto__' }] })

          const tools = await mcp.listTools()
          const ids = Object.keys(tools)
          expect(ids).toHaveLength(5)
          expect(new Set(ids).size).toBe(5)
          expect(ids).toContain('s___proto__')
          expect(ids).toContain('s_hasOwnProperty')
          expect(ids.filter((id) => id.startsWith('s_echo'))).toHaveLength(2)
          for (const id of ids) expect(tools[id]!.id).toBe(id)
          expect(Object.getPrototypeOf(tools)).toBe(Object.prototype)
          // Nothing polluted.
          expect(({} as Record<string, unknown>).echo).toBeUndefined()
        },
      )
    } finally {
      await pool.close()
    }
  })
})
