/**
 * Heap kept per tool call on one long-lived client, 2026-07-28 over Streamable HTTP, on
 * 127.0.0.1: answered calls of `echo` on the bench's HTTP server (its own process, so its heap is
 * not counted), and cancelled calls of `wait` on a server in this process (it opens its SSE
 * response with a progress notification and answers 50 ms later). For each row, warm-up calls first
 * (JIT and bounded caches settle), then the growth of `heapUsed` after full GCs over `--calls`
 * more, on the same client:
 *
 * - answered calls, raw SDK v2 `Client` and mcpkit `MCPClient`;
 * - cancelled calls, mcpkit: each `wait` cancelled 10 ms in, through its `abortSignal`.
 *
 *   node --expose-gc --import tsx src/heap-per-call.ts [--calls 2000] [--warmup 600]
 */
import { createServer } from 'node:http'
import { parseArgs } from 'node:util'
import { MCPClient } from '@mcpkit/mcp-client-core'
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { toNodeHandler } from '@modelcontextprotocol/node'
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server'
import { z } from 'zod'
import { startHttpServer } from './server-process.js'
import { gc } from './stats.js'

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '20000' },
    cancelled: { type: 'string', default: '500' },
    warmup: { type: 'string', default: '2000' },
  },
})
const warmup = Number(values.warmup)

const handler = createMcpHandler(
  () => {
    const server = new McpServer({ name: 'heap-per-call', version: '1.0.0' })
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
const url = new URL(`http://127.0.0.1:${port}/mcp`)
const benchServer = await startHttpServer()
const modernUrl = new URL('/modern', benchServer.url)

/** The heap after full GCs, with the finalizers they queued run and collected in between. */
async function settledHeap(): Promise<number> {
  for (let round = 0; round < 3; round++) {
    gc(2)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  gc(2)
  return process.memoryUsage().heapUsed
}

/** Bytes of heap kept per call of `call` over `calls` calls, after `warmup` on the same client. */
async function keptPerCall(calls: number, call: () => Promise<void>): Promise<number> {
  for (let index = 0; index < warmup; index++) await call()
  const before = await settledHeap()
  for (let index = 0; index < calls; index++) await call()
  return ((await settledHeap()) - before) / calls
}

const rows: [string, number, number][] = []
const answered = Number(values.calls)
const cancelled = Number(values.cancelled)
const closers: (() => Promise<unknown>)[] = []
try {
  const raw = new Client(
    { name: 'heap-per-call', version: '1.0.0' },
    { versionNegotiation: { mode: 'auto' } },
  )
  await raw.connect(new StreamableHTTPClientTransport(modernUrl))
  closers.push(() => raw.close())
  rows.push([
    'raw SDK v2 `Client`, answered',
    answered,
    await keptPerCall(answered, async () => {
      await raw.callTool({ name: 'echo', arguments: { message: 'hello' } })
    }),
  ])

  const client = new MCPClient({
    id: 'heap-per-call',
    servers: {
      bench: { url: modernUrl, notificationStream: false },
      wait: { url, notificationStream: false },
    },
  })
  closers.push(() => client.disconnect())
  const tools = await client.listTools()
  const echo = tools.bench_echo
  const wait = tools.wait_wait
  if (!echo?.execute || !wait?.execute) throw new Error('tools bench_echo and wait_wait not listed')
  rows.push([
    'mcpkit `MCPClient`, answered',
    answered,
    await keptPerCall(answered, async () => {
      await echo.execute!({ message: 'hello' }, {} as never)
    }),
  ])
  rows.push([
    'mcpkit `MCPClient`, cancelled mid-stream',
    cancelled,
    await keptPerCall(cancelled, async () => {
      const controller = new AbortController()
      const call = wait.execute!({}, { abortSignal: controller.signal } as never).then(
        () => 'answered',
        () => 'cancelled',
      )
      setTimeout(() => controller.abort(new Error('cancelled by the bench')), 10)
      if ((await call) !== 'cancelled') throw new Error('a call was answered before its cancel')
    }),
  ])
  console.log(
    `heap kept per call on one long-lived client, 2026-07-28, HTTP (after ${warmup} calls; Node ${process.version})\n`,
  )
  console.log('| client, calls | calls | heap kept per call |')
  console.log('| --- | --- | --- |')
  for (const [label, count, bytes] of rows) {
    console.log(`| ${label} | ${count} | ${bytes.toFixed(0)} B |`)
  }
} finally {
  for (const close of closers.reverse()) await close().catch(() => {})
  http.closeAllConnections()
  http.close()
  await benchServer.stop()
}
