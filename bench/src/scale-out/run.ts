/**
 * Scale-out bench: the same fixed load against one instance and against two instances of an
 * `MCPServer` sharing Redis, each behind the demo's round-robin proxy.
 *
 * TENANTS tenants, each with its own bearer token, reach the service through an
 * `MCPClientPool` (one pooled `MCPClient` per tenant, 2026-07-28 era), REQUESTS `tools/call`s
 * each, CONCURRENCY at a time, tenants interleaved. Every answer names the tenant the server
 * saw; one naming another tenant is counted as a cross-tenant response (must be 0). After each
 * run the pool is closed and memory measured again, in this process and in each instance
 * (after a forced GC), against the figures before the run.
 *
 * Knobs: BENCH_SCALE_TENANTS (1000), BENCH_SCALE_REQUESTS (5), BENCH_SCALE_CONCURRENCY (50),
 * BENCH_QUICK=1 (200 tenants × 3). Needs `redis-server` (started here on a free 127.0.0.1 port,
 * stopped by pid). A watchdog ends the run after 9 minutes (children stopped first).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { type RoundRobinProxy, startRoundRobinProxy } from '@mcpkit/demo'
import { MCPClient, MCPClientPool } from '@mcpkit/mcp-client-core'
import { intEnv } from '../run-info.js'
import { formatBytes, formatMs, formatRate, gc, quantile, renderTable } from '../stats.js'
import { tenantToken } from './tenant-token.js'

const quick = process.env.BENCH_QUICK === '1'
const config = {
  tenants: intEnv('BENCH_SCALE_TENANTS', quick ? 200 : 1000),
  requests: intEnv('BENCH_SCALE_REQUESTS', quick ? 3 : 5),
  concurrency: intEnv('BENCH_SCALE_CONCURRENCY', 50),
}
const WATCHDOG_MS = 9 * 60_000
const SECRET = randomBytes(16).toString('hex')
const STATE_KEY = randomBytes(32).toString('hex')
const benchDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Children to stop by pid, also when the watchdog ends the run. */
const childPids = new Set<number>()
const watchdog = setTimeout(() => {
  console.error(`scale-out bench: still running after ${WATCHDOG_MS / 1000} s; giving up`)
  for (const pid of childPids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // Gone already.
    }
  }
  process.exit(2)
}, WATCHDOG_MS)
watchdog.unref()

async function freePort(): Promise<number> {
  const probe = net.createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}

interface Child {
  readonly child: ChildProcess
  readonly exited: Promise<void>
  stop(): Promise<void>
}

function track(child: ChildProcess): Child {
  if (child.pid !== undefined) childPids.add(child.pid)
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      if (child.pid !== undefined) childPids.delete(child.pid)
      resolve()
    }),
  )
  return {
    child,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        process.kill(child.pid, 'SIGTERM')
        const killer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), 5000)
        await exited
        clearTimeout(killer)
      }
    },
  }
}

/** Resolves with the first stdout line matching `pattern` (bounded). */
function lineOf(child: ChildProcess, pattern: RegExp, label: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start`)), 30_000)
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      const match = pattern.exec(line)
      if (match) {
        clearTimeout(timer)
        lines.removeAllListeners('line')
        lines.on('line', () => {}) // keep draining
        resolve(match)
      }
    })
    child.once('exit', () => reject(new Error(`${label} exited`)))
  })
}

async function startRedis(): Promise<Child & { url: string }> {
  const port = await freePort()
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const tracked = track(child)
  await lineOf(child, /Ready to accept connections/, 'redis-server')
  return { ...tracked, url: `redis://127.0.0.1:${port}` }
}

async function startInstance(name: string, redisUrl: string, keyPrefix: string) {
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', join('src', 'scale-out', 'instance.ts')],
    {
      cwd: benchDirectory,
      env: {
        ...process.env,
        REDIS_URL: redisUrl,
        KEY_PREFIX: keyPrefix,
        INSTANCE: name,
        TENANT_SECRET: SECRET,
        REQUEST_STATE_KEY: STATE_KEY,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  const tracked = track(child)
  const match = await lineOf(child, /SCALE_LISTENING (\d+)/, `instance ${name}`)
  return { ...tracked, origin: `http://127.0.0.1:${match[1]}` }
}

async function instanceHeap(origin: string): Promise<number> {
  const answer = await fetch(new URL('/debug/memory', origin))
  return ((await answer.json()) as { heapUsed: number }).heapUsed
}

/** Pooled clients not yet collected: what a closed pool still keeps reachable. */
let liveClients = 0
const collected = new FinalizationRegistry<void>(() => {
  liveClients--
})

interface RunResult {
  label: string
  latencies: number[]
  seconds: number
  errors: number
  crossTenant: number
  perInstance: Record<string, number>
  clientHeap: { before: number; after: number }
  /** Clients of this run still reachable after the pool closed and GC ran. */
  clientsLeft: number
  instanceHeaps: { before: number; after: number }[]
}

let proxyInstance: RoundRobinProxy | undefined
async function sharedProxy(origins: string[]): Promise<RoundRobinProxy> {
  if (proxyInstance) proxyInstance.setUpstreams(origins)
  else proxyInstance = await startRoundRobinProxy({ upstreams: origins })
  return proxyInstance
}

/** Waits (bounded) until this process holds no more handles than `count`: closed sockets gone. */
async function settleHandles(count: number): Promise<void> {
  const deadline = Date.now() + 10_000
  while (process.getActiveResourcesInfo().length > count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

async function runAgainst(
  label: string,
  origins: string[],
  load: { tenants: number; requests: number } = config,
): Promise<RunResult> {
  // One proxy for every run, its upstreams replaced: one service address, as the clients of a
  // real deployment see it (fetch keeps its connection pool per origin).
  const proxy = await sharedProxy(origins)
  const url = new URL('/mcp', proxy.url)
  const handlesBefore = process.getActiveResourcesInfo().length
  gc(3)
  const clientBefore = process.memoryUsage().heapUsed
  const instancesBefore = await Promise.all(origins.map(instanceHeap))
  const pool = new MCPClientPool({ max: load.tenants, idleTtl: 600_000 })
  const jobs: number[] = []
  for (let round = 0; round < load.requests; round++) {
    for (let tenant = 0; tenant < load.tenants; tenant++) jobs.push(tenant)
  }
  const latencies: number[] = []
  const perInstance: Record<string, number> = {}
  let errors = 0
  let crossTenant = 0
  const errorMessages = new Map<string, number>()
  let next = 0
  const started = performance.now()
  const worker = async () => {
    while (next < jobs.length) {
      const tenant = `tenant-${jobs[next++]}`
      const token = tenantToken(tenant, SECRET)
      const begin = performance.now()
      try {
        const text = await pool.withClient(
          { user: tenant, credentials: token },
          ({ id }) => {
            liveClients++
            const created = new MCPClient({
              id: `scale-${label}-${id}`,
              servers: {
                svc: {
                  url,
                  protocolVersion: '2026-07-28',
                  requestInit: { headers: { authorization: `Bearer ${token}` } },
                  timeout: 20_000,
                },
              },
            })
            collected.register(created)
            return created
          },
          async (client) => {
            const tool = (await client.listToolsets()).svc?.whoami
            const result = (await tool?.execute({})) as { content?: { text?: string }[] }
            return result?.content?.[0]?.text ?? ''
          },
        )
        latencies.push(performance.now() - begin)
        const [seenTenant, instance = '?'] = text.split('@')
        if (seenTenant !== tenant) crossTenant++
        perInstance[instance] = (perInstance[instance] ?? 0) + 1
      } catch (error) {
        errors++
        const message = `${(error as { code?: string }).code ?? ''} ${(error as Error).message}`
        errorMessages.set(message, (errorMessages.get(message) ?? 0) + 1)
      }
    }
  }
  await Promise.all(Array.from({ length: config.concurrency }, worker))
  const seconds = (performance.now() - started) / 1000
  for (const [message, count] of errorMessages) console.error(`${label}: ${count} × ${message}`)
  await pool.close()
  // Memory is compared once the closed clients' sockets are gone, as a long-lived service sees.
  await settleHandles(handlesBefore)
  gc(3)
  // Finalizers run after the collection, on a later turn.
  await new Promise((resolve) => setTimeout(resolve, 100))
  gc(3)
  const clientAfter = process.memoryUsage().heapUsed
  if (process.env.BENCH_SCALE_SNAPSHOT) {
    const { writeHeapSnapshot } = await import('node:v8')
    console.error(
      `heap snapshot: ${writeHeapSnapshot(`${process.env.BENCH_SCALE_SNAPSHOT}-${label.replace(/\W+/g, '-')}.heapsnapshot`)}`,
    )
  }
  const instancesAfter = await Promise.all(origins.map(instanceHeap))
  return {
    label,
    latencies,
    seconds,
    errors,
    crossTenant,
    perInstance,
    clientHeap: { before: clientBefore, after: clientAfter },
    clientsLeft: liveClients,
    instanceHeaps: instancesBefore.map((before, index) => ({
      before,
      after: instancesAfter[index] ?? 0,
    })),
  }
}

async function main() {
  const stops: (() => Promise<void>)[] = []
  try {
    stops.push(async () => proxyInstance?.close())
    const redis = await startRedis()
    stops.push(() => redis.stop())
    const prefix = `bench-${randomBytes(4).toString('hex')}:`
    const [a, b] = await Promise.all([
      startInstance('A', redis.url, prefix),
      startInstance('B', redis.url, prefix),
    ])
    stops.push(
      () => a.stop(),
      () => b.stop(),
    )
    console.log(
      `scale-out bench: ${config.tenants} tenants × ${config.requests} calls, concurrency ${config.concurrency}, 2026-07-28 era, through the round-robin proxy`,
    )
    // Warm both instances' code paths once (not measured).
    await runAgainst('warm-up', [a.origin, b.origin], { tenants: 50, requests: 2 }).catch(
      () => undefined,
    )
    const single = await runAgainst('1 instance', [a.origin])
    const double = await runAgainst('2 instances', [a.origin, b.origin])
    const rows = [
      [
        'setup',
        'calls',
        'p50',
        'p99',
        'req/s',
        'errors',
        'cross-tenant',
        'per instance',
        'client heap before → after',
        'clients left',
        'instance heap before → after',
      ],
      ...[single, double].map((run) => [
        run.label,
        String(run.latencies.length),
        formatMs(quantile(run.latencies, 0.5)),
        formatMs(quantile(run.latencies, 0.99)),
        formatRate(run.latencies.length / run.seconds),
        String(run.errors),
        String(run.crossTenant),
        Object.entries(run.perInstance)
          .map(([name, count]) => `${name}:${count}`)
          .join(' '),
        `${formatBytes(run.clientHeap.before)} → ${formatBytes(run.clientHeap.after)}`,
        String(run.clientsLeft),
        run.instanceHeaps
          .map((heap) => `${formatBytes(heap.before)} → ${formatBytes(heap.after)}`)
          .join(', '),
      ]),
    ]
    console.log(renderTable(rows))
    console.log(
      `load average at the end: ${loadavg()
        .map((value) => value.toFixed(2))
        .join(' ')} (${cpus().length} CPUs)`,
    )
    const failed = [single, double].some((run) => run.crossTenant > 0 || run.errors > 0)
    console.log(
      failed
        ? 'FAIL: errors or cross-tenant responses'
        : 'PASS: zero cross-tenant responses, zero errors',
    )
    if (failed && process.env.BENCH_STRICT === '1') process.exitCode = 1
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {})
  }
}

await main()
clearTimeout(watchdog)
