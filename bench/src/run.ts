/**
 * mcpkit benchmark: MCPClient against the raw MCP SDK `Client`, same servers, same run.
 *
 *   pnpm bench                         (from the repo root: builds, then runs this)
 *   pnpm --filter @mcpkit/bench bench  (runs against the current dist/)
 *
 * Processes: this orchestrator; the Streamable HTTP server (`http-server.ts`); one runner
 * process per contender (`client-runner.ts`: `raw`, `mcpkit`, and `control`, a second raw
 * runner whose ratio to `raw` shows the noise floor). Only one runner works at a time, and the
 * contenders take turns (interleaved), so drift in machine load hits all of them alike.
 *
 * Environment knobs (optional): BENCH_QUICK=1 (fewer iterations), BENCH_COLD_HTTP_RUNS,
 * BENCH_COLD_STDIO_RUNS, BENCH_SEQ_CALLS, BENCH_CONC_CALLS, BENCH_CONCURRENCY,
 * BENCH_IDLE_CLIENTS, BENCH_ROUNDS, BENCH_JSON_RESPONSE=1 (server answers POSTs with JSON
 * instead of SSE), BENCH_PIN=1 (pin clients and servers to separate CPUs), BENCH_STRICT=1
 * (exit 1 when a target fails), BENCH_JSON_OUT=path (also write the results as JSON).
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { type Child, type ChildReply, startChild } from './child-process.js'
import type { CallsResult, MemoryResult, RunnerRequest } from './protocol.js'
import {
  benchDirectory,
  finishRun,
  gitDescription,
  isoMtime,
  packageVersion,
  rotate,
} from './run-info.js'
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
const intEnv = (name: string, fallback: number) => {
  const value = Number.parseInt(process.env[name] ?? '', 10)
  return Number.isFinite(value) && value > 0 ? value : fallback
}
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
  /** A cold-connect phase stops starting runs after this long. */
  coldBudgetMs: 60_000,
  /** One block of calls stops issuing calls after this long. */
  callBlockBudgetMs: 20_000,
  /** Any single runner operation (other than a block of calls) gets this long. */
  operationTimeoutMs: 30_000,
  /** The whole run is abandoned after this long. */
  watchdogMs: 8 * 60_000,
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
  name: string
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

/** One block of calls by one contender in one round (undefined if it failed). */
type Block =
  | { calls: number; perSecond: number; cpuPerCall: number; serverCpuPerCall: number }
  | undefined

// ---------------------------------------------------------------------------------------------
// Report rows

interface Row {
  metric: string
  raw: string
  mcpkit: string
  ratio: string
  target: string
  result: 'PASS' | 'FAIL' | 'n/a' | ''
}

function ratio(value: number, base: number): string {
  const r = value / base
  return Number.isFinite(r) ? `${r.toFixed(2)}×` : '—'
}

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

  console.log('mcpkit bench')
  console.log(`  date         ${new Date().toISOString()}`)
  console.log(`  node         ${process.version} (${process.platform}/${process.arch})`)
  console.log(`  cpu          ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`)
  console.log(
    `  raw SDK      @modelcontextprotocol/sdk ${packageVersion('@modelcontextprotocol/sdk')}`,
  )
  const transportsDist = join(benchDirectory, '..', 'packages', 'transports', 'dist', 'client.js')
  console.log(
    `  mcpkit       ${mcpkitBuilt ? `@mcpkit/mcp-client-core dist built ${isoMtime(mcpkitDist)}, @mcpkit/transports dist built ${isoMtime(transportsDist)}` : 'NOT MEASURED: packages/mcp-client-core/dist is missing (run `pnpm build`)'}`,
  )
  console.log(`  git          ${gitDescription()}`)
  console.log(
    `  HTTP server  bench/src/http-server.ts, own process (McpServer + StreamableHTTPServerTransport, stateful, ${config.jsonResponse ? 'JSON' : 'SSE'} responses)`,
  )
  console.log(
    `  stdio server @modelcontextprotocol/server-everything ${packageVersion('@modelcontextprotocol/server-everything')} (node dist/index.js stdio)`,
  )
  console.log(
    '  clients      one process per contender: raw, mcpkit, control (a second raw: noise floor)',
  )
  console.log(
    `  cpu pinning  ${config.pin ? 'client runners on CPU 0, servers (HTTP and stdio) on CPU 1 (taskset)' : 'off (BENCH_PIN=1 turns it on)'}`,
  )
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
  // Both contenders start the stdio server with the same command line.
  const stdioCommand = config.pin
    ? { command: 'taskset', args: ['-c', '1', process.execPath, everythingEntry, 'stdio'] }
    : { command: process.execPath, args: [everythingEntry, 'stdio'] }
  const contenders: Contender[] = []
  const rows: Row[] = []
  const notes: string[] = []
  const results: Record<string, unknown> = {
    config,
    node: process.version,
    date: new Date().toISOString(),
  }

  try {
    const start = async (name: string, kind: 'raw' | 'mcpkit') => {
      const contender: Contender = {
        name,
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
        stdio: stdioCommand,
      })
      return contender
    }
    const raw = await start('raw', 'raw')
    const control = await start('control', 'raw')
    const mcpkit = mcpkitBuilt ? await start('mcpkit', 'mcpkit') : undefined
    if (raw.error) throw new Error(`raw runner failed to start: ${raw.error}`)
    const measured = !!mcpkit && !mcpkit.error
    const verdict = (pass: boolean): Row['result'] => (!mcpkit ? 'n/a' : pass ? 'PASS' : 'FAIL')

    // ---- wire profile: what one cold connect + list + close sends --------------------------
    currentPhase = 'wire profile'
    for (const contender of [raw, mcpkit]) {
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
      }[],
    ) => {
      const samples: Record<string, number[]> = Object.fromEntries(
        entries.map((entry) => [entry.key, []]),
      )
      const deadline = nowMs() + config.coldBudgetMs
      for (let run = -warmup; run < runs && nowMs() < deadline; run++) {
        for (const entry of rotate(entries, run + warmup)) {
          if (!entry.contender) continue
          const result = await ask<{ ms: number; totalMs: number }>(entry.contender, {
            op: entry.op,
            ...(entry.terminate ? { terminate: true } : {}),
          })
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

    currentPhase = 'cold HTTP'
    progress(
      `cold connect + list over Streamable HTTP: ${config.coldHttpRuns} runs per contender, interleaved`,
    )
    {
      const before = await server.stats()
      const samples = await cold('cold HTTP', config.coldHttpRuns, config.coldHttpWarmup, [
        { key: 'raw', contender: raw, op: 'cold-http' },
        { key: 'mcpkit', contender: mcpkit, op: 'cold-http' },
        { key: 'raw+DELETE', contender: raw, op: 'cold-http', terminate: true },
        { key: 'control', contender: control, op: 'cold-http' },
      ])
      const after = await server.stats()
      coldRows(rows, 'cold connect + listToolsets, HTTP', samples, raw, mcpkit, verdict)
      const plus = samples['raw+DELETE'] ?? []
      notes.push(
        `cold HTTP, raw SDK + transport.terminateSession() (the DELETE mcpkit sends on disconnect): median ${formatMs(median(plus))} (${ratio(median(plus), median(samples.raw ?? []))} raw), p95 ${formatMs(p95(plus))}`,
      )
      notes.push(
        `cold HTTP, A/A control (second raw runner): median ${formatMs(median(samples.control ?? []))} = ${ratio(median(samples.control ?? []), median(samples.raw ?? []))} raw`,
      )
      notes.push(
        `cold HTTP: ${after.deletes - before.deletes} DELETEs received; ${after.openSessions - before.openSessions} sessions left open on the server by this phase (plain raw SDK close() sends no DELETE)`,
      )
    }

    currentPhase = 'cold stdio'
    progress(
      `cold connect + list over stdio (server-everything): ${config.coldStdioRuns} runs per contender, interleaved`,
    )
    {
      const samples = await cold('cold stdio', config.coldStdioRuns, config.coldStdioWarmup, [
        { key: 'raw', contender: raw, op: 'cold-stdio' },
        { key: 'mcpkit', contender: mcpkit, op: 'cold-stdio' },
      ])
      coldRows(rows, 'cold connect + listToolsets, stdio', samples, raw, mcpkit, verdict)
    }
    // Cold-phase failures are in the rows; later phases get a fresh start.
    for (const contender of contenders) {
      if (contender.error)
        notes.push(`${contender.name}: error in the cold phases: ${contender.error}`)
      contender.error = undefined
    }

    // ---- 2. warm listToolsets ----------------------------------------------------------------
    currentPhase = 'warm list'
    progress('warm listToolsets() (mcpkit) vs listTools() (raw SDK)')
    for (const contender of contenders) await ask(contender, { op: 'warm-open' })
    {
      const rawSamples =
        (
          await ask<{ samples: number[] }>(raw, {
            op: 'warm-list',
            count: config.warmSamplesRaw,
            warmup: 50,
            budgetMs: config.warmBudgetMs,
          })
        )?.samples ?? []
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
      results.warm = {
        raw: { n: rawSamples.length, median: median(rawSamples), p95: p95(rawSamples) },
        mcpkit: { n: mcpkitSamples.length, median: mcpkitMedian, p95: p95(mcpkitSamples) },
        mcpkitListTools: {
          n: flatSamples.length,
          median: median(flatSamples),
          p95: p95(flatSamples),
        },
        mcpkitToolsListRequests: listRequests,
      }
      rows.push({
        metric: 'warm listToolsets() median',
        raw: `${formatMicros(median(rawSamples))} (listTools)`,
        mcpkit: shown(mcpkit, formatMicros(mcpkitMedian)),
        ratio: ratio(mcpkitMedian, median(rawSamples)),
        target: '< 50 µs',
        result: verdict(measured && !mcpkit?.error && mcpkitMedian < 50),
      })
      rows.push({
        metric: 'warm listToolsets() p95',
        raw: formatMicros(p95(rawSamples)),
        mcpkit: shown(mcpkit, formatMicros(p95(mcpkitSamples))),
        ratio: ratio(p95(mcpkitSamples), p95(rawSamples)),
        target: '',
        result: '',
      })
      if (flatSamples.length) {
        notes.push(
          `warm mcpkit listTools() (flat ids): median ${formatMicros(median(flatSamples))}, p95 ${formatMicros(p95(flatSamples))}`,
        )
      }
      if (Number.isFinite(listRequests)) {
        notes.push(
          `warm: the server received ${listRequests} tools/list request(s) during mcpkit's ${mcpkitSamples.length + 500} warm listToolsets() calls`,
        )
      }
    }

    // ---- 3. tool-call throughput -------------------------------------------------------------
    currentPhase = 'tool calls warm-up'
    progress(
      `tool calls over Streamable HTTP: ${config.seqCalls} sequential and ${config.concCalls} at concurrency ${config.concurrency} per contender, in ${config.rounds} rotating rounds`,
    )
    for (const contender of contenders) {
      await ask<CallsResult>(
        contender,
        {
          op: 'calls',
          total: config.warmupCalls,
          concurrency: 4,
          budgetMs: config.callBlockBudgetMs,
        },
        config.callBlockBudgetMs + config.operationTimeoutMs,
      )
    }
    for (const [label, total, concurrency] of [
      ['tool calls, sequential', config.seqCalls, 1],
      [`tool calls, ${config.concurrency} concurrent`, config.concCalls, config.concurrency],
    ] as const) {
      currentPhase = label
      // Per round and contender: one block of calls. Contenders' blocks within a round run
      // back to back, so the per-round ratio is paired against the same machine load.
      const blocks = new Map<Contender, Block[]>(contenders.map((contender) => [contender, []]))
      const perRound = Math.ceil(total / config.rounds)
      for (let round = 0; round < config.rounds; round++) {
        for (const contender of rotate(contenders, round)) {
          const before = await server.stats()
          const result = await ask<CallsResult>(
            contender,
            { op: 'calls', total: perRound, concurrency, budgetMs: config.callBlockBudgetMs },
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
      const rawBlocks = blocks.get(raw) ?? []
      const summary = (contender: Contender | undefined) => {
        const mine = (contender && blocks.get(contender)) || []
        const valid = mine.filter((block): block is NonNullable<Block> => block !== undefined)
        const pairedSpeed: number[] = []
        const pairedCpu: number[] = []
        mine.forEach((block, round) => {
          const base = rawBlocks[round]
          if (!block || !base) return
          pairedSpeed.push(block.perSecond / base.perSecond)
          pairedCpu.push(block.cpuPerCall / base.cpuPerCall)
        })
        return {
          calls: valid.reduce((sum, block) => sum + block.calls, 0),
          perSecond: median(valid.map((block) => block.perSecond)),
          cpuPerCall: median(valid.map((block) => block.cpuPerCall)),
          serverCpuPerCall: median(valid.map((block) => block.serverCpuPerCall)),
          speedVsRaw: median(pairedSpeed),
          cpuVsRaw: median(pairedCpu),
          blocks: mine,
        }
      }
      const rawResult = summary(raw)
      const mcpkitResult = summary(mcpkit)
      const controlResult = summary(control)
      results[label] = { raw: rawResult, mcpkit: mcpkitResult, control: controlResult }
      const speed = mcpkitResult.speedVsRaw
      rows.push({
        metric: label,
        raw: formatRate(rawResult.perSecond),
        mcpkit: shown(mcpkit, formatRate(mcpkitResult.perSecond)),
        ratio: Number.isFinite(speed) ? `${speed.toFixed(2)}×` : '—',
        target: '≥ 0.95× raw',
        result: verdict(!mcpkit?.error && Number.isFinite(speed) && speed >= 0.95),
      })
      rows.push({
        metric: `  client CPU per call (${concurrency === 1 ? 'sequential' : 'concurrent'})`,
        raw: formatMicros(rawResult.cpuPerCall),
        mcpkit: shown(mcpkit, formatMicros(mcpkitResult.cpuPerCall)),
        ratio: Number.isFinite(mcpkitResult.cpuVsRaw)
          ? `${mcpkitResult.cpuVsRaw.toFixed(2)}×`
          : '—',
        target: '',
        result: '',
      })
      notes.push(
        `${label}: A/A control (second raw runner) ${formatRate(controlResult.perSecond)}, ${controlResult.speedVsRaw.toFixed(2)}× raw; client CPU ${formatMicros(controlResult.cpuPerCall)}/call, ${controlResult.cpuVsRaw.toFixed(2)}× raw: the noise floor of these ratios`,
      )
      notes.push(
        `${label}: server CPU per call while serving raw ${formatMicros(rawResult.serverCpuPerCall)}, mcpkit ${formatMicros(mcpkitResult.serverCpuPerCall)}, control ${formatMicros(controlResult.serverCpuPerCall)}; calls measured raw ${rawResult.calls}, mcpkit ${mcpkitResult.calls}`,
      )
    }
    currentPhase = 'warm close'
    for (const contender of contenders) await ask(contender, { op: 'warm-close' })

    // ---- 4. memory per idle connected client ------------------------------------------------
    currentPhase = 'idle memory'
    progress(`memory per idle connected HTTP client: ${config.idleClients} clients per contender`)
    {
      const memory: Record<string, MemoryResult | undefined> = {}
      for (const contender of [raw, mcpkit]) {
        if (!contender) continue
        memory[contender.name] = await ask<MemoryResult>(
          contender,
          { op: 'idle-memory', count: config.idleClients },
          config.operationTimeoutMs * 3,
        )
      }
      results.memory = memory
      const line = (metric: string, key: keyof MemoryResult) => {
        rows.push({
          metric: `${metric} (${config.idleClients} clients)`,
          raw: formatBytes(memory.raw?.[key] ?? Number.NaN),
          mcpkit: shown(mcpkit, formatBytes(memory.mcpkit?.[key] ?? Number.NaN)),
          ratio: ratio(memory.mcpkit?.[key] ?? Number.NaN, memory.raw?.[key] ?? Number.NaN),
          target: '',
          result: '',
        })
      }
      line('JS heap per idle client', 'heapPerClient')
      line('RSS per idle client', 'rssPerClient')
      notes.push(
        `idle memory, external + ArrayBuffers per client: raw ${formatBytes(memory.raw?.externalPerClient ?? Number.NaN)}, mcpkit ${formatBytes(memory.mcpkit?.externalPerClient ?? Number.NaN)}`,
      )
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
      ['metric', 'raw SDK Client', 'mcpkit MCPClient', 'mcpkit / raw', 'target', 'result'],
      ...rows.map((row) => [row.metric, row.raw, row.mcpkit, row.ratio, row.target, row.result]),
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
  results.rows = rows
  results.notes = notes
  results.warnings = Object.fromEntries(warningCounts)
  finishRun({ rows, report: results, startedMs: started, loadAtStart, watchdog })
}

function coldRows(
  rows: Row[],
  label: string,
  samples: Record<string, number[]>,
  raw: Contender,
  mcpkit: Contender | undefined,
  verdict: (pass: boolean) => Row['result'],
) {
  const rawSamples = samples.raw ?? []
  const mcpkitSamples = samples.mcpkit ?? []
  const r = median(mcpkitSamples) / median(rawSamples)
  rows.push({
    metric: `${label} median`,
    raw: shown(raw, formatMs(median(rawSamples))),
    mcpkit: shown(mcpkit, formatMs(median(mcpkitSamples))),
    ratio: ratio(median(mcpkitSamples), median(rawSamples)),
    target: '≤ 1.1× raw',
    result: verdict(!mcpkit?.error && Number.isFinite(r) && r <= 1.1),
  })
  rows.push({
    metric: `${label} p95`,
    raw: formatMs(p95(rawSamples)),
    mcpkit: shown(mcpkit, formatMs(p95(mcpkitSamples))),
    ratio: ratio(p95(mcpkitSamples), p95(rawSamples)),
    target: '',
    result: '',
  })
  // The same runs timed to the end of close: mcpkit's disconnect() also ends the HTTP session
  // (DELETE), which the raw SDK's close() does not.
  const rawTotal = samples['raw total'] ?? []
  const mcpkitTotal = samples['mcpkit total'] ?? []
  rows.push({
    metric: `  … + disconnect, median`,
    raw: formatMs(median(rawTotal)),
    mcpkit: shown(mcpkit, formatMs(median(mcpkitTotal))),
    ratio: ratio(median(mcpkitTotal), median(rawTotal)),
    target: '',
    result: '',
  })
}

main().catch((error) => {
  console.error('bench failed:', error)
  process.exit(1)
})
