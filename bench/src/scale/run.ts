/**
 * The scale run: 10,000 pooled tenants against one local `MCPServer` (`server.ts`, its own
 * process), on the 2026-07-28 era, each tenant with its own credential.
 *
 *   pnpm --filter @mcpkit/bench bench:scale
 *   SCALE_TENANTS=2000 SCALE_CONCURRENCY=32 SCALE_SOCKETS=16 pnpm --filter @mcpkit/bench bench:scale
 *   SCALE_MAX=1000 pnpm --filter @mcpkit/bench bench:scale   (10,000 tenants through 1,000 clients)
 *
 * One `MCPClientPool` (max = tenants, or `SCALE_MAX`) holds a client per tenant; each client's server
 * definition carries the tenant's `Authorization` header in `requestInit` (so every request
 * goes out with that tenant's credential) and `notificationStream: false` (an idle tenant
 * holds no stream). All clients send through one undici `Agent` per origin, capped at
 * `SCALE_SOCKETS` connections: keep-alive sockets are shared, credentials are not (they are
 * headers of each request). In bounded rounds of `SCALE_CONCURRENCY` tenants at a time:
 *
 * 1. cold: every tenant `acquire` + `listToolsets()` + one `whoami` call (which answers with
 *    the tenant the server authenticated: it must be this one);
 * 2. warm: the same again on the pooled clients (the list is cached: one request each);
 * 3. idle: heap and RSS per tenant with all of them pooled (after full GCs), then again once
 *    every client was idle for `streamIdleTtl` (`SCALE_STREAM_IDLE`, default the pool's 30 s)
 *    and parked: its stateless connection let go, its tool list kept;
 * 4. `close()`: memory and file descriptors back to the baseline.
 *
 * Sockets and file descriptors are read from `/proc/self/fd` every 250 ms during the rounds;
 * the run fails (exit 1) when the sockets exceed the cap (+ the few the process had before),
 * when a call answers for another tenant, when the pool's response store holds more than its
 * clients cached (tenants it evicted must take theirs along), or when memory does not come back. Everything on
 * 127.0.0.1; every loop bounded; the server is stopped by its pid; a watchdog ends the run.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, readlinkSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { MCPClient as MCPClientType, MCPClientPool as PoolType } from '@mcpkit/mcp-client-core'
import { gc, quantile } from '../stats.js'

const TENANTS = Number(process.env.SCALE_TENANTS ?? 10_000)
const CONCURRENCY = Number(process.env.SCALE_CONCURRENCY ?? 64)
const SOCKETS = Number(process.env.SCALE_SOCKETS ?? 32)
/** Clients the pool keeps; below `TENANTS`, tenants are evicted and come back (churn). */
const MAX = Number(process.env.SCALE_MAX ?? TENANTS)
/** The pool's `streamIdleTtl`: how long a tenant idles before its client is parked. */
const STREAM_IDLE = Number(process.env.SCALE_STREAM_IDLE ?? 30_000)
const SECRET = 'scale-run'
const WATCHDOG_MS = Number(process.env.SCALE_WATCHDOG_MS ?? 10 * 60_000)

const benchDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const watchdog = setTimeout(() => {
  console.error(`scale run: watchdog after ${WATCHDOG_MS / 1000} s`)
  process.exit(2)
}, WATCHDOG_MS)
watchdog.unref()

// ---- the server ------------------------------------------------------------------------------

async function startServer(): Promise<{ child: ChildProcess; url: URL; origin: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join('src', 'scale', 'server.ts')], {
    cwd: benchDirectory,
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, SCALE_SECRET: SECRET },
  })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('scale server: no port in 20 s')), 20_000)
    let buffered = ''
    child.stdout?.setEncoding('utf8')
    child.stdout?.on('data', (text: string) => {
      buffered += text
      if (!buffered.includes('\n')) return
      clearTimeout(timer)
      resolve((JSON.parse(buffered.slice(0, buffered.indexOf('\n'))) as { port: number }).port)
    })
    child.once('exit', (code) => reject(new Error(`scale server exited (${code})`)))
  })
  const origin = `http://127.0.0.1:${port}`
  return { child, url: new URL('/mcp', origin), origin }
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.disconnect?.()
  const timer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), 3000)
  await exited
  clearTimeout(timer)
}

// ---- sockets, one dispatcher per origin ------------------------------------------------------

/** File descriptors of this process, and how many of them are sockets. */
function descriptors(): { fds: number; sockets: number } {
  let fds = 0
  let sockets = 0
  for (const name of readdirSync('/proc/self/fd')) {
    fds++
    try {
      if (readlinkSync(`/proc/self/fd/${name}`).startsWith('socket:')) sockets++
    } catch {
      // closed between the listing and the read
    }
  }
  return { fds, sockets }
}

interface Dispatcher {
  close(): Promise<void>
}
type AgentConstructor = new (options: Record<string, unknown>) => Dispatcher

/**
 * Node's own undici `Agent` class (the one its global `fetch` is built on), reached through the
 * global dispatcher so the bench adds no dependency; an app would `import { Agent } from
 * 'undici'` instead.
 */
async function agentClass(origin: string): Promise<AgentConstructor> {
  await fetch(`${origin}/stats`).then((response) => response.text())
  const global = (globalThis as Record<symbol, unknown>)[Symbol.for('undici.globalDispatcher.1')]
  if (!global) throw new Error('no undici global dispatcher')
  return (global as { constructor: AgentConstructor }).constructor
}

// ---- the run ---------------------------------------------------------------------------------

function signature(tenant: string): Promise<string> {
  // The server's check, computed here with the shared test secret.
  return import('node:crypto').then(({ createHmac }) =>
    createHmac('sha256', SECRET).update(tenant).digest('base64url').slice(0, 16),
  )
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`

async function settle(): Promise<NodeJS.MemoryUsage> {
  for (let index = 0; index < 3; index++) {
    gc(2)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return process.memoryUsage()
}

async function main(): Promise<number> {
  const { MCPClient, MCPClientPool } = await import('@mcpkit/mcp-client-core')
  const server = await startServer()
  const failures: string[] = []
  try {
    const Agent = await agentClass(server.origin)
    const agents = new Map<string, Dispatcher>()
    const agentFor = (origin: string) => {
      let agent = agents.get(origin)
      if (!agent) {
        agent = new Agent({ connections: SOCKETS, keepAliveTimeout: 30_000, pipelining: 1 })
        agents.set(origin, agent)
      }
      return agent
    }
    const tokens = new Map<string, string>()
    for (let index = 0; index < TENANTS; index++) {
      const tenant = `tenant-${index}`
      tokens.set(tenant, `${tenant}.${await signature(tenant)}`)
    }

    // A few clients first, closed: modules loaded and code warm before the baseline.
    const create =
      (tenant: string) =>
      ({ id, cache }: { id: string; cache: object }): MCPClientType =>
        new MCPClient({
          id,
          cache,
          servers: {
            app: {
              url: server.url,
              protocolVersion: '2026-07-28',
              notificationStream: false,
              requestInit: {
                headers: { authorization: `Bearer ${tokens.get(tenant)}` },
                dispatcher: agentFor(server.url.origin),
              } as RequestInit,
            },
          },
        })
    const warmup: PoolType = new MCPClientPool({ max: 8 })
    for (let index = 0; index < 8; index++) {
      const tenant = `tenant-${index}`
      await warmup.withClient(
        { user: tenant, credentials: tokens.get(tenant) },
        create(tenant),
        (c) => c.listToolsets(),
      )
    }
    await warmup.close()
    const baseline = await settle()
    const baselineFds = descriptors()

    const pool: PoolType = new MCPClientPool({
      max: MAX,
      idleTtl: 30 * 60_000,
      streamIdleTtl: STREAM_IDLE,
    })
    let peakSockets = 0
    let peakFds = 0
    const sampler = setInterval(() => {
      const now = descriptors()
      peakSockets = Math.max(peakSockets, now.sockets)
      peakFds = Math.max(peakFds, now.fds)
    }, 250)

    const round = async (name: string) => {
      const latencies: number[] = []
      let wrong = 0
      let errors = 0
      const started = performance.now()
      const cpu = process.cpuUsage()
      let next = 0
      const worker = async () => {
        while (next < TENANTS) {
          const tenant = `tenant-${next++}`
          const t0 = performance.now()
          try {
            const { client, release } = await pool.acquire(
              { user: tenant, credentials: tokens.get(tenant) },
              create(tenant),
            )
            try {
              const toolsets = await client.listToolsets()
              const nonce = String(t0)
              const result = (await toolsets.app?.whoami?.execute({ nonce })) as
                | { content?: { text?: string }[] }
                | undefined
              const answer = result?.content?.[0]?.text
              if (answer !== `${tenant}:${nonce}`) {
                if (wrong++ === 0)
                  console.error(`${name} ${tenant}: answered ${JSON.stringify(answer)}`)
              }
            } finally {
              release()
            }
            latencies.push(performance.now() - t0)
          } catch (error) {
            if (errors++ < 3) console.error(`${name} ${tenant}: ${String(error)}`)
          }
        }
      }
      await Promise.all(Array.from({ length: CONCURRENCY }, worker))
      const seconds = (performance.now() - started) / 1000
      const used = process.cpuUsage(cpu)
      const cpuPerTenant = (used.user + used.system) / 1000 / TENANTS
      if (wrong > 0) failures.push(`${name}: ${wrong} calls answered for another tenant`)
      if (errors > 0) failures.push(`${name}: ${errors} tenants failed`)
      return { name, latencies, seconds, errors, wrong, cpuPerTenant }
    }

    const cold = await round('cold')
    const warm = await round('warm')
    clearInterval(sampler)
    const idle = await settle()
    const idleFds = descriptors()
    const stats = pool.stats()
    // Parked: every client idle for `streamIdleTtl` (bounded wait).
    const parkBy = Date.now() + STREAM_IDLE + 30_000
    while (pool.stats().parked < stats.size && Date.now() < parkBy) {
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    const parkedCount = pool.stats().parked
    const parked = await settle()
    await pool.close()
    for (const agent of agents.values()) await agent.close()
    const after = await settle()
    const afterFds = descriptors()

    const socketCap = SOCKETS + baselineFds.sockets
    if (peakSockets > socketCap) {
      failures.push(
        `sockets: peak ${peakSockets} above the cap ${SOCKETS} (+${baselineFds.sockets} before)`,
      )
    }
    // One list answer per pooled client (and what else a client caches): never more than the
    // pool holds clients, however many tenants went through it.
    if ((stats.cachedResponses ?? 0) > 4 * stats.size) {
      failures.push(
        `response cache: ${stats.cachedResponses} entries for ${stats.size} pooled clients (${stats.evictions} evicted)`,
      )
    }
    const grown = idle.heapUsed - baseline.heapUsed
    const leftover = after.heapUsed - baseline.heapUsed
    if (leftover > Math.max(8 * 1024 * 1024, grown * 0.05)) {
      failures.push(
        `memory: ${mib(leftover)} of heap left after close() (${mib(grown)} while pooled)`,
      )
    }
    if (afterFds.sockets > baselineFds.sockets) {
      failures.push(
        `sockets: ${afterFds.sockets} open after close(), ${baselineFds.sockets} before`,
      )
    }

    const line = (r: Awaited<ReturnType<typeof round>>) =>
      `| ${r.name}: acquire + listToolsets() + 1 call | ${quantile(r.latencies, 0.5).toFixed(2)} ms | ${quantile(r.latencies, 0.99).toFixed(2)} ms | ${(r.latencies.length / r.seconds).toFixed(0)}/s | ${r.seconds.toFixed(1)} s | ${r.cpuPerTenant.toFixed(2)} ms | ${r.errors} | ${r.wrong} |`
    console.log(
      `\nscale run: ${TENANTS} tenants, ${CONCURRENCY} at a time, one MCPServer (2026-07-28), one undici Agent per origin capped at ${SOCKETS} connections, Node ${process.version}\n`,
    )
    console.log(
      '| round | p50 | p99 | tenants/s | duration | client CPU per tenant | errors | wrong tenant |',
    )
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
    console.log(line(cold))
    console.log(line(warm))
    console.log('')
    console.log('| figure | value |')
    console.log('| --- | --- |')
    console.log(
      `| pooled clients | ${stats.size} of max ${MAX} (hits ${stats.hits}, misses ${stats.misses}, evictions ${stats.evictions}; ${stats.cachedResponses} cached responses) |`,
    )
    console.log(
      `| JS heap per pooled idle tenant | ${kib(grown / stats.size)} (${mib(grown)} for ${stats.size}) |`,
    )
    console.log(
      `| RSS per pooled idle tenant | ${kib((idle.rss - baseline.rss) / stats.size)} (${mib(idle.rss - baseline.rss)}) |`,
    )
    console.log(
      `| JS heap / RSS per pooled tenant, parked after streamIdleTtl (${STREAM_IDLE} ms) | ${kib((parked.heapUsed - baseline.heapUsed) / stats.size)} / ${kib((parked.rss - baseline.rss) / stats.size)} (${parkedCount} of ${stats.size} parked) |`,
    )
    console.log(
      `| sockets, peak during the rounds | ${peakSockets} (cap ${SOCKETS} + ${baselineFds.sockets} held before) |`,
    )
    console.log(
      `| file descriptors, peak / baseline / idle / after close() | ${peakFds} / ${baselineFds.fds} / ${idleFds.fds} / ${afterFds.fds} |`,
    )
    console.log(
      `| heap after close(), against the baseline | ${leftover >= 0 ? '+' : ''}${mib(leftover)} (baseline ${mib(baseline.heapUsed)}, pooled ${mib(idle.heapUsed)}, after ${mib(after.heapUsed)}) |`,
    )
    console.log(
      `| RSS after close(), against the baseline | ${mib(after.rss - baseline.rss)} (RSS is slow to return to the OS) |`,
    )
    const serverStats = (await (await fetch(`${server.origin}/stats`)).json()) as Record<
      string,
      number
    >
    console.log(
      `| server: tool calls / refused requests / RSS / CPU | ${serverStats.toolCalls} / ${serverStats.refused} / ${mib(serverStats.rss ?? 0)} / ${((serverStats.cpuMs ?? 0) / 1000).toFixed(1)} s |`,
    )
    console.log(
      failures.length
        ? `\nFAIL\n- ${failures.join('\n- ')}`
        : '\nPASS: within the socket cap, every call answered for its own tenant, the response cache bounded by the pool, memory back after close()',
    )
    return failures.length ? 1 : 0
  } finally {
    await stopServer(server.child)
  }
}

process.exitCode = await main()
