/**
 * mcpkit benchmark: MCPClient against the raw MCP SDK `Client`, v2 (the SDK mcpkit wraps) and
 * v1 (for continuity), same servers, same run.
 *
 *   pnpm bench                         (from the repo root: builds, then runs this)
 *   pnpm --filter @mcpkit/bench bench  (runs against the current dist/)
 *
 * Processes: this orchestrator; the Streamable HTTP server (`http-server.ts`, SDK v2); one
 * runner process per contender (`client-runner.ts`: `raw-v2`, `raw-v1`, `mcpkit`, and
 * `control`, a second raw-v2 runner whose ratio to `raw-v2` shows the noise floor). Only one
 * runner works at a time, and the contenders take turns (interleaved), so drift in machine load
 * hits all of them alike. Targets are judged against raw v2; ratios to raw v1 are shown too.
 *
 * Environment knobs (optional): BENCH_QUICK=1 (fewer iterations), BENCH_COLD_HTTP_RUNS,
 * BENCH_COLD_STDIO_RUNS, BENCH_SEQ_CALLS, BENCH_CONC_CALLS, BENCH_CONCURRENCY,
 * BENCH_IDLE_CLIENTS, BENCH_ROUNDS, BENCH_JSON_RESPONSE=1 (server answers POSTs with JSON
 * instead of SSE), BENCH_PIN=1 (pin clients and servers to separate CPUs), BENCH_STRICT=1
 * (exit 1 when a target fails), BENCH_JSON_OUT=path (also write the results as JSON),
 * BENCH_CLIENT_PROFILE=1 (V8 CPU profiles of the raw-v2 and mcpkit runners, or those named in
 * BENCH_CLIENT_PROFILE_RUNNERS, during the cold HTTP and tool-call phases, summarised at the
 * end), BENCH_CLIENT_PHASES (comma-separated
 * subset of cold-http,cold-stdio,warm,calls,memory; default all).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { type Child, type ChildReply, startChild } from './child-process.js'
import type {
  CallsResult,
  Era,
  MemoryResult,
  Negotiation,
  RunnerKind,
  RunnerRequest,
  Transport,
} from './protocol.js'
import {
  benchDirectory,
  finishRun,
  gitDescription,
  intEnv,
  isoMtime,
  packageVersion,
  rotate,
} from './run-info.js'
import { summariseProfile } from './server/profile-summary.js'
import { type HttpServerProcess, type ServerStats, startHttpServer } from './server-process.js'
import {
  formatBytes,
  formatMicros,
  formatMs,
  formatRate,
  median,
  nowMs,
  p95,
  renderTable,
} from './stats.js'

// ---------------------------------------------------------------------------------------------
// Configuration

const quick = process.env.BENCH_QUICK === '1'
const allPhases = [
  'cold-http',
  'cold-stdio',
  'warm',
  'calls',
  'modern',
  'stdio-calls',
  'memory',
] as const
type Phase = (typeof allPhases)[number]
const phases = new Set<Phase>(
  (process.env.BENCH_CLIENT_PHASES ?? allPhases.join(','))
    .split(',')
    .map((phase) => phase.trim())
    .filter((phase): phase is Phase => (allPhases as readonly string[]).includes(phase)),
)
const config = {
  coldHttpRuns: intEnv('BENCH_COLD_HTTP_RUNS', quick ? 8 : 60),
  coldHttpWarmup: 3,
  coldStdioRuns: intEnv('BENCH_COLD_STDIO_RUNS', quick ? 4 : 15),
  coldStdioWarmup: 1,
  warmSamplesMcpkit: quick ? 1_000 : 5_000,
  warmSamplesRaw: quick ? 100 : 500,
  warmBudgetMs: 8_000,
  seqCalls: intEnv('BENCH_SEQ_CALLS', quick ? 400 : 2_000),
  concCalls: intEnv('BENCH_CONC_CALLS', quick ? 1_000 : 5_000),
  concurrency: intEnv('BENCH_CONCURRENCY', 16),
  rounds: intEnv('BENCH_ROUNDS', quick ? 6 : 20),
  warmupCalls: quick ? 200 : 1_000,
  idleClients: intEnv('BENCH_IDLE_CLIENTS', quick ? 20 : 100),
  jsonResponse: process.env.BENCH_JSON_RESPONSE === '1',
  /**
   * BENCH_PIN=1 pins client runners to CPU 0 and servers to CPU 1. Off by default: on this
   * VM every cross-CPU wake-up is slow, so pinning cut sequential throughput by ~30% for all
   * contenders without making the ratios steadier.
   */
  pin: process.env.BENCH_PIN === '1' && cpus().length >= 2 && hasTaskset(),
  profile: process.env.BENCH_CLIENT_PROFILE === '1',
  /** Which runners BENCH_CLIENT_PROFILE=1 profiles (BENCH_CLIENT_PROFILE_RUNNERS). */
  profileRunners: (process.env.BENCH_CLIENT_PROFILE_RUNNERS ?? 'raw-v2,mcpkit')
    .split(',')
    .map((name) => name.trim()),
  phases: [...phases],
  /** A cold-connect phase stops starting runs after this long. */
  coldBudgetMs: 60_000,
  /** One block of calls stops issuing calls after this long. */
  callBlockBudgetMs: 20_000,
  /** Any single runner operation (other than a block of calls) gets this long. */
  operationTimeoutMs: 30_000,
  /** The whole run is abandoned after this long. */
  watchdogMs: 14 * 60_000,
}

const require = createRequire(import.meta.url)
const everythingEntry = join(
  dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')),
  'dist',
  'index.js',
)

function hasTaskset(): boolean {
  if (process.platform !== 'linux') return false
  return spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' }).status === 0
}

// ---------------------------------------------------------------------------------------------
// Warnings raised in the runners, grouped by phase, contender and kind

let currentPhase = 'startup'
const warningCounts = new Map<string, { count: number; example: string }>()
function recordWarnings(contender: string, warnings: ChildReply['warnings']): void {
  for (const warning of warnings) {
    const key = `${currentPhase} | ${contender} | ${warning.name}`
    const entry = warningCounts.get(key)
    if (entry) entry.count++
    else warningCounts.set(key, { count: 1, example: warning.message })
  }
}

// ---------------------------------------------------------------------------------------------
// Contenders

interface Contender {
  name: 'raw-v2' | 'raw-v1' | 'mcpkit' | 'control' | 'mastra-v2' | 'mastra-v1'
  kind: RunnerKind
  runner: Child<RunnerRequest>
  /** The first error; the contender is not asked again in that phase. */
  error?: string | undefined
}

async function ask<Result>(
  contender: Contender,
  request: Parameters<Child<RunnerRequest>['request']>[0],
  timeoutMs = config.operationTimeoutMs,
): Promise<Result | undefined> {
  if (contender.error) return undefined
  try {
    return await contender.runner.request<Result>(request, timeoutMs)
  } catch (error) {
    contender.error = (error as Error).message
    return undefined
  }
}

function diffMethods(before: ServerStats, after: ServerStats): Record<string, number> {
  const result: Record<string, number> = {}
  for (const [method, count] of Object.entries(after.methods)) {
    const delta = count - (before.methods[method] ?? 0)
    if (delta) result[method] = delta
  }
  if (after.gets - before.gets) result['GET (SSE stream)'] = after.gets - before.gets
  if (after.deletes - before.deletes) result.DELETE = after.deletes - before.deletes
  return result
}

const describeMethods = (methods: Record<string, number>) =>
  Object.entries(methods)
    .map(([method, count]) => `${method} ×${count}`)
    .join(', ') || '(nothing)'

/** Cold connect: mcpkit's median at most this many times raw v2's (issue 17). */
const COLD_TARGET = 1.05
/** Tool calls: mcpkit's calls/s at least this many times raw v2's, and raw v1's. */
const CALLS_TARGET = 1.0

/** One block of calls by one contender in one round (undefined if it failed). */
type Block =
  | { calls: number; perSecond: number; cpuPerCall: number; serverCpuPerCall: number }
  | undefined

// ---------------------------------------------------------------------------------------------
// Report rows

interface Row {
  metric: string
  rawV2: string
  rawV1: string
  /** `@mastra/mcp` 2.x and 1.x (`—` where not measured). */
  mastraV2?: string
  mastraV1?: string
  mcpkit: string
  /** mcpkit / raw v2: what the targets are judged on. */
  vsV2: string
  /** mcpkit / raw v1: judged too for tool calls (≥ raw v1). */
  vsV1: string
  /** mcpkit / `@mastra/mcp` 2.x and 1.x. */
  vsMastraV2?: string
  vsMastraV1?: string
  target: string
  result: 'PASS' | 'FAIL' | 'n/a' | ''
}

function ratio(value: number, base: number): string {
  const r = value / base
  return Number.isFinite(r) ? `${r.toFixed(2)}×` : '—'
}
const times = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : '—')

const shown = (contender: Contender | undefined, text: string) =>
  !contender ? 'not measured' : contender.error ? `error: ${contender.error.slice(0, 80)}` : text

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const started = nowMs()
  const watchdog = setTimeout(() => {
    console.error(`bench: watchdog fired after ${config.watchdogMs / 1000} s; giving up`)
    process.exit(2)
  }, config.watchdogMs)

  const mcpkitDist = join(
    benchDirectory,
    'node_modules',
    '@mcpkit',
    'mcp-client-core',
    'dist',
    'index.js',
  )
  const mcpkitBuilt = existsSync(mcpkitDist)
  const loadAtStart = loadavg()[0] ?? 0
  const profileDirectory = config.profile
    ? join(
        benchDirectory,
        'results',
        'profiles',
        `client-${new Date().toISOString().replace(/[:.]/g, '-')}`,
      )
    : undefined

  console.log('mcpkit bench')
  console.log(`  date         ${new Date().toISOString()}`)
  console.log(`  node         ${process.version} (${process.platform}/${process.arch})`)
  console.log(`  cpu          ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`)
  console.log(
    `  raw SDK v2   @modelcontextprotocol/client ${packageVersion('@modelcontextprotocol/client')} (Client + StreamableHTTPClientTransport / StdioClientTransport): the baseline of the targets`,
  )
  console.log(
    `  raw SDK v1   @modelcontextprotocol/sdk ${packageVersion('@modelcontextprotocol/sdk')} (the same classes), for continuity`,
  )
  const transportsDist = join(benchDirectory, '..', 'packages', 'transports', 'dist', 'client.js')
  console.log(
    `  mcpkit       ${mcpkitBuilt ? `@mcpkit/mcp-client-core dist built ${isoMtime(mcpkitDist)}, @mcpkit/transports dist built ${isoMtime(transportsDist)}` : 'NOT MEASURED: packages/mcp-client-core/dist is missing (run `pnpm build`)'}`,
  )
  console.log(`  git          ${gitDescription()}`)
  console.log(
    `  HTTP server  bench/src/http-server.ts, own process (SDK v2 McpServer + NodeStreamableHTTPServerTransport from @modelcontextprotocol/node ${packageVersion('@modelcontextprotocol/node')}, @modelcontextprotocol/server ${packageVersion('@modelcontextprotocol/server')}; stateful, ${config.jsonResponse ? 'JSON' : 'SSE'} responses)`,
  )
  console.log(
    `  stdio server @modelcontextprotocol/server-everything ${packageVersion('@modelcontextprotocol/server-everything')} (node dist/index.js stdio)`,
  )
  console.log(
    `  @mastra/mcp  ${packageVersion('@mastra/mcp')} (mastra-v2) and ${packageVersion('@mastra/mcp-1')} (mastra-v1, npm alias @mastra/mcp-1), @mastra/core ${packageVersion('@mastra/core')}: MCPClient + listToolsets() + execute, as mcpkit's`,
  )
  console.log(
    '  clients      one process per contender: raw-v2, raw-v1, mastra-v2, mastra-v1, mcpkit, control (a second raw-v2: noise floor)',
  )
  console.log(
    `  cpu pinning  ${config.pin ? 'client runners on CPU 0, servers (HTTP and stdio) on CPU 1 (taskset)' : 'off (BENCH_PIN=1 turns it on)'}`,
  )
  if (phases.size !== allPhases.length) console.log(`  phases       ${config.phases.join(', ')}`)
  if (profileDirectory) {
    console.log(
      `  profiles     ${profileDirectory} (runners ${config.profileRunners.join(', ')}; the profiler slows what it profiles, so ratios of this run are not the figures)`,
    )
  }
  console.log(`  load avg     ${loadAtStart.toFixed(2)} (1 min) at start`)
  if (loadAtStart > 0.7) {
    console.log(
      '  WARNING      the machine was busy in the last minute (an earlier run counts too); ratios get noisier',
    )
  }
  console.log('')
  const progress = (message: string) =>
    console.log(`[${((nowMs() - started) / 1000).toFixed(1).padStart(5)} s] ${message}`)

  const server: HttpServerProcess = await startHttpServer({
    jsonResponse: config.jsonResponse,
    cpu: config.pin ? 1 : undefined,
  })
  // Every contender starts the stdio server with the same command line.
  const stdioCommand = config.pin
    ? { command: 'taskset', args: ['-c', '1', process.execPath, everythingEntry, 'stdio'] }
    : { command: process.execPath, args: [everythingEntry, 'stdio'] }
  // The 2026-07-28 rows' stdio server (SDK v2, both eras), plain JS started with node.
  const stdioModernEntry = join(benchDirectory, 'src', 'stdio-server.mjs')
  const stdioModernCommand = config.pin
    ? { command: 'taskset', args: ['-c', '1', process.execPath, stdioModernEntry] }
    : { command: process.execPath, args: [stdioModernEntry] }
  const contenders: Contender[] = []
  const rows: Row[] = []
  const notes: string[] = []
  const profiles: { name: string; file: string; operations: number; unit: string }[] = []
  const results: Record<string, unknown> = {
    config,
    node: process.version,
    date: new Date().toISOString(),
  }

  try {
    const start = async (name: Contender['name'], kind: RunnerKind) => {
      const contender: Contender = {
        name,
        kind,
        runner: await startChild<RunnerRequest>({
          name: `runner ${name}`,
          script: join(benchDirectory, 'src', 'client-runner.ts'),
          args: [kind],
          cpu: config.pin ? 0 : undefined,
          onWarnings: (warnings) => recordWarnings(name, warnings),
        }),
      }
      contenders.push(contender)
      await ask(contender, {
        op: 'setup',
        url: server.url.href,
        modernUrl: new URL('/modern', server.url).href,
        stdio: stdioCommand,
        stdioModern: stdioModernCommand,
      })
      return contender
    }
    const rawV2 = await start('raw-v2', 'raw-v2')
    const rawV1 = await start('raw-v1', 'raw-v1')
    const control = await start('control', 'raw-v2')
    const mcpkit = mcpkitBuilt ? await start('mcpkit', 'mcpkit') : undefined
    // Mastra, when its packages load (a peer that failed to install is a note, not a failure).
    const peer = async (name: 'mastra-v2' | 'mastra-v1') => {
      const contender = await start(name, name)
      if (!contender.error) return contender
      notes.push(`${name} runner failed to start: ${contender.error}`)
      contenders.splice(contenders.indexOf(contender), 1)
      await contender.runner.stop()
      return undefined
    }
    const mastraV2 = await peer('mastra-v2')
    const mastraV1 = await peer('mastra-v1')
    const mastra = { mastraV2, mastraV1 }
    /**
     * The Mastra cells of a row: each one's figure (`value` by contender name), and mcpkit's
     * ratio to it (`mine`, by default mcpkit's figure).
     */
    const peerCells = (
      value: (name: string) => number,
      format: (value: number) => string,
      mine = value('mcpkit'),
    ): Pick<Row, 'mastraV2' | 'mastraV1' | 'vsMastraV2' | 'vsMastraV1'> => ({
      mastraV2: shown(mastraV2, format(value('mastra-v2'))),
      mastraV1: shown(mastraV1, format(value('mastra-v1'))),
      vsMastraV2: ratio(mine, value('mastra-v2')),
      vsMastraV1: ratio(mine, value('mastra-v1')),
    })
    if (rawV2.error) throw new Error(`raw-v2 runner failed to start: ${rawV2.error}`)
    if (rawV1.error) notes.push(`raw-v1 runner failed to start: ${rawV1.error}`)
    const measured = !!mcpkit && !mcpkit.error
    /** Mastra 2.x and 1.x (when they loaded) and mcpkit, the toolkits. */
    const peersAndMcpkit = [mastraV2, mastraV1, mcpkit].filter(
      (contender): contender is Contender => contender !== undefined,
    )
    const verdict = (pass: boolean): Row['result'] => (!mcpkit ? 'n/a' : pass ? 'PASS' : 'FAIL')
    /** The contenders that get profiled with BENCH_CLIENT_PROFILE=1. */
    const profiled = [rawV2, rawV1, mastraV2, mastraV1, mcpkit].filter(
      (contender): contender is Contender =>
        !!contender && config.profileRunners.includes(contender.name),
    )
    const profileStart = async () => {
      if (!profileDirectory) return
      for (const contender of profiled) await ask(contender, { op: 'profile-start' })
    }
    const profileStop = async (
      phase: string,
      operations: (name: string) => number,
      unit: string,
    ) => {
      if (!profileDirectory) return
      mkdirSync(profileDirectory, { recursive: true })
      for (const contender of profiled) {
        const file = join(
          profileDirectory,
          `${contender.name}-${phase.replace(/[^a-z0-9]+/gi, '-')}.cpuprofile`,
        )
        const written = await ask<{ file: string }>(contender, { op: 'profile-stop', file })
        if (written) {
          profiles.push({
            name: `${contender.name}, ${phase}`,
            file,
            operations: operations(contender.name),
            unit,
          })
        }
      }
    }

    // ---- wire profile: what one cold connect + list + close sends --------------------------
    currentPhase = 'wire profile'
    for (const contender of [rawV2, rawV1, mastraV2, mastraV1, mcpkit]) {
      if (!contender) continue
      const before = await server.stats()
      await ask(contender, { op: 'cold-http' })
      await new Promise((resolve) => setTimeout(resolve, 100))
      const after = await server.stats()
      const methods = diffMethods(before, after)
      results[`wire ${contender.name}`] = methods
      notes.push(
        `wire, one cold HTTP connect + list + close by ${contender.name}: ${contender.error ? `error: ${contender.error}` : describeMethods(methods)}`,
      )
    }

    // ---- 1. cold connect + list --------------------------------------------------------------
    const cold = async (
      label: string,
      runs: number,
      warmup: number,
      entries: {
        key: string
        contender: Contender | undefined
        op: 'cold-http' | 'cold-stdio'
        terminate?: boolean
        era?: Era
        negotiation?: Negotiation
      }[],
      profile = false,
    ) => {
      const samples: Record<string, number[]> = Object.fromEntries(
        entries.map((entry) => [entry.key, []]),
      )
      const deadline = nowMs() + config.coldBudgetMs
      for (let run = -warmup; run < runs && nowMs() < deadline; run++) {
        if (run === 0 && profile) await profileStart()
        for (const entry of rotate(entries, run + warmup)) {
          if (!entry.contender) continue
          const result = await ask<{ ms: number; totalMs: number }>(
            entry.contender,
            entry.op === 'cold-http'
              ? {
                  op: 'cold-http',
                  ...(entry.terminate ? { terminate: true } : {}),
                  ...(entry.era ? { era: entry.era } : {}),
                  ...(entry.negotiation ? { negotiation: entry.negotiation } : {}),
                }
              : { op: entry.op, ...(entry.era ? { era: entry.era } : {}) },
          )
          if (result && run >= 0) {
            samples[entry.key]?.push(result.ms)
            const totals = samples[`${entry.key} total`] ?? []
            totals.push(result.totalMs)
            samples[`${entry.key} total`] = totals
          }
        }
      }
      results[label] = samples
      return samples
    }

    if (phases.has('cold-http')) {
      currentPhase = 'cold HTTP'
      progress(
        `cold connect + list over Streamable HTTP: ${config.coldHttpRuns} runs per contender, interleaved`,
      )
      const before = await server.stats()
      const samples = await cold(
        'cold HTTP',
        config.coldHttpRuns,
        config.coldHttpWarmup,
        [
          { key: 'raw-v2', contender: rawV2, op: 'cold-http' },
          { key: 'raw-v1', contender: rawV1, op: 'cold-http' },
          { key: 'mastra-v2', contender: mastraV2, op: 'cold-http' },
          { key: 'mastra-v1', contender: mastraV1, op: 'cold-http' },
          { key: 'mcpkit', contender: mcpkit, op: 'cold-http' },
          { key: 'raw-v2+DELETE', contender: rawV2, op: 'cold-http', terminate: true },
          { key: 'control', contender: control, op: 'cold-http' },
        ],
        true,
      )
      // raw-v2's profile also holds its +DELETE runs: twice its run count.
      await profileStop(
        'cold HTTP',
        (name) => (samples[name]?.length ?? 0) * (name === 'raw-v2' ? 2 : 1),
        'connect',
      )
      const after = await server.stats()
      coldRows(
        rows,
        'cold connect + listToolsets, HTTP',
        samples,
        { rawV2, rawV1, mcpkit, ...mastra },
        verdict,
      )
      const plus = samples['raw-v2+DELETE'] ?? []
      notes.push(
        `cold HTTP, raw v2 SDK + transport.terminateSession() (the DELETE mcpkit sends on disconnect): median ${formatMs(median(plus))} (${ratio(median(plus), median(samples['raw-v2'] ?? []))} raw v2; mcpkit ${ratio(median(samples.mcpkit ?? []), median(plus))} of it), p95 ${formatMs(p95(plus))}`,
      )
      notes.push(
        `cold HTTP, A/A control (second raw-v2 runner): median ${formatMs(median(samples.control ?? []))} = ${ratio(median(samples.control ?? []), median(samples['raw-v2'] ?? []))} raw v2`,
      )
      notes.push(
        `cold HTTP: ${after.deletes - before.deletes} DELETEs received; ${after.openSessions - before.openSessions} sessions left open on the server by this phase (plain raw SDK close() sends no DELETE, v1 or v2)`,
      )
    }

    if (phases.has('cold-stdio')) {
      // Not profiled: the time is mostly the server starting, in another process. Every v2
      // client negotiates (auto): server-everything (SDK v1) is 2025-only; the bench's stdio
      // server (SDK v2) answers server/discover, so they speak 2026-07-28 with it.
      for (const era of ['legacy', 'modern'] as const) {
        currentPhase = `cold stdio ${era}`
        progress(
          `cold connect + list over stdio (${era === 'legacy' ? 'server-everything, 2025 era' : 'bench stdio server, 2026-07-28 era'}): ${config.coldStdioRuns} runs per contender, interleaved`,
        )
        const samples = await cold(
          `cold stdio ${era}`,
          config.coldStdioRuns,
          config.coldStdioWarmup,
          [
            { key: 'raw-v2', contender: rawV2 },
            ...(era === 'legacy' ? [{ key: 'raw-v1', contender: rawV1 }] : []),
            { key: 'mastra-v2', contender: mastraV2 },
            { key: 'mastra-v1', contender: mastraV1 },
            { key: 'mcpkit', contender: mcpkit },
          ].map((entry) => ({ ...entry, op: 'cold-stdio' as const, era })),
        )
        coldRows(
          rows,
          era === 'legacy'
            ? 'cold connect + listToolsets, stdio'
            : 'modern era: cold connect + listToolsets, stdio',
          samples,
          { rawV2, rawV1: era === 'legacy' ? rawV1 : undefined, mcpkit, ...mastra },
          verdict,
        )
      }
    }
    // Cold-phase failures are in the rows; later phases get a fresh start.
    for (const contender of contenders) {
      if (contender.error)
        notes.push(`${contender.name}: error in the cold phases: ${contender.error}`)
      contender.error = undefined
    }

    // ---- 2. warm listToolsets ----------------------------------------------------------------
    if (phases.has('warm') || phases.has('calls')) {
      for (const contender of contenders) await ask(contender, { op: 'warm-open' })
    }
    if (phases.has('warm')) {
      currentPhase = 'warm list'
      progress('warm listToolsets() (mcpkit) vs listTools() (raw SDK v2 and v1)')
      const rawList = async (contender: Contender) => {
        const before = await server.stats()
        const samples =
          (
            await ask<{ samples: number[] }>(contender, {
              op: 'warm-list',
              count: config.warmSamplesRaw,
              warmup: 50,
              budgetMs: config.warmBudgetMs,
            })
          )?.samples ?? []
        const after = await server.stats()
        const requests = (after.methods['tools/list'] ?? 0) - (before.methods['tools/list'] ?? 0)
        return { samples, requests }
      }
      const v2List = await rawList(rawV2)
      const v1List = await rawList(rawV1)
      // Mastra's listToolsets(), with the raw SDKs' counts (it may make a request each time).
      const peerLists = {
        'mastra-v2': mastraV2 ? await rawList(mastraV2) : { samples: [], requests: Number.NaN },
        'mastra-v1': mastraV1 ? await rawList(mastraV1) : { samples: [], requests: Number.NaN },
      }
      const peerList = (name: string) =>
        peerLists[name as keyof typeof peerLists]?.samples ?? ([] as number[])
      let mcpkitSamples: number[] = []
      let flatSamples: number[] = []
      let listRequests = Number.NaN
      if (mcpkit) {
        const before = await server.stats()
        mcpkitSamples =
          (
            await ask<{ samples: number[] }>(mcpkit, {
              op: 'warm-list',
              count: config.warmSamplesMcpkit,
              warmup: 500,
              budgetMs: config.warmBudgetMs,
            })
          )?.samples ?? []
        const after = await server.stats()
        listRequests = (after.methods['tools/list'] ?? 0) - (before.methods['tools/list'] ?? 0)
        flatSamples =
          (
            await ask<{ samples: number[] }>(mcpkit, {
              op: 'warm-list',
              flat: true,
              count: config.warmSamplesMcpkit,
              warmup: 500,
              budgetMs: config.warmBudgetMs,
            })
          )?.samples ?? []
      }
      const mcpkitMedian = median(mcpkitSamples)
      const summary = (samples: number[]) => ({
        n: samples.length,
        median: median(samples),
        p95: p95(samples),
      })
      results.warm = {
        rawV2: summary(v2List.samples),
        rawV1: summary(v1List.samples),
        mcpkit: summary(mcpkitSamples),
        mcpkitListTools: summary(flatSamples),
        mcpkitToolsListRequests: listRequests,
        rawV2ToolsListRequests: v2List.requests,
        rawV1ToolsListRequests: v1List.requests,
        mastraV2: summary(peerLists['mastra-v2'].samples),
        mastraV1: summary(peerLists['mastra-v1'].samples),
      }
      rows.push({
        metric: 'warm listToolsets() median',
        rawV2: `${formatMicros(median(v2List.samples))} (listTools)`,
        rawV1: `${formatMicros(median(v1List.samples))} (listTools)`,
        mcpkit: shown(mcpkit, formatMicros(mcpkitMedian)),
        vsV2: ratio(mcpkitMedian, median(v2List.samples)),
        vsV1: ratio(mcpkitMedian, median(v1List.samples)),
        ...peerCells((name) => median(peerList(name)), formatMicros, mcpkitMedian),
        target: '< 50 µs',
        result: verdict(measured && !mcpkit?.error && mcpkitMedian < 50),
      })
      rows.push({
        metric: 'warm listToolsets() p95',
        rawV2: formatMicros(p95(v2List.samples)),
        rawV1: formatMicros(p95(v1List.samples)),
        mcpkit: shown(mcpkit, formatMicros(p95(mcpkitSamples))),
        vsV2: ratio(p95(mcpkitSamples), p95(v2List.samples)),
        vsV1: ratio(p95(mcpkitSamples), p95(v1List.samples)),
        ...peerCells((name) => p95(peerList(name)), formatMicros, p95(mcpkitSamples)),
        target: '',
        result: '',
      })
      if (flatSamples.length) {
        notes.push(
          `warm mcpkit listTools() (flat ids): median ${formatMicros(median(flatSamples))}, p95 ${formatMicros(p95(flatSamples))}`,
        )
      }
      notes.push(
        `warm: tools/list requests the server received during the raw listTools() loops (${config.warmSamplesRaw + 50} calls each): raw v2 ${v2List.requests}, raw v1 ${v1List.requests} (the v2 Client's response cache serves nothing without a ttl hint, so each call is a round trip); during Mastra's listToolsets() loops (as many): 2.x ${peerLists['mastra-v2'].requests}, 1.x ${peerLists['mastra-v1'].requests}`,
      )
      if (Number.isFinite(listRequests)) {
        notes.push(
          `warm: the server received ${listRequests} tools/list request(s) during mcpkit's ${mcpkitSamples.length + 500} warm listToolsets() calls`,
        )
      }
    }

    // ---- 3. tool-call throughput -------------------------------------------------------------
    /**
     * Tool calls on the `era` server over `transport` by `participants` (raw v1 only on the
     * 2025 era), as rows labelled with `prefix`. Every such phase is profiled with
     * BENCH_CLIENT_PROFILE=1 (choose them with BENCH_CLIENT_PHASES).
     */
    const measureCalls = async (
      era: Era,
      participants: Contender[],
      prefix: string,
      transport: Transport = 'http',
    ) => {
      const profiling = true
      currentPhase = `${prefix}tool calls warm-up`
      progress(
        `${prefix}tool calls over ${transport === 'http' ? 'Streamable HTTP' : 'stdio'}: ${config.seqCalls} sequential and ${config.concCalls} at concurrency ${config.concurrency} per contender, in ${config.rounds} rotating rounds`,
      )
      for (const contender of participants) {
        await ask<CallsResult>(
          contender,
          {
            op: 'calls',
            era,
            transport,
            total: config.warmupCalls,
            concurrency: 4,
            budgetMs: config.callBlockBudgetMs,
          },
          config.callBlockBudgetMs + config.operationTimeoutMs,
        )
      }
      for (const [label, total, concurrency] of [
        [`${prefix}tool calls, sequential`, config.seqCalls, 1],
        [
          `${prefix}tool calls, ${config.concurrency} concurrent`,
          config.concCalls,
          config.concurrency,
        ],
      ] as const) {
        currentPhase = label
        // Per round and contender: one block of calls. Contenders' blocks within a round run
        // back to back, so the per-round ratio is paired against the same machine load.
        const blocks = new Map<Contender, Block[]>(participants.map((contender) => [contender, []]))
        const perRound = Math.ceil(total / config.rounds)
        if (profiling) await profileStart()
        for (let round = 0; round < config.rounds; round++) {
          for (const contender of rotate(participants, round)) {
            const before = await server.stats()
            const result = await ask<CallsResult>(
              contender,
              {
                op: 'calls',
                era,
                transport,
                total: perRound,
                concurrency,
                budgetMs: config.callBlockBudgetMs,
              },
              config.callBlockBudgetMs + config.operationTimeoutMs,
            )
            const after = await server.stats()
            blocks.get(contender)?.push(
              result && result.calls > 0
                ? {
                    calls: result.calls,
                    perSecond: (result.calls / result.elapsedMs) * 1000,
                    cpuPerCall: result.cpuMicros / result.calls,
                    serverCpuPerCall: (after.cpuMicros - before.cpuMicros) / result.calls,
                  }
                : undefined,
            )
          }
        }
        const summary = (contender: Contender | undefined) => {
          const mine = (contender && blocks.get(contender)) || []
          const valid = mine.filter((block): block is NonNullable<Block> => block !== undefined)
          /** Median of per-round ratios to `base`: each round's blocks ran back to back. */
          const paired = (base: Contender, value: (block: NonNullable<Block>) => number) => {
            const baseBlocks = blocks.get(base) ?? []
            const ratios: number[] = []
            mine.forEach((block, round) => {
              const other = baseBlocks[round]
              if (block && other) ratios.push(value(block) / value(other))
            })
            return median(ratios)
          }
          return {
            calls: valid.reduce((sum, block) => sum + block.calls, 0),
            perSecond: median(valid.map((block) => block.perSecond)),
            cpuPerCall: median(valid.map((block) => block.cpuPerCall)),
            serverCpuPerCall: median(valid.map((block) => block.serverCpuPerCall)),
            speedVsV2: paired(rawV2, (block) => block.perSecond),
            cpuVsV2: paired(rawV2, (block) => block.cpuPerCall),
            speedVsV1: paired(rawV1, (block) => block.perSecond),
            cpuVsV1: paired(rawV1, (block) => block.cpuPerCall),
            speedVs: (base: Contender | undefined) =>
              base ? paired(base, (block) => block.perSecond) : Number.NaN,
            cpuVs: (base: Contender | undefined) =>
              base ? paired(base, (block) => block.cpuPerCall) : Number.NaN,
            blocks: mine,
          }
        }
        const withV1 = participants.includes(rawV1)
        const v2Result = summary(rawV2)
        const v1Result = summary(rawV1)
        const mcpkitResult = summary(mcpkit)
        const controlResult = summary(control)
        const peerResults = {
          'mastra-v2': summary(mastraV2),
          'mastra-v1': summary(mastraV1),
        }
        const byName = (name: string) =>
          name === 'mcpkit'
            ? mcpkitResult
            : name === 'raw-v1'
              ? v1Result
              : (peerResults[name as keyof typeof peerResults] ?? v2Result)
        if (profiling) await profileStop(label, (name) => byName(name).calls, 'call')
        results[label] = {
          rawV2: v2Result,
          rawV1: v1Result,
          mcpkit: mcpkitResult,
          control: controlResult,
          ...peerResults,
        }
        // Judged on the ratios as shown (two decimals), so the table never reads "0.99× FAIL".
        const shownRatio = (value: number) => Math.round(value * 100) / 100
        const speed = shownRatio(mcpkitResult.speedVsV2)
        const speedV1 = withV1 ? shownRatio(mcpkitResult.speedVsV1) : Number.POSITIVE_INFINITY
        const isIn = (contender: Contender | undefined) =>
          contender && participants.includes(contender) ? contender : undefined
        rows.push({
          metric: label,
          rawV2: formatRate(v2Result.perSecond),
          rawV1: withV1 ? shown(rawV1, formatRate(v1Result.perSecond)) : '—',
          mastraV2: shown(isIn(mastraV2), formatRate(peerResults['mastra-v2'].perSecond)),
          mastraV1: shown(isIn(mastraV1), formatRate(peerResults['mastra-v1'].perSecond)),
          mcpkit: shown(mcpkit, formatRate(mcpkitResult.perSecond)),
          vsV2: times(mcpkitResult.speedVsV2),
          vsV1: withV1 ? times(mcpkitResult.speedVsV1) : '—',
          vsMastraV2: times(mcpkitResult.speedVs(isIn(mastraV2))),
          vsMastraV1: times(mcpkitResult.speedVs(isIn(mastraV1))),
          target: withV1
            ? `≥ ${CALLS_TARGET.toFixed(2)}× raw v2 and raw v1`
            : `≥ ${CALLS_TARGET.toFixed(2)}× raw v2`,
          result: verdict(
            !mcpkit?.error &&
              Number.isFinite(speed) &&
              speed >= CALLS_TARGET &&
              speedV1 >= CALLS_TARGET,
          ),
        })
        rows.push({
          metric: `  client CPU per call (${concurrency === 1 ? 'sequential' : 'concurrent'})`,
          rawV2: formatMicros(v2Result.cpuPerCall),
          rawV1: withV1 ? shown(rawV1, formatMicros(v1Result.cpuPerCall)) : '—',
          mastraV2: shown(isIn(mastraV2), formatMicros(peerResults['mastra-v2'].cpuPerCall)),
          mastraV1: shown(isIn(mastraV1), formatMicros(peerResults['mastra-v1'].cpuPerCall)),
          mcpkit: shown(mcpkit, formatMicros(mcpkitResult.cpuPerCall)),
          vsV2: times(mcpkitResult.cpuVsV2),
          vsV1: withV1 ? times(mcpkitResult.cpuVsV1) : '—',
          vsMastraV2: times(mcpkitResult.cpuVs(isIn(mastraV2))),
          vsMastraV1: times(mcpkitResult.cpuVs(isIn(mastraV1))),
          target: '',
          result: '',
        })
        notes.push(
          `${label}: A/A control (second raw-v2 runner) ${formatRate(controlResult.perSecond)}, ${times(controlResult.speedVsV2)} raw v2; client CPU ${formatMicros(controlResult.cpuPerCall)}/call, ${times(controlResult.cpuVsV2)} raw v2: the noise floor of these ratios`,
        )
        if (withV1) {
          notes.push(
            `${label}: raw v1 / raw v2 (the SDKs themselves): ${times(v1Result.speedVsV2)} calls/s, ${times(v1Result.cpuVsV2)} client CPU per call`,
          )
        }
        notes.push(
          `${label}: server CPU per call while serving raw v2 ${formatMicros(v2Result.serverCpuPerCall)}, raw v1 ${formatMicros(v1Result.serverCpuPerCall)}, mcpkit ${formatMicros(mcpkitResult.serverCpuPerCall)}, control ${formatMicros(controlResult.serverCpuPerCall)}; calls measured raw v2 ${v2Result.calls}, raw v1 ${v1Result.calls}, mcpkit ${mcpkitResult.calls}, control ${controlResult.calls}`,
        )
        const perRoundRatios = (contender: Contender | undefined) => {
          const mine = (contender && blocks.get(contender)) || []
          const base = blocks.get(rawV2) ?? []
          return mine
            .map((block, round) => {
              const other = base[round]
              return block && other ? (block.perSecond / other.perSecond).toFixed(2) : '—'
            })
            .join(' ')
        }
        notes.push(
          `${label}: per-round calls/s ratios to raw v2: mcpkit ${perRoundRatios(mcpkit)}; control ${perRoundRatios(control)}${isIn(mastraV2) ? `; Mastra 2 ${perRoundRatios(mastraV2)}` : ''}`,
        )
      }
    }
    /**
     * The 2026-07-28 era, on the same server process (`/modern`, `createMcpHandler`): raw v2 and
     * mcpkit both negotiating (`auto`), cold, warm and tool calls; and what `auto` costs against
     * a pinned era, on either server, measured interleaved in one loop.
     */
    const modernEra = async () => {
      const participants = [rawV2, control, ...peersAndMcpkit]
      currentPhase = 'modern era wire profile'
      for (const contender of [rawV2, mastraV2, mastraV1, mcpkit]) {
        if (!contender) continue
        const before = await server.stats()
        await ask(contender, { op: 'cold-http', era: 'modern', negotiation: 'auto' })
        await new Promise((resolve) => setTimeout(resolve, 100))
        const methods = diffMethods(before, await server.stats())
        results[`modern wire ${contender.name}`] = methods
        notes.push(
          `modern era, wire of one cold connect + list + close by ${contender.name} (auto): ${contender.error ? `error: ${contender.error}` : describeMethods(methods)}`,
        )
      }

      currentPhase = 'modern era cold HTTP'
      progress(
        `modern era: cold connect + list over Streamable HTTP, auto and pinned, on both servers: ${config.coldHttpRuns} runs each, interleaved`,
      )
      const entry = (
        key: string,
        contender: Contender | undefined,
        era: Era,
        negotiation: Negotiation,
      ) => ({ key, contender, op: 'cold-http' as const, era, negotiation })
      const samples = await cold('modern cold HTTP', config.coldHttpRuns, config.coldHttpWarmup, [
        entry('raw-v2', rawV2, 'modern', 'auto'),
        entry('mastra-v2', mastraV2, 'modern', 'auto'),
        entry('mastra-v1', mastraV1, 'modern', 'auto'),
        entry('mcpkit', mcpkit, 'modern', 'auto'),
        entry('control', control, 'modern', 'auto'),
        entry('raw-v2 pinned', rawV2, 'modern', 'pinned'),
        entry('mcpkit pinned', mcpkit, 'modern', 'pinned'),
        entry('raw-v2 legacy auto', rawV2, 'legacy', 'auto'),
        entry('mcpkit legacy auto', mcpkit, 'legacy', 'auto'),
        entry('raw-v2 legacy pinned', rawV2, 'legacy', 'pinned'),
        entry('mcpkit legacy pinned', mcpkit, 'legacy', 'pinned'),
      ])
      const of = (key: string) => median(samples[key] ?? [])
      const r = Math.round((of('mcpkit') / of('raw-v2')) * 100) / 100
      rows.push({
        metric: 'modern era: cold connect + listToolsets, HTTP median',
        rawV2: shown(rawV2, formatMs(of('raw-v2'))),
        rawV1: '—',
        mcpkit: shown(mcpkit, formatMs(of('mcpkit'))),
        vsV2: ratio(of('mcpkit'), of('raw-v2')),
        vsV1: '—',
        ...peerCells(of, formatMs),
        target: `≤ ${COLD_TARGET}× raw v2`,
        result: verdict(!mcpkit?.error && Number.isFinite(r) && r <= COLD_TARGET),
      })
      rows.push({
        metric: 'modern era: cold connect + listToolsets, HTTP p95',
        rawV2: formatMs(p95(samples['raw-v2'] ?? [])),
        rawV1: '—',
        mcpkit: shown(mcpkit, formatMs(p95(samples.mcpkit ?? []))),
        vsV2: ratio(p95(samples.mcpkit ?? []), p95(samples['raw-v2'] ?? [])),
        vsV1: '—',
        ...peerCells((name) => p95(samples[name] ?? []), formatMs),
        target: '',
        result: '',
      })
      const cost = (auto: string, pinned: string) =>
        `${formatMs(of(auto))} vs ${formatMs(of(pinned))}: ${ratio(of(auto), of(pinned))}`
      for (const [server, prefix] of [
        ['modern server', ''],
        ['legacy server', 'legacy '],
      ] as const) {
        rows.push({
          metric: `  auto vs pinned era, cold HTTP median, ${server}`,
          rawV2: cost(
            `raw-v2 ${prefix}auto`.replace('raw-v2 auto', 'raw-v2'),
            `raw-v2 ${prefix}pinned`,
          ),
          rawV1: '—',
          mcpkit: shown(
            mcpkit,
            cost(`mcpkit ${prefix}auto`.replace('mcpkit auto', 'mcpkit'), `mcpkit ${prefix}pinned`),
          ),
          vsV2: '—',
          vsV1: '—',
          target: '',
          result: '',
        })
      }
      notes.push(
        `modern era, cold HTTP, A/A control (second raw-v2 runner, auto): median ${formatMs(of('control'))} = ${ratio(of('control'), of('raw-v2'))} raw v2`,
      )
      notes.push(
        'modern era: the auto vs pinned rows time a fresh client each run, so every auto run probes; an MCPClient that reconnects, or a pooled one of the same user, reuses the verdict and costs what the pinned era does',
      )
      for (const contender of contenders) {
        if (contender.error)
          notes.push(`${contender.name}: error in the modern cold phase: ${contender.error}`)
        contender.error = undefined
      }

      currentPhase = 'modern era warm list'
      progress('modern era: warm listToolsets() (mcpkit) vs listTools() (raw SDK v2)')
      for (const contender of participants) await ask(contender, { op: 'warm-open', era: 'modern' })
      const list = async (contender: Contender | undefined, count: number, warmup: number) => {
        if (!contender) return { samples: [] as number[], requests: Number.NaN }
        const before = await server.stats()
        const samples =
          (
            await ask<{ samples: number[] }>(contender, {
              op: 'warm-list',
              era: 'modern',
              count,
              warmup,
              budgetMs: config.warmBudgetMs,
            })
          )?.samples ?? []
        const after = await server.stats()
        return {
          samples,
          requests: (after.methods['tools/list'] ?? 0) - (before.methods['tools/list'] ?? 0),
        }
      }
      const rawList = await list(rawV2, config.warmSamplesRaw, 50)
      const peerLists: Record<string, { samples: number[]; requests: number }> = {
        'mastra-v2': await list(mastraV2, config.warmSamplesRaw, 50),
        'mastra-v1': await list(mastraV1, config.warmSamplesRaw, 50),
      }
      const mcpkitList = await list(mcpkit, config.warmSamplesMcpkit, 500)
      results['modern warm'] = { rawV2: rawList, mcpkit: mcpkitList, ...peerLists }
      rows.push({
        metric: 'modern era: warm listToolsets() median',
        rawV2: `${formatMicros(median(rawList.samples))} (listTools)`,
        rawV1: '—',
        mcpkit: shown(mcpkit, formatMicros(median(mcpkitList.samples))),
        vsV2: ratio(median(mcpkitList.samples), median(rawList.samples)),
        vsV1: '—',
        ...peerCells(
          (name) => median(peerLists[name]?.samples ?? []),
          formatMicros,
          median(mcpkitList.samples),
        ),
        target: '< 50 µs',
        result: verdict(!mcpkit?.error && median(mcpkitList.samples) < 50),
      })
      notes.push(
        `modern era, warm: tools/list requests the server received during raw v2's ${config.warmSamplesRaw + 50} listTools() calls: ${rawList.requests}; during mcpkit's ${mcpkitList.samples.length + 500} listToolsets() calls: ${mcpkitList.requests} (its list stays fresh while the subscriptions/listen stream would tell it of a change)`,
      )

      await measureCalls('modern', participants, 'modern era: ')
      currentPhase = 'modern era warm close'
      for (const contender of participants)
        await ask(contender, { op: 'warm-close', era: 'modern' })
    }
    if (phases.has('calls')) await measureCalls('legacy', contenders, '')
    currentPhase = 'warm close'
    for (const contender of contenders) await ask(contender, { op: 'warm-close' })

    // ---- 4. the 2026-07-28 era ----------------------------------------------------------------
    if (phases.has('modern')) await modernEra()

    // ---- 5. tool calls over stdio, both eras ---------------------------------------------------
    // 2025: server-everything (SDK v1; its echo answers `Echo: <message>`), every client
    // negotiating finds 2025. 2026-07-28: the bench's stdio server (SDK v2), no raw v1.
    if (phases.has('stdio-calls')) {
      for (const era of ['legacy', 'modern'] as const) {
        const participants = [
          rawV2,
          ...(era === 'legacy' ? [rawV1] : []),
          control,
          ...peersAndMcpkit,
        ]
        currentPhase = `stdio ${era} warm open`
        for (const contender of participants) {
          await ask(contender, { op: 'warm-open', era, transport: 'stdio' })
          if (contender.error) notes.push(`${contender.name}: stdio ${era}: ${contender.error}`)
        }
        await measureCalls(
          era,
          participants,
          era === 'legacy' ? 'stdio: ' : 'modern era, stdio: ',
          'stdio',
        )
        currentPhase = `stdio ${era} warm close`
        for (const contender of participants) {
          await ask(contender, { op: 'warm-close', era, transport: 'stdio' })
        }
        for (const contender of contenders) contender.error = undefined
      }
    }

    // ---- 4. memory per idle connected client ------------------------------------------------
    if (phases.has('memory')) {
      currentPhase = 'idle memory'
      progress(`memory per idle connected HTTP client: ${config.idleClients} clients per contender`)
      const memoryByEra: Record<string, Record<string, MemoryResult | undefined>> = {}
      for (const era of ['legacy', 'modern'] as const) {
        const label = era === 'modern' ? '2026-07-28' : '2025 era'
        const memory: Record<string, MemoryResult | undefined> = {}
        memoryByEra[era] = memory
        // Raw v1 has no 2026-07-28 era.
        const measured =
          era === 'modern'
            ? [rawV2, mastraV2, mastraV1, mcpkit]
            : [rawV2, rawV1, mastraV2, mastraV1, mcpkit]
        for (const contender of measured) {
          if (!contender) continue
          memory[contender.name] = await ask<MemoryResult>(
            contender,
            { op: 'idle-memory', count: config.idleClients, era },
            config.operationTimeoutMs * 3,
          )
        }
        // mcpkit's clients idle in an `MCPClientPool`, parked.
        if (mcpkit) {
          memory['mcpkit-pooled'] = await ask<MemoryResult>(
            mcpkit,
            { op: 'idle-memory', count: config.idleClients, era, pooled: true },
            config.operationTimeoutMs * 3,
          )
        }
        const line = (metric: string, key: keyof MemoryResult, own = 'mcpkit') => {
          const value = (name: string) =>
            memory[name === 'mcpkit' ? own : name]?.[key] ?? Number.NaN
          rows.push({
            metric: `${metric}, ${label} (${config.idleClients} clients)`,
            rawV2: formatBytes(value('raw-v2')),
            rawV1: formatBytes(value('raw-v1')),
            mcpkit: shown(mcpkit, formatBytes(value('mcpkit'))),
            vsV2: ratio(value('mcpkit'), value('raw-v2')),
            vsV1: ratio(value('mcpkit'), value('raw-v1')),
            ...peerCells(value, formatBytes),
            target: '',
            result: '',
          })
        }
        line('JS heap per idle client, tool list kept', 'heapPerClient')
        line('JS heap per idle pooled mcpkit client, parked', 'heapPerClient', 'mcpkit-pooled')
        const pooledHeap = memory['mcpkit-pooled']?.heapPerClient ?? Number.NaN
        const pooledRow = rows[rows.length - 1]!
        pooledRow.target = '≤ 40 KiB, < every peer'
        pooledRow.result = verdict(
          pooledHeap <= 40 * 1024 &&
            ['raw-v2', 'raw-v1', 'mastra-v2', 'mastra-v1'].every(
              (peer) => !(pooledHeap >= (memory[peer]?.heapPerClient ?? Number.POSITIVE_INFINITY)),
            ),
        )
        line('RSS per idle client', 'rssPerClient')
        notes.push(
          `idle memory, ${label}, external + ArrayBuffers per client: raw v2 ${formatBytes(memory['raw-v2']?.externalPerClient ?? Number.NaN)}, raw v1 ${formatBytes(memory['raw-v1']?.externalPerClient ?? Number.NaN)}, Mastra 2 ${formatBytes(memory['mastra-v2']?.externalPerClient ?? Number.NaN)}, Mastra 1 ${formatBytes(memory['mastra-v1']?.externalPerClient ?? Number.NaN)}, mcpkit ${formatBytes(memory.mcpkit?.externalPerClient ?? Number.NaN)}`,
        )
      }
      results.memory = memoryByEra
    }

    currentPhase = 'end'
    for (const contender of contenders) {
      const handles = await ask<{ resources: string[] }>(contender, { op: 'handles' })
      const open = (handles?.resources ?? []).filter(
        (name) => !['PipeWrap', 'TTYWrap', 'Timeout'].includes(name),
      )
      if (open.length)
        notes.push(
          `${contender.name} runner still has handles open after closing every client: ${open.join(', ')}`,
        )
    }
    const finalStats = await server.stats()
    notes.push(
      `server at the end: ${finalStats.sessionsOpened} sessions opened, ${finalStats.deletes} DELETEs, ${finalStats.openSessions} still open; server RSS ${formatBytes(finalStats.rss)}`,
    )
    for (const contender of contenders) {
      if (contender.error) notes.push(`${contender.name}: last error: ${contender.error}`)
    }
  } finally {
    currentPhase = 'shutdown'
    for (const contender of contenders) await contender.runner.stop()
    await server.stop()
  }

  // ---- report ---------------------------------------------------------------------------------
  console.log('')
  console.log(
    renderTable([
      [
        'metric',
        'raw SDK v2 Client',
        'raw SDK v1 Client',
        `@mastra/mcp ${packageVersion('@mastra/mcp')}`,
        `@mastra/mcp ${packageVersion('@mastra/mcp-1')}`,
        'mcpkit MCPClient',
        'mcpkit / raw v2',
        'mcpkit / raw v1',
        'mcpkit / Mastra 2',
        'mcpkit / Mastra 1',
        'target',
        'result',
      ],
      ...rows.map((row) => [
        row.metric,
        row.rawV2,
        row.rawV1,
        row.mastraV2 ?? '—',
        row.mastraV1 ?? '—',
        row.mcpkit,
        row.vsV2,
        row.vsV1,
        row.vsMastraV2 ?? '—',
        row.vsMastraV1 ?? '—',
        row.target,
        row.result,
      ]),
    ]),
  )
  console.log('')
  for (const note of notes) console.log(`- ${note}`)
  if (warningCounts.size === 0) {
    console.log('- no process warnings (e.g. MaxListenersExceededWarning) in any runner')
  }
  for (const [key, { count, example }] of warningCounts) {
    console.log(`- warnings: ${key} ×${count}, e.g. "${example}"`)
  }
  for (const profile of profiles) {
    console.log('')
    console.log(`profile of the ${profile.name} (per ${profile.unit}): ${profile.file}`)
    console.log(
      summariseProfile(profile.file, {
        top: 30,
        ...(profile.operations > 0 ? { requests: profile.operations } : {}),
      }),
    )
  }
  results.rows = rows
  results.notes = notes
  results.warnings = Object.fromEntries(warningCounts)
  finishRun({ rows, report: results, startedMs: started, loadAtStart, watchdog })
}

function coldRows(
  rows: Row[],
  label: string,
  samples: Record<string, number[]>,
  contenders: {
    rawV2: Contender
    /** Absent on the 2026-07-28 rows (the v1 SDK knows only the 2025 era). */
    rawV1: Contender | undefined
    mcpkit: Contender | undefined
    mastraV2: Contender | undefined
    mastraV1: Contender | undefined
  },
  verdict: (pass: boolean) => Row['result'],
) {
  const { rawV2, rawV1, mcpkit, mastraV2, mastraV1 } = contenders
  const of = (key: string) => samples[key] ?? []
  /** One row: `stat` of each contender's samples under `suffix`, and mcpkit's ratios. */
  const row = (
    metric: string,
    stat: (values: number[]) => number,
    suffix: string,
  ): Omit<Row, 'target' | 'result'> => {
    const value = (name: string) => stat(of(`${name}${suffix}`))
    const mine = value('mcpkit')
    return {
      metric,
      rawV2: shown(rawV2, formatMs(value('raw-v2'))),
      rawV1: rawV1 ? shown(rawV1, formatMs(value('raw-v1'))) : '—',
      mastraV2: shown(mastraV2, formatMs(value('mastra-v2'))),
      mastraV1: shown(mastraV1, formatMs(value('mastra-v1'))),
      mcpkit: shown(mcpkit, formatMs(mine)),
      vsV2: ratio(mine, value('raw-v2')),
      vsV1: rawV1 ? ratio(mine, value('raw-v1')) : '—',
      vsMastraV2: ratio(mine, value('mastra-v2')),
      vsMastraV1: ratio(mine, value('mastra-v1')),
    }
  }
  // Judged on the ratio as shown (two decimals).
  const r = Math.round((median(of('mcpkit')) / median(of('raw-v2'))) * 100) / 100
  rows.push({
    ...row(`${label} median`, median, ''),
    target: `≤ ${COLD_TARGET}× raw v2`,
    result: verdict(!mcpkit?.error && Number.isFinite(r) && r <= COLD_TARGET),
  })
  rows.push({ ...row(`${label} p95`, p95, ''), target: '', result: '' })
  // The same runs timed to the end of close: mcpkit's disconnect() also ends the HTTP session
  // (DELETE), which the raw SDKs' close() does not.
  rows.push({ ...row('  … + disconnect, median', median, ' total'), target: '', result: '' })
}

main().catch((error) => {
  console.error('bench failed:', error)
  process.exit(1)
})
