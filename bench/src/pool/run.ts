/**
 * Per-request toolsets for many users: MCPClientPool vs a fresh client per request.
 *
 * The load is the demo's: USERS users × REQUESTS requests each, CONCURRENCY at a time, users
 * interleaved, against one Streamable HTTP server process (the SDK v2 one, `http-server.ts`).
 * Two workloads, each run by four contenders:
 *   - "toolsets" (the per-request pattern itself): get the user's client, `listToolsets()`,
 *     give it back. Pooled: `MCPClientPool.withClient`. Fresh MCPClient: `new MCPClient`,
 *     `listToolsets()`, `disconnect()`. Fresh raw SDK v2 (`@modelcontextprotocol/client`, the
 *     SDK mcpkit wraps) and fresh raw SDK v1 (`@modelcontextprotocol/sdk`, for continuity):
 *     `Client` + transport, `listTools()`, `terminateSession()` + `close()`, the same work
 *     with the SDK alone.
 *   - "toolsets + 1 call": the same, plus one `tools/call`, so every request reaches the
 *     server, pooled ones included.
 * Then memory: POOL_MEMORY_CLIENTS warm, idle pooled clients, heap and RSS per client.
 *
 * Targets (on "toolsets"): pooled p50 at least 10× lower than fresh MCPClient; < 100 KB of heap
 * per idle pooled HTTP client. Knobs: BENCH_QUICK=1, BENCH_POOL_USERS, BENCH_POOL_REQUESTS,
 * BENCH_POOL_CONCURRENCY, BENCH_POOL_MEMORY_CLIENTS, BENCH_STRICT=1, BENCH_JSON_OUT=path.
 */
import { loadavg } from 'node:os'
import { MCPClient, MCPClientPool } from '@mcpkit/mcp-client-core'
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as StreamableHTTPClientTransportV2,
} from '@modelcontextprotocol/client'
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport as StreamableHTTPClientTransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { finishRun, gitDescription, intEnv, packageVersion, rotate } from '../run-info.js'
import { type HttpServerProcess, startHttpServer } from '../server-process.js'
import { formatBytes, formatMs, formatRate, gc, quantile, renderTable } from '../stats.js'

const quick = process.env.BENCH_QUICK === '1'
const config = {
  users: intEnv('BENCH_POOL_USERS', quick ? 40 : 200),
  requests: intEnv('BENCH_POOL_REQUESTS', quick ? 5 : 20),
  /**
   * The fresh contenders take turns in this many rounds (order rotated each round), each
   * round a share of every user's requests, so a change of machine load hits them alike.
   */
  rounds: intEnv('BENCH_POOL_ROUNDS', quick ? 1 : 4),
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
  requestsPerUser = config.requests,
): Promise<LoadResult> {
  const jobs: string[] = []
  for (let round = 0; round < requestsPerUser; round++) {
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
    `  load         ${config.users} users × ${config.requests} requests, ${config.concurrency} concurrent, per workload and contender; the fresh contenders in ${config.rounds} rotating round(s) of ${Math.max(1, Math.round(config.requests / config.rounds))} requests per user`,
  )
  console.log(`  date         ${new Date().toISOString()}`)
  console.log(`  node         ${process.version}`)
  console.log(
    `  raw SDKs     v2 @modelcontextprotocol/client ${packageVersion('@modelcontextprotocol/client')} (the baseline), v1 @modelcontextprotocol/sdk ${packageVersion('@modelcontextprotocol/sdk')}`,
  )
  console.log(
    '  server       bench/src/http-server.ts (SDK v2 McpServer + NodeStreamableHTTPServerTransport, stateful), its own process',
  )
  console.log(`  load avg     ${loadAtStart.toFixed(2)} (1 min) at start`)
  console.log('')

  const server = await startHttpServer()
  try {
    const workloads = []
    for (const withCall of [false, true]) {
      workloads.push({
        name: withCall ? 'toolsets + 1 call' : 'toolsets',
        results: await runContenders(server, withCall),
      })
    }
    const memory = await measureIdleClients(server)
    const serverStats = await server.stats()

    const p50 = (result: LoadResult) => quantile(result.latencies, 0.5)
    const p99 = (result: LoadResult) => quantile(result.latencies, 0.99)
    const rate = (result: LoadResult) => result.latencies.length / result.seconds
    const table: string[][] = [
      [
        'workload',
        'contender',
        'p50',
        'p99',
        'throughput',
        'errors',
        'p50 vs fresh raw v2',
        'p50 vs fresh raw v1',
      ],
    ]
    for (const { name, results } of workloads) {
      const rawV2 = results[2] as LoadResult
      const rawV1 = results[3] as LoadResult
      for (const result of results) {
        table.push([
          name,
          result.name,
          formatMs(p50(result)),
          formatMs(p99(result)),
          formatRate(rate(result)),
          String(result.errors),
          `${(p50(result) / p50(rawV2)).toFixed(3)}×`,
          `${(p50(result) / p50(rawV1)).toFixed(3)}×`,
        ])
      }
    }
    console.log(renderTable(table))
    console.log('')
    const [toolsets, withCall] = workloads.map(({ results }) => results) as [
      LoadResult[],
      LoadResult[],
    ]
    const speedup = p50(toolsets[1] as LoadResult) / p50(toolsets[0] as LoadResult)
    const callSpeedup = p50(withCall[1] as LoadResult) / p50(withCall[0] as LoadResult)
    const errors = workloads
      .flatMap(({ results }) => results)
      .reduce((sum, result) => sum + result.errors, 0)
    const rows = [
      {
        measure: 'toolsets: pooled p50 vs fresh MCPClient p50',
        value: `${speedup.toFixed(0)}× lower`,
        target: '≥ 10× lower',
        result: speedup >= 10 ? 'PASS' : 'FAIL',
      },
      {
        measure: 'toolsets + 1 call: pooled p50 vs fresh MCPClient p50',
        value: `${callSpeedup.toFixed(1)}× lower`,
        target: '(reported)',
        result: 'info',
      },
      ...[toolsets, withCall].map((results, index) => ({
        measure: `${index === 0 ? 'toolsets' : 'toolsets + 1 call'}: fresh MCPClient p50 vs fresh raw v2 p50 (v1)`,
        value: `${(p50(results[1] as LoadResult) / p50(results[2] as LoadResult)).toFixed(2)}× (${(p50(results[1] as LoadResult) / p50(results[3] as LoadResult)).toFixed(2)}×)`,
        target: '(reported)',
        result: 'info',
      })),
      {
        measure: `heap per idle pooled HTTP client (${memory.clients} clients)`,
        value: formatBytes(memory.heapPerClient),
        target: '< 100 KB',
        result: memory.heapPerClient < 100 * 1024 ? 'PASS' : 'FAIL',
      },
      {
        measure: 'RSS per idle pooled HTTP client',
        value: formatBytes(memory.rssPerClient),
        target: '(reported)',
        result: 'info',
      },
      {
        measure: 'errors in all loads',
        value: String(errors),
        target: '0',
        result: errors === 0 ? 'PASS' : 'FAIL',
      },
    ]
    console.log(
      renderTable([
        ['measure', 'value', 'target', 'result'],
        ...rows.map((row) => [row.measure, row.value, row.target, row.result]),
      ]),
    )
    console.log('')
    const list = (values: number[]) => values.map((value) => value.toFixed(2)).join(' ')
    for (const ratios of roundRatios) {
      console.log(
        `${ratios.workload}: per-round p50 ratios: fresh MCPClient / fresh raw v2 ${list(ratios.freshVsV2)} (median ${quantile(ratios.freshVsV2, 0.5).toFixed(2)}×); / fresh raw v1 ${list(ratios.freshVsV1)}; raw v1 / raw v2 ${list(ratios.v1VsV2)}`,
      )
    }
    console.log(
      `server saw ${serverStats.sessionsOpened} sessions opened, ${serverStats.sessionsClosed} closed, ${serverStats.openSessions} still open`,
    )
    const report = {
      config,
      workloads: workloads.map(({ name, results }) => ({
        name,
        contenders: results.map((result) => ({
          name: result.name,
          p50Ms: p50(result),
          p99Ms: p99(result),
          perSecond: rate(result),
          errors: result.errors,
        })),
      })),
      roundRatios,
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

/** Pooled, fresh MCPClient, fresh raw SDK v2 and fresh raw SDK v1 on one workload, in that order. */
async function runContenders(server: HttpServerProcess, withCall: boolean): Promise<LoadResult[]> {
  const work = async (client: MCPClient, user: string) => {
    const { bench } = await client.listToolsets()
    if (withCall) await bench?.echo?.execute({ message: user })
  }
  const pool = new MCPClientPool({ max: config.users })
  const pooled = await runLoad('pooled MCPClient (MCPClientPool)', (user) =>
    pool.withClient(
      { user, credentials: `token-of-${user}` },
      ({ id }) => mcpkitClient(server, user, id),
      (client) => work(client, user),
    ),
  )
  await pool.close()

  let fresh = 0
  const freshClient = async (user: string) => {
    // Per-request clients carry an id, as the instance guard asks of per-request code.
    const client = mcpkitClient(server, user, `${user}-${++fresh}`)
    try {
      await work(client, user)
    } finally {
      await client.disconnect()
    }
  }

  const rawV2 = async (user: string) => {
    const transport = new StreamableHTTPClientTransportV2(server.url, {
      requestInit: { headers: { Authorization: `Bearer token-of-${user}` } },
    })
    const client = new ClientV2({ name: 'bench-raw', version: '1.0.0' })
    await client.connect(transport)
    try {
      await client.listTools()
      if (withCall) await client.callTool({ name: 'echo', arguments: { message: user } })
      await transport.terminateSession()
    } finally {
      await client.close()
    }
  }

  const rawV1 = async (user: string) => {
    const transport = new StreamableHTTPClientTransportV1(server.url, {
      requestInit: { headers: { Authorization: `Bearer token-of-${user}` } },
    })
    const client = new ClientV1({ name: 'bench-raw', version: '1.0.0' })
    await client.connect(transport)
    try {
      await client.listTools()
      if (withCall) await client.callTool({ name: 'echo', arguments: { message: user } })
      await transport.terminateSession()
    } finally {
      await client.close()
    }
  }

  // The fresh contenders in rotating rounds; each one's samples merged over the rounds.
  const contenders = [
    { name: 'fresh MCPClient per request', request: freshClient },
    { name: 'fresh raw SDK v2 Client per request', request: rawV2 },
    { name: 'fresh raw SDK v1 Client per request', request: rawV1 },
  ]
  const merged = new Map<string, LoadResult>(
    contenders.map(({ name }) => [name, { name, latencies: [], seconds: 0, errors: 0 }]),
  )
  const perRound = Math.max(1, Math.round(config.requests / config.rounds))
  const roundP50s = new Map<string, number[]>(contenders.map(({ name }) => [name, []]))
  for (let round = 0; round < config.rounds; round++) {
    for (const { name, request } of rotate(contenders, round)) {
      const result = await runLoad(name, request, perRound)
      const total = merged.get(name) as LoadResult
      total.latencies.push(...result.latencies)
      total.seconds += result.seconds
      total.errors += result.errors
      roundP50s.get(name)?.push(quantile(result.latencies, 0.5))
    }
  }
  const paired = (name: string, base: string) => {
    const mine = roundP50s.get(name) ?? []
    const other = roundP50s.get(base) ?? []
    return mine.map((value, round) => value / (other[round] ?? Number.NaN))
  }
  const [freshName, v2Name, v1Name] = contenders.map(({ name }) => name) as [string, string, string]
  roundRatios.push({
    workload: withCall ? 'toolsets + 1 call' : 'toolsets',
    freshVsV2: paired(freshName, v2Name),
    freshVsV1: paired(freshName, v1Name),
    v1VsV2: paired(v1Name, v2Name),
  })
  return [pooled, ...contenders.map(({ name }) => merged.get(name) as LoadResult)]
}

/** Per-round p50 ratios of the fresh contenders, for the notes. */
const roundRatios: {
  workload: string
  freshVsV2: number[]
  freshVsV1: number[]
  v1VsV2: number[]
}[] = []

/** Heap and RSS added per warm, idle pooled client (after GC, so only what the pool holds). */
async function measureIdleClients(server: HttpServerProcess) {
  const pool = new MCPClientPool({ max: config.memoryClients })
  // Warm up code paths and caches with a few clients first, so they are not charged per client.
  for (let index = 0; index < 5; index++) {
    await pool.withClient(
      `warmup-${index}`,
      ({ id }) => mcpkitClient(server, 'warmup', id),
      () => {},
    )
  }
  await pool.close()
  const warmPool = new MCPClientPool({ max: config.memoryClients })
  gc(3)
  const before = process.memoryUsage()
  for (let index = 0; index < config.memoryClients; index += 25) {
    await Promise.all(
      Array.from({ length: Math.min(25, config.memoryClients - index) }, (_, offset) => {
        const user = `idle-${index + offset}`
        return warmPool.withClient(
          user,
          ({ id }) => mcpkitClient(server, user, id),
          () => {},
        )
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
