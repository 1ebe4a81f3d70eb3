/**
 * Per-request toolsets for many users: MCPClientPool vs a fresh client per request.
 *
 * The load is the demo's: USERS users × REQUESTS requests each, CONCURRENCY at a time, users
 * interleaved. One request = get the user's client, `listToolsets()`, call one tool, give the
 * client back. Three contenders, each against the same Streamable HTTP server process:
 *   - pooled: `MCPClientPool.withClient` (connect once per user, then warm);
 *   - fresh MCPClient: `new MCPClient`, `listToolsets()`, call, `disconnect()`;
 *   - fresh raw SDK: `Client` + `StreamableHTTPClientTransport`, `listTools`, call,
 *     `terminateSession()` + `close()` — the same work with the SDK alone, for the ratio.
 * Then memory: POOL_MEMORY_CLIENTS warm, idle pooled clients, heap and RSS per client.
 *
 * Targets: pooled p50 at least 10× lower than fresh MCPClient; < 100 KB per idle pooled HTTP
 * client. Knobs: BENCH_QUICK=1, BENCH_POOL_USERS, BENCH_POOL_REQUESTS, BENCH_POOL_CONCURRENCY,
 * BENCH_POOL_MEMORY_CLIENTS, BENCH_STRICT=1, BENCH_JSON_OUT=path.
 */
import { loadavg } from 'node:os'
import { MCPClient, MCPClientPool } from '@mcpkit/mcp-client-core'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { finishRun, gitDescription } from '../run-info.js'
import { type HttpServerProcess, startHttpServer } from '../server-process.js'
import { formatBytes, formatMs, formatRate, gc, quantile, renderTable } from '../stats.js'

const quick = process.env.BENCH_QUICK === '1'
const intEnv = (name: string, fallback: number) => {
  const value = Number(process.env[name])
  return Number.isInteger(value) && value > 0 ? value : fallback
}
const config = {
  users: intEnv('BENCH_POOL_USERS', quick ? 40 : 200),
  requests: intEnv('BENCH_POOL_REQUESTS', quick ? 5 : 20),
  concurrency: intEnv('BENCH_POOL_CONCURRENCY', 50),
  memoryClients: intEnv('BENCH_POOL_MEMORY_CLIENTS', quick ? 50 : 200),
}
/** The whole run is bounded: a stuck contender ends it rather than hanging CI or a terminal. */
const WATCHDOG_MS = 10 * 60_000

interface LoadResult {
  name: string
  latencies: number[]
  seconds: number
  errors: number
}

/** Runs `request(user)` USERS × REQUESTS times, CONCURRENCY at a time, users interleaved. */
async function runLoad(
  name: string,
  request: (user: string) => Promise<void>,
): Promise<LoadResult> {
  const jobs: string[] = []
  for (let round = 0; round < config.requests; round++) {
    for (let user = 0; user < config.users; user++) jobs.push(`user-${user}`)
  }
  const latencies: number[] = []
  let errors = 0
  let next = 0
  const started = performance.now()
  const worker = async () => {
    while (next < jobs.length) {
      const user = jobs[next++] as string
      const begin = performance.now()
      try {
        await request(user)
        latencies.push(performance.now() - begin)
      } catch {
        errors += 1
      }
    }
  }
  await Promise.all(Array.from({ length: config.concurrency }, worker))
  return { name, latencies, seconds: (performance.now() - started) / 1000, errors }
}

function mcpkitClient(server: HttpServerProcess, user: string, id?: string): MCPClient {
  return new MCPClient({
    ...(id ? { id } : {}),
    servers: {
      bench: {
        url: server.url,
        requestInit: { headers: { Authorization: `Bearer token-of-${user}` } },
      },
    },
  })
}

async function callEcho(client: MCPClient, user: string): Promise<void> {
  const { bench } = await client.listToolsets()
  await bench?.echo?.execute({ message: user })
}

async function main(): Promise<never> {
  const startedMs = performance.now()
  const loadAtStart = loadavg()[0] ?? 0
  const watchdog = setTimeout(() => {
    console.error(`pool bench: still running after ${WATCHDOG_MS / 1000} s; giving up`)
    process.exit(2)
  }, WATCHDOG_MS)
  console.log('mcpkit bench: per-request toolsets, MCPClientPool vs a fresh client per request')
  console.log(`  commit       ${gitDescription()}`)
  console.log(
    `  load         ${config.users} users × ${config.requests} requests, ${config.concurrency} concurrent; request = client, listToolsets(), one tools/call`,
  )
  console.log(`  node         ${process.version}`)
  console.log('')

  const server = await startHttpServer()
  try {
    const pool = new MCPClientPool({ max: Math.max(config.users, config.memoryClients) })
    const pooled = await runLoad('pooled MCPClient (MCPClientPool)', (user) =>
      pool.withClient(
        { user, credentials: `token-of-${user}` },
        ({ id }) => mcpkitClient(server, user, id),
        (client) => callEcho(client, user),
      ),
    )
    await pool.close()

    const fresh = await runLoad('fresh MCPClient per request', async (user) => {
      // Per-request clients carry an id, as the instance guard asks of per-request code.
      const client = mcpkitClient(server, user, `${user}-${Math.random()}`)
      try {
        await callEcho(client, user)
      } finally {
        await client.disconnect()
      }
    })

    const raw = await runLoad('fresh raw SDK Client per request', async (user) => {
      const transport = new StreamableHTTPClientTransport(server.url, {
        requestInit: { headers: { Authorization: `Bearer token-of-${user}` } },
      })
      const client = new Client({ name: 'bench-raw', version: '1.0.0' })
      await client.connect(transport)
      try {
        await client.listTools()
        await client.callTool({ name: 'echo', arguments: { message: user } })
        await transport.terminateSession()
      } finally {
        await client.close()
      }
    })

    const memory = await measureIdleClients(server)
    const serverStats = await server.stats()

    const p50 = (result: LoadResult) => quantile(result.latencies, 0.5)
    const p99 = (result: LoadResult) => quantile(result.latencies, 0.99)
    const rate = (result: LoadResult) => result.latencies.length / result.seconds
    const speedup = p50(fresh) / p50(pooled)
    console.log(
      renderTable([
        ['contender', 'p50', 'p99', 'throughput', 'errors', 'p50 vs fresh raw SDK'],
        ...[pooled, fresh, raw].map((result) => [
          result.name,
          formatMs(p50(result)),
          formatMs(p99(result)),
          formatRate(rate(result)),
          String(result.errors),
          `${(p50(result) / p50(raw)).toFixed(2)}×`,
        ]),
      ]),
    )
    console.log('')
    const speedupTarget = speedup >= 10
    const memoryTarget = memory.heapPerClient < 100 * 1024
    const rows = [
      {
        measure: 'pooled p50 vs fresh MCPClient p50',
        value: `${speedup.toFixed(1)}× lower`,
        target: '≥ 10× lower',
        result: speedupTarget ? 'PASS' : 'FAIL',
      },
      {
        measure: `heap per idle pooled HTTP client (${memory.clients} clients)`,
        value: formatBytes(memory.heapPerClient),
        target: '< 100 KB',
        result: memoryTarget ? 'PASS' : 'FAIL',
      },
      {
        measure: 'RSS per idle pooled HTTP client',
        value: formatBytes(memory.rssPerClient),
        target: '(reported)',
        result: 'info',
      },
      {
        measure: 'errors in all three loads',
        value: String(pooled.errors + fresh.errors + raw.errors),
        target: '0',
        result: pooled.errors + fresh.errors + raw.errors === 0 ? 'PASS' : 'FAIL',
      },
    ]
    console.log(
      renderTable([
        ['measure', 'value', 'target', 'result'],
        ...rows.map((row) => [row.measure, row.value, row.target, row.result]),
      ]),
    )
    console.log('')
    console.log(
      `server saw ${serverStats.sessionsOpened} sessions opened, ${serverStats.sessionsClosed} closed, ${serverStats.openSessions} still open`,
    )
    const report = {
      config,
      loads: [pooled, fresh, raw].map((result) => ({
        name: result.name,
        p50Ms: p50(result),
        p99Ms: p99(result),
        perSecond: rate(result),
        errors: result.errors,
      })),
      memory,
      rows,
    }
    await server.stop()
    finishRun({ rows, report, startedMs, loadAtStart, watchdog })
  } catch (error) {
    await server.stop()
    throw error
  }
}

/** Heap and RSS added per warm, idle pooled client (after GC, so only what the pool holds). */
async function measureIdleClients(server: HttpServerProcess) {
  const pool = new MCPClientPool({ max: config.memoryClients })
  // Warm up code paths and caches with a few clients first, so they are not charged per client.
  for (let index = 0; index < 5; index++) {
    await pool.withClient(`warmup-${index}`, ({ id }) => mcpkitClient(server, 'warmup', id), () => {})
  }
  await pool.close()
  const warmPool = new MCPClientPool({ max: config.memoryClients })
  gc(3)
  const before = process.memoryUsage()
  for (let index = 0; index < config.memoryClients; index += 25) {
    await Promise.all(
      Array.from({ length: Math.min(25, config.memoryClients - index) }, (_, offset) => {
        const user = `idle-${index + offset}`
        return warmPool.withClient(user, ({ id }) => mcpkitClient(server, user, id), () => {})
      }),
    )
  }
  gc(3)
  const after = process.memoryUsage()
  const clients = warmPool.stats().size
  await warmPool.close()
  return {
    clients,
    heapPerClient: (after.heapUsed + after.external - before.heapUsed - before.external) / clients,
    rssPerClient: (after.rss - before.rss) / clients,
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
