/**
 * Heap per idle client, with snapshots to see where the bytes go: N clients of one kind
 * (`mcpkit`, `raw-v2`, `raw-v1`, `mastra-v2`, `mastra-v1`: `@mastra/mcp` 2.x and 1.x), each connected to the bench HTTP server and listed once, held
 * open. Prints heapUsed / RSS growth per client after full GCs and, with `--snapshot <dir>`,
 * writes a heap snapshot before and after, to read with `bench/heap-by-constructor.mjs`:
 *
 *   node --expose-gc --import tsx src/heap-clients.ts --kind mcpkit --count 200 --snapshot results/heap
 *   node heap-by-constructor.mjs results/heap/mcpkit-before.heapsnapshot \
 *     results/heap/mcpkit-after.heapsnapshot --per 200
 *
 * `--calls N` makes each client call `echo` N times before it idles (what a used client keeps).
 * `--no-stream` gives mcpkit's clients `notificationStream: false`; `--listen` gives each raw v2
 * client a `subscriptions/listen` stream (modern era), to compare with mcpkit's standing one.
 * `--keep-list` has each raw SDK client keep the `listTools()` result it got, as a service that
 * lists once per user must (mcpkit and Mastra keep theirs anyway).
 * `--pooled` makes mcpkit's clients through one `MCPClientPool` (`streamIdleTtl: 0`) and measures
 * them idle in it, their standing streams parked.
 * `--warmup N` opens and closes N clients before the baseline (default 1). Code the JIT compiles
 * during the run is charged to the clients measured: 7–10 KiB each at ×200 after one warm-up
 * client, ~0 after a warm-up as large as the run. Use it to see what a client itself keeps.
 * `--era modern` lists against the server's `/modern` endpoint (2026-07-28). One kind per
 * process, so each pays only for its own modules. Server and clients on 127.0.0.1.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { writeHeapSnapshot } from 'node:v8'
import { startHttpServer } from './server-process.js'
import { gc } from './stats.js'

const { values } = parseArgs({
  options: {
    kind: { type: 'string', default: 'mcpkit' },
    count: { type: 'string', default: '200' },
    era: { type: 'string', default: 'legacy' },
    snapshot: { type: 'string' },
    'no-stream': { type: 'boolean', default: false },
    listen: { type: 'boolean', default: false },
    'keep-list': { type: 'boolean', default: false },
    calls: { type: 'string', default: '0' },
    pooled: { type: 'boolean', default: false },
    warmup: { type: 'string' },
  },
})
const kind = values.kind as 'mcpkit' | 'raw-v2' | 'raw-v1' | 'mastra-v2' | 'mastra-v1'
const count = Number(values.count)
const modern = values.era === 'modern'
/** Tool calls each client makes before it idles (`echo`), to see what a used client keeps. */
const calls = Number(values.calls)

type Open = (url: URL) => Promise<() => Promise<void>>

async function opener(): Promise<Open> {
  const clientInfo = { name: 'heap-bench', version: '1.0.0' }
  if (kind === 'raw-v2') {
    const { Client, StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client')
    return async (url) => {
      const client = new Client(clientInfo, { versionNegotiation: { mode: 'auto' } })
      await client.connect(new StreamableHTTPClientTransport(url))
      const listed = await client.listTools()
      // `--listen`: hold a `subscriptions/listen` stream, as mcpkit's clients do by default.
      const stream = values.listen ? await client.listen({ toolsListChanged: true }) : undefined
      for (let call = 0; call < calls; call++) {
        await client.callTool({ name: 'echo', arguments: { message: 'hi' } })
      }
      const kept = values['keep-list'] ? listed : undefined
      return async () => {
        void kept
        await stream?.close()
        await client.close()
      }
    }
  }
  if (kind === 'raw-v1') {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js')
    const { StreamableHTTPClientTransport } = await import(
      '@modelcontextprotocol/sdk/client/streamableHttp.js'
    )
    return async (url) => {
      const client = new Client(clientInfo)
      await client.connect(new StreamableHTTPClientTransport(url))
      const listed = await client.listTools()
      const kept = values['keep-list'] ? listed : undefined
      return () => {
        void kept
        return client.close()
      }
    }
  }
  if (kind === 'mastra-v2' || kind === 'mastra-v1') {
    // Mastra 2.x negotiates the era by default; 1.x needs `protocolVersion: 'auto'` to.
    // Typed loosely: the two majors' option types differ (`auto` is 1.x's value only).
    const MastraClient = (kind === 'mastra-v2'
      ? await import('@mastra/mcp')
      : await import('@mastra/mcp-1')
    ).MCPClient as unknown as new (options: {
      id: string
      servers: Record<string, Record<string, unknown>>
    }) => {
      listToolsets(): Promise<
        Record<string, Record<string, { execute?: (input: unknown) => Promise<unknown> }>>
      >
      disconnect(): Promise<void>
    }
    let nextMastra = 0
    return async (url) => {
      const client = new MastraClient({
        id: `heap-${nextMastra++}`,
        servers: { bench: { url, ...(kind === 'mastra-v1' ? { protocolVersion: 'auto' } : {}) } },
      })
      const toolsets = await client.listToolsets()
      for (let call = 0; call < calls; call++) {
        await toolsets.bench?.echo?.execute?.({ message: 'hi' })
      }
      return () => client.disconnect()
    }
  }
  const { MCPClient, MCPClientPool } = await import('@mcpkit/mcp-client-core')
  let next = 0
  if (values.pooled) {
    const pool = new MCPClientPool({ max: count + 1, streamIdleTtl: 0 })
    return async (url) => {
      const user = `heap-${next++}`
      await pool.withClient(
        user,
        ({ id, cache }) => new MCPClient({ id, cache, servers: { bench: { url } } }),
        async (client) => {
          const toolsets = await client.listToolsets()
          for (let call = 0; call < calls; call++) {
            await toolsets.bench?.echo?.execute({ message: 'hi' })
          }
        },
      )
      return () => pool.delete(user)
    }
  }
  return async (url) => {
    const client = new MCPClient({
      id: `heap-${next++}`,
      servers: { bench: { url, ...(values['no-stream'] ? { notificationStream: false } : {}) } },
    })
    const toolsets = await client.listToolsets()
    for (let call = 0; call < calls; call++) await toolsets.bench?.echo?.execute({ message: 'hi' })
    return () => client.disconnect()
  }
}

async function settle(): Promise<void> {
  gc(2)
  await new Promise((resolve) => setTimeout(resolve, 100))
  gc(2)
}

const server = await startHttpServer()
const url = modern ? new URL('/modern', server.url) : server.url
const closers: (() => Promise<void>)[] = []
try {
  const open = await opener()
  // Clients first, closed: modules loaded and JIT warm before the baseline (and, pooled,
  // once parked: what parking loads the first time is not charged to the clients measured).
  const warmup = Number(values.warmup ?? 1)
  const warm: (() => Promise<void>)[] = []
  for (let index = 0; index < warmup; index++) warm.push(await open(url))
  if (values.pooled) await new Promise((resolve) => setTimeout(resolve, 1500))
  for (const close of warm) await close()
  await settle()
  if (values.snapshot) mkdirSync(values.snapshot, { recursive: true })
  const snapshotTo = (name: string) =>
    values.snapshot ? writeHeapSnapshot(join(values.snapshot, `${kind}-${name}.heapsnapshot`)) : ''
  snapshotTo('before')
  await settle()
  const before = process.memoryUsage()
  for (let index = 0; index < count; index++) closers.push(await open(url))
  // A parked legacy stream's next GET is held once the SDK tries to reconnect (after 1 s).
  await new Promise((resolve) => setTimeout(resolve, values.pooled ? 1500 : 200))
  await settle()
  const after = process.memoryUsage()
  const written = snapshotTo('after')
  const kib = (bytes: number) => `${(bytes / 1024 / count).toFixed(1)} KiB`
  console.log(
    `${kind} ${modern ? 'modern' : 'legacy'} ×${count}: heap ${kib(after.heapUsed - before.heapUsed)}/client, external ${kib(after.external - before.external)}/client, RSS ${kib(after.rss - before.rss)}/client${written ? `; snapshots in ${values.snapshot}` : ''}`,
  )
} finally {
  for (const close of closers) await close().catch(() => {})
  await server.stop()
}
