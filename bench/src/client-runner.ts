/**
 * One contender of the bench, in its own process: `raw` (the MCP SDK `Client`) or `mcpkit`
 * (`MCPClient`). The orchestrator (`run.ts`) sends it one operation at a time over IPC and it
 * answers with what it measured itself. Separate processes keep the contenders from taxing
 * each other: mcpkit's AsyncLocalStorage turns on promise hooks for the whole process on
 * Node 20, and each has its own heap, GC and JIT state. Only one runner works at a time.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { serveParent } from './child-process.js'
import type { RunnerRequest } from './protocol.js'
import { gc, nowMs } from './stats.js'

const kind = process.argv[2]
if (kind !== 'raw' && kind !== 'mcpkit') throw new Error(`client-runner: unknown kind ${kind}`)

// ---- mcpkit, typed loosely so the bench runs (raw side only) before it is built ---------------

interface McpkitTool {
  execute(args: Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown>
}
interface McpkitClient {
  listToolsets(): Promise<Record<string, Record<string, McpkitTool>>>
  listTools(): Promise<Record<string, McpkitTool>>
  disconnect(): Promise<void>
}
type McpkitClientConstructor = new (options: {
  id?: string
  servers: Record<string, Record<string, unknown>>
  timeout?: number
}) => McpkitClient

let MCPClient: McpkitClientConstructor | undefined

async function loadMcpkit(): Promise<void> {
  const module = (await import('@mcpkit/mcp-client-core')) as { MCPClient?: unknown }
  if (typeof module.MCPClient !== 'function') {
    throw new Error('@mcpkit/mcp-client-core does not export MCPClient')
  }
  MCPClient = module.MCPClient as McpkitClientConstructor
}

function requireMcpkit(): McpkitClientConstructor {
  if (!MCPClient) throw new Error('mcpkit not loaded')
  return MCPClient
}

// ---- state --------------------------------------------------------------------------------------

const clientInfo = { name: 'mcpkit-bench-raw', version: '1.0.0' }
const message = 'hello'
let serverUrl: URL | undefined
let stdioCommand: { command: string; args: string[] } | undefined
let unique = 0
const uniqueId = (prefix: string) => `${prefix}-${process.pid}-${++unique}`

/** The long-lived client of the warm and throughput phases. */
let warm:
  | {
      list(): Promise<unknown>
      listFlat?(): Promise<unknown>
      call(): Promise<void>
      close(): Promise<void>
    }
  | undefined

function url(): URL {
  if (!serverUrl) throw new Error('runner not set up')
  return serverUrl
}

function checkEcho(result: unknown): void {
  const text = (result as { content?: { text?: string }[] } | undefined)?.content?.[0]?.text
  if (text !== message) {
    throw new Error(`echo returned ${JSON.stringify(result)?.slice(0, 200)} instead of its input`)
  }
}

// ---- operations -----------------------------------------------------------------------------

/** Connects, lists and closes; returns when the list arrived (the close is timed by the caller). */
async function coldHttp(terminate: boolean): Promise<number> {
  const t0 = nowMs()
  if (kind === 'raw') {
    const client = new Client(clientInfo)
    const transport = new StreamableHTTPClientTransport(url())
    await client.connect(transport)
    await client.listTools()
    const listed = nowMs() - t0
    if (terminate) await transport.terminateSession()
    await client.close()
    return listed
  }
  const client = new (requireMcpkit())({
    id: uniqueId('cold-http'),
    servers: { bench: { url: url() } },
  })
  try {
    const toolsets = await client.listToolsets()
    if (!toolsets.bench?.echo) throw new Error('listToolsets() has no bench.echo')
    return nowMs() - t0
  } finally {
    await client.disconnect()
  }
}

async function coldStdio(): Promise<number> {
  if (!stdioCommand) throw new Error('runner not set up')
  const t0 = nowMs()
  if (kind === 'raw') {
    const client = new Client(clientInfo)
    await client.connect(new StdioClientTransport({ ...stdioCommand, stderr: 'ignore' }))
    await client.listTools()
    const listed = nowMs() - t0
    await client.close()
    return listed
  }
  const client = new (requireMcpkit())({
    id: uniqueId('cold-stdio'),
    servers: { everything: { ...stdioCommand, stderr: 'ignore' } },
  })
  try {
    const toolsets = await client.listToolsets()
    if (!toolsets.everything?.echo) throw new Error('listToolsets() has no everything.echo')
    return nowMs() - t0
  } finally {
    await client.disconnect()
  }
}

async function openWarm(): Promise<void> {
  if (warm) return
  if (kind === 'raw') {
    const client = new Client(clientInfo)
    await client.connect(new StreamableHTTPClientTransport(url()))
    warm = {
      list: () => client.listTools(),
      call: async () => checkEcho(await client.callTool({ name: 'echo', arguments: { message } })),
      close: () => client.close(),
    }
    return
  }
  const client = new (requireMcpkit())({ id: uniqueId('warm'), servers: { bench: { url: url() } } })
  const echo = (await client.listToolsets()).bench?.echo
  if (!echo) throw new Error('listToolsets() has no bench.echo')
  warm = {
    list: () => client.listToolsets(),
    listFlat: () => client.listTools(),
    call: async () => checkEcho(await echo.execute({ message })),
    close: () => client.disconnect(),
  }
}

async function sampleMicros(operation: () => Promise<unknown>, count: number, budgetMs: number) {
  const samples: number[] = []
  const deadline = nowMs() + budgetMs
  for (let index = 0; index < count && nowMs() < deadline; index++) {
    const t0 = process.hrtime.bigint()
    await operation()
    samples.push(Number(process.hrtime.bigint() - t0) / 1000)
  }
  return samples
}

async function runCalls(total: number, concurrency: number, budgetMs: number) {
  const call = warm?.call
  if (!call) throw new Error('warm client not open')
  let issued = 0
  const deadline = nowMs() + budgetMs
  const worker = async () => {
    while (issued < total && nowMs() < deadline) {
      issued++
      await call()
    }
  }
  const cpu0 = process.cpuUsage()
  const t0 = nowMs()
  await Promise.all(Array.from({ length: concurrency }, worker))
  const elapsedMs = nowMs() - t0
  const cpu = process.cpuUsage(cpu0)
  return { calls: issued, elapsedMs, cpuMicros: cpu.user + cpu.system }
}

async function idleMemory(count: number) {
  const settle = async () => {
    gc(2)
    await new Promise((resolve) => setTimeout(resolve, 100))
    gc(2)
  }
  await settle()
  const before = process.memoryUsage()
  const closers: (() => Promise<void>)[] = []
  try {
    for (let index = 0; index < count; index++) {
      if (kind === 'raw') {
        const client = new Client(clientInfo)
        await client.connect(new StreamableHTTPClientTransport(url()))
        await client.listTools()
        closers.push(() => client.close())
      } else {
        const client = new (requireMcpkit())({
          id: uniqueId('idle'),
          servers: { bench: { url: url() } },
        })
        await client.listToolsets()
        closers.push(() => client.disconnect())
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
    await settle()
    const after = process.memoryUsage()
    return {
      heapPerClient: (after.heapUsed - before.heapUsed) / count,
      externalPerClient:
        (after.external + after.arrayBuffers - before.external - before.arrayBuffers) / count,
      rssPerClient: (after.rss - before.rss) / count,
    }
  } finally {
    for (const close of closers) await close().catch(() => {})
  }
}

async function handle(request: RunnerRequest): Promise<unknown> {
  switch (request.op) {
    case 'setup': {
      serverUrl = new URL(request.url)
      stdioCommand = request.stdio
      if (kind === 'mcpkit') await loadMcpkit()
      return { pid: process.pid }
    }
    case 'cold-http':
    case 'cold-stdio': {
      gc()
      const t0 = nowMs()
      const listed =
        request.op === 'cold-http' ? await coldHttp(request.terminate === true) : await coldStdio()
      return { ms: listed, totalMs: nowMs() - t0 }
    }
    case 'warm-open':
      await openWarm()
      return {}
    case 'warm-list': {
      if (!warm) throw new Error('warm client not open')
      const operation = request.flat ? warm.listFlat : warm.list
      if (!operation) return { samples: [] }
      gc()
      await sampleMicros(operation, request.warmup, request.budgetMs)
      return { samples: await sampleMicros(operation, request.count, request.budgetMs) }
    }
    case 'calls': {
      gc()
      // Let FinalizationRegistry callbacks (undici's abort-listener cleanup) run after the GC.
      await new Promise((resolve) => setTimeout(resolve, 20))
      return runCalls(request.total, request.concurrency, request.budgetMs)
    }
    case 'warm-close': {
      const client = warm
      warm = undefined
      await client?.close()
      return {}
    }
    case 'idle-memory':
      return idleMemory(request.count)
    case 'handles':
      return { resources: process.getActiveResourcesInfo() }
    case 'exit':
      // Answered by serveParent, which exits; never reaches here.
      return {}
  }
}

// The orchestrator going away, or asking (`exit`), ends this runner.
serveParent(handle, async () => ({ started: true }))
