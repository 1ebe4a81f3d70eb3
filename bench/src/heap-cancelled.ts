/**
 * Heap kept per cancelled tool call on one long-lived client: a 2026-07-28 server over
 * Streamable HTTP (in this process, on 127.0.0.1) whose `wait` tool opens its SSE response with
 * a progress notification and answers 50 ms later; the client cancels each call 10 ms in,
 * through its `abortSignal`. Warm-up calls first (JIT and bounded caches settle), then the
 * growth of `heapUsed` after full GCs over `--calls` more:
 *
 *   node --expose-gc --import tsx src/heap-cancelled.ts [--calls 500] [--warmup 600]
 */
import { createServer } from 'node:http'
import { parseArgs } from 'node:util'
import { MCPClient } from '@mcpkit/mcp-client-core'
import { toNodeHandler } from '@modelcontextprotocol/node'
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server'
import { z } from 'zod'
import { gc } from './stats.js'

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '500' },
    warmup: { type: 'string', default: '600' },
  },
})

const handler = createMcpHandler(
  () => {
    const server = new McpServer({ name: 'heap-cancelled', version: '1.0.0' })
    server.registerTool('wait', { inputSchema: z.object({}) }, async (_input, ctx) => {
      const progressToken = ctx.mcpReq._meta?.progressToken
      if (progressToken === undefined) throw new Error('expected a progress token')
      // The first message opens the SSE response: the call is cancelled mid-stream.
      await ctx.mcpReq.notify({
        method: 'notifications/progress',
        params: { progressToken, progress: 1 },
      })
      await new Promise((resolve) => setTimeout(resolve, 50))
      return { content: [{ type: 'text', text: 'done' }] }
    })
    return server
  },
  { legacy: 'reject' },
)
const serve = toNodeHandler(handler)
const http = createServer((req, res) => void serve(req as never, res))
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
const { port } = http.address() as { port: number }
const client = new MCPClient({
  id: 'heap-cancelled',
  servers: { wait: { url: new URL(`http://127.0.0.1:${port}/mcp`), notificationStream: false } },
})

async function cancelCalls(count: number): Promise<void> {
  const tools = await client.listTools()
  const wait = tools.wait_wait
  if (!wait) throw new Error('tool wait_wait not listed')
  for (let index = 0; index < count; index++) {
    const controller = new AbortController()
    const call = wait.execute({}, { abortSignal: controller.signal }).then(
      () => 'answered',
      () => 'cancelled',
    )
    setTimeout(() => controller.abort(new Error('cancelled by the bench')), 10)
    if ((await call) !== 'cancelled') throw new Error('a call was answered before its cancel')
  }
}

async function settledHeap(): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 200))
  gc(2)
  return process.memoryUsage().heapUsed
}

try {
  const calls = Number(values.calls)
  await cancelCalls(Number(values.warmup))
  const before = await settledHeap()
  await cancelCalls(calls)
  const after = await settledHeap()
  console.log(
    `heap kept per cancelled call (${calls} calls, 2026-07-28, HTTP): ${((after - before) / calls / 1024).toFixed(2)} KiB`,
  )
} finally {
  await client.disconnect()
  http.closeAllConnections()
  http.close()
}
