import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { type Child, type ChildReply, startChild } from '../child-process.js'
import {
  benchDirectory,
  finishRun,
  gitDescription,
  intEnv,
  isoMtime,
  packageVersion,
  rotate,
} from '../run-info.js'
import { formatBytes, formatMicros, formatRate, median, nowMs, renderTable } from '../stats.js'
import { summariseProfile } from './profile-summary.js'
import type {
  Implementation,
  LoadResult,
  Mode,
  ProbeResult,
  ServerChildRequest,
  TargetHello,
  TargetStats,
} from './protocol.js'

// ---------------------------------------------------------------------------------------------
// Configuration

/**
 * The protocol revision the load speaks: the 2025 era (sessions, `initialize`), which every
 * contender serves. Not the SDK's LATEST_PROTOCOL_VERSION: once that is 2026-07-28, a bare
 * `tools/call` with it in `mcp-protocol-version` would be a modern-era request.
 */
const PROTOCOL_VERSION = '2025-11-25'

const quick = process.env.BENCH_QUICK === '1'
const modes = (process.env.BENCH_SERVER_MODES ?? 'stateful,stateless,modern')
  .split(',')
  .map((mode) => mode.trim())
  .filter((mode): mode is Mode => mode === 'stateful' || mode === 'stateless' || mode === 'modern')
/** What mcpkit must reach against raw v2 in requests/s: 1.2× on the 2026-07-28 path (issue 12). */
const speedGoal = (mode: Mode) => (mode === 'modern' ? 1.2 : 1)
const config = {
  modes,
  rounds: intEnv('BENCH_SERVER_ROUNDS', quick ? 2 : 5),
  durationSeconds: intEnv('BENCH_SERVER_DURATION', quick ? 2 : 3),
  warmupSeconds: intEnv('BENCH_SERVER_WARMUP', quick ? 1 : 2),
  connections: intEnv('BENCH_SERVER_CONNECTIONS', 50),
  /** Every Nth response is parsed in full; all get the cheap check. */
  sampleEvery: 50,
  jsonResponse: process.env.BENCH_JSON_RESPONSE === '1',
  profile: process.env.BENCH_SERVER_PROFILE === '1',
  /** Which targets BENCH_SERVER_PROFILE=1 profiles (BENCH_SERVER_PROFILE_TARGETS). */
  profileTargets: (process.env.BENCH_SERVER_PROFILE_TARGETS ?? 'raw-v2,raw-v1,mcpkit')
    .split(',')
    .map((name) => name.trim()),
  /** Any single child operation other than a load run gets this long. */
  operationTimeoutMs: 30_000,
  /** The whole run is abandoned after this long. */
  watchdogMs: 6 * 60_000,
}

// ---------------------------------------------------------------------------------------------
// Warnings raised in the children, grouped by phase, child and kind

let currentPhase = 'startup'
const warningCounts = new Map<string, { count: number; example: string }>()
const recordWarnings = (child: string) => (warnings: ChildReply['warnings']) => {
  for (const warning of warnings) {
    const key = `${currentPhase} | ${child} | ${warning.name}`
    const entry = warningCounts.get(key)
    if (entry) entry.count++
    else warningCounts.set(key, { count: 1, example: warning.message })
  }
}

// ---------------------------------------------------------------------------------------------
// Contenders

interface Contender {
  name: 'raw-v2' | 'raw-v1' | 'mcpkit' | 'control'
  implementation: Implementation
  target: Child<ServerChildRequest, TargetHello>
  url: string
  sessionIds: string[]
  protocolVersion: string
  /** The first error; the contender is not loaded again in that mode. */
  error?: string | undefined
}

/** One run of autocannon against one contender in one round. */
interface Block {
  round: number
  load: LoadResult
  requestsPerSecond: number
  serverCpuPerRequest: number
  /** Server CPU time over wall time: near 1.0 means the target had a core to itself, busy. */
  serverUtilisation: number
  loadgenCpuPerRequest: number
  toolCalls: number
  /** The target's JS heap after a full GC, just before this block. */
  heapBeforeBytes: number
  /** Why the block does not count (errors, bad bodies, tool calls that do not add up). */
  invalid?: string
}

type Verdict = 'PASS' | 'PASS, aim met' | 'FAIL' | 'n/a' | ''

interface Row {
  metric: string
  rawV2: string
  rawV1: string
  mcpkit: string
  /** mcpkit / raw v2 (the SDK mcpkit wraps). */
  vsV2: string
  /** mcpkit / raw v1 (for continuity with earlier figures). */
  vsV1: string
  /** A/A control (a second raw v2) / raw v2: the noise floor. */
  control: string
  target: string
  /** The target judged against raw v2. */
  result: Verdict
  /** The same target judged against raw v1. */
  resultV1: Verdict
}

const times = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : '—')
const formatLatency = (ms: number) => (Number.isFinite(ms) ? `${ms.toFixed(0)} ms` : 'n/a')

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const started = nowMs()
  const watchdog = setTimeout(() => {
    console.error(`bench:server: watchdog fired after ${config.watchdogMs / 1000} s; giving up`)
    process.exit(2)
  }, config.watchdogMs)

  const mcpkitDist = join(benchDirectory, '..', 'packages', 'mcp-server-core', 'dist', 'index.js')
  const transportsDist = join(benchDirectory, '..', 'packages', 'transports', 'dist')
  const mcpkitBuilt = existsSync(mcpkitDist)
  const loadAtStart = loadavg()[0] ?? 0
  const profileDirectory = config.profile
    ? join(benchDirectory, 'results', 'profiles', new Date().toISOString().replace(/[:.]/g, '-'))
    : undefined

  console.log('mcpkit server bench')
  console.log(`  date         ${new Date().toISOString()}`)
  console.log(`  node         ${process.version} (${process.platform}/${process.arch})`)
  console.log(`  cpu          ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`)
  console.log(
    `  raw SDK v2   @modelcontextprotocol/server ${packageVersion('@modelcontextprotocol/server')}, @modelcontextprotocol/node ${packageVersion('@modelcontextprotocol/node')}: the baseline`,
  )
  console.log(
    `  raw SDK v1   @modelcontextprotocol/sdk ${packageVersion('@modelcontextprotocol/sdk')}, for continuity`,
  )
  console.log(
    `  mcpkit       ${mcpkitBuilt ? `@mcpkit/mcp-server-core dist built ${isoMtime(mcpkitDist)}, @mcpkit/transports dist built ${isoMtime(transportsDist)}` : 'NOT MEASURED: packages/mcp-server-core/dist is missing (run `pnpm build`)'}`,
  )
  console.log(`  git          ${gitDescription()}`)
  console.log(
    `  targets      one process per contender and mode, node:http on 127.0.0.1, ${config.jsonResponse ? 'JSON' : 'SSE'} responses:`,
  )
  console.log(
    `    raw-v2     stateful: McpServer + NodeStreamableHTTPServerTransport({ sessionIdGenerator: randomUUID }) per initialize and a session map (v2 docs, serving/sessions-state-scaling.md); stateless: ${config.jsonResponse ? 'McpServer + NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true }) per POST (createMcpHandler has no JSON option for 2025-era requests)' : 'createMcpHandler(factory) + toNodeHandler (v2 docs, serving/http.md), a fresh McpServer per request'}; modern: createMcpHandler(factory, { legacy: 'reject' }) + toNodeHandler; all behind localhostHostValidation() + localhostOriginValidation()`,
  )
  console.log(
    "    raw-v1     McpServer + StreamableHTTPServerTransport as v1's simpleStreamableHttp / simpleStatelessStreamableHttp examples",
  )
  console.log(
    '    mcpkit     MCPServer.startHTTP (modern: its defaults, 2025 sessions and 2026-07-28 on one endpoint); control: a second raw-v2 (the noise floor)',
  )
  console.log(
    `  load         autocannon ${packageVersion('autocannon')} in its own process, ${config.connections} connections, pipelining 1, tools/call echo; stateful: one session per connection, reused; stateless: no session, no initialize; modern: 2026-07-28 requests (_meta envelope, Mcp-Method / Mcp-Name), no session`,
  )
  console.log(
    `  runs         ${config.modes.join(' and ')}: ${config.warmupSeconds} s warm-up per contender, then ${config.rounds} rounds × ${config.durationSeconds} s per contender, order rotated each round`,
  )
  console.log(`  load avg     ${loadAtStart.toFixed(2)} (1 min) at start`)
  if (loadAtStart > 0.7) {
    console.log(
      '  WARNING      the machine was busy in the last minute (an earlier run counts too); ratios get noisier',
    )
  }
  if (profileDirectory) console.log(`  profiles     ${profileDirectory}`)
  console.log('')
  const progress = (message: string) =>
    console.log(`[${((nowMs() - started) / 1000).toFixed(1).padStart(5)} s] ${message}`)

  const rows: Row[] = []
  const notes: string[] = []
  const results: Record<string, unknown> = {
    config,
    node: process.version,
    date: new Date().toISOString(),
  }
  const profiles: { name: string; directory: string; requests?: number }[] = []

  const loadgen = await startChild<ServerChildRequest, { pid: number }>({
    name: 'loadgen',
    script: join(benchDirectory, 'src', 'server', 'loadgen.ts'),
    args: [],
    onWarnings: recordWarnings('loadgen'),
  })
  let targets: Contender[] = []
  try {
    for (const mode of config.modes) {
      currentPhase = `${mode} setup`
      progress(
        `${mode}: starting targets, ${mode === 'stateful' ? `opening ${config.connections} sessions each, ` : ''}probing one call each`,
      )
      targets = []
      const start = async (name: Contender['name'], implementation: Implementation) => {
        let directory: string | undefined
        if (profileDirectory && name !== 'control' && config.profileTargets.includes(name)) {
          directory = join(profileDirectory, `${name}-${mode}`)
          mkdirSync(directory, { recursive: true })
          profiles.push({ name: `${name} ${mode}`, directory })
        }
        const target = await startChild<ServerChildRequest, TargetHello>({
          name: `${name} ${mode} target`,
          script: join(benchDirectory, 'src', 'server', 'target.ts'),
          args: [implementation, mode],
          nodeOptions: directory ? ['--cpu-prof', `--cpu-prof-dir=${directory}`] : [],
          onWarnings: recordWarnings(`${name} target`),
        })
        const contender: Contender = {
          name,
          implementation,
          target,
          url: `http://127.0.0.1:${target.hello.port}/mcp`,
          sessionIds: [],
          protocolVersion: mode === 'modern' ? '2026-07-28' : PROTOCOL_VERSION,
        }
        targets.push(contender)
        return contender
      }
      const raw = await start('raw-v2', 'raw-v2')
      const rawV1 = await start('raw-v1', 'raw-v1')
      let mcpkit: Contender | undefined
      if (mcpkitBuilt) {
        try {
          mcpkit = await start('mcpkit', 'mcpkit')
        } catch (error) {
          notes.push(
            `${mode}: the mcpkit target did not start: ${(error as Error).message.slice(0, 300)}`,
          )
        }
      }
      const control = await start('control', 'raw-v2')
      const contenders = [raw, rawV1, mcpkit, control].filter(
        (contender): contender is Contender => contender !== undefined,
      )

      // The SDK v1 has no 2026-07-28 era: nothing to measure there.
      if (mode === 'modern') rawV1.error = 'n/a: SDK v1 speaks 2025 revisions only'
      // Sessions (stateful) and one probe call per contender, checked in full.
      for (const contender of contenders) {
        if (contender.error) continue
        try {
          if (mode === 'stateful') {
            const opened = await loadgen.request<{ sessionIds: string[]; protocolVersion: string }>(
              {
                op: 'open-sessions',
                url: contender.url,
                count: config.connections,
                protocolVersion: PROTOCOL_VERSION,
              },
              config.operationTimeoutMs * 2,
            )
            contender.sessionIds = opened.sessionIds
            contender.protocolVersion = opened.protocolVersion
          }
          const probe = await loadgen.request<ProbeResult>(
            {
              op: 'probe',
              url: contender.url,
              protocolVersion: contender.protocolVersion,
              ...(contender.sessionIds[0] ? { sessionId: contender.sessionIds[0] } : {}),
            },
            config.operationTimeoutMs,
          )
          results[`${mode} probe ${contender.name}`] = probe
          if (!probe.valid) {
            throw new Error(
              `probe tools/call answered ${probe.status} (${probe.contentType}): ${probe.body.slice(0, 300)}`,
            )
          }
          if (contender.name !== 'control') {
            notes.push(
              `${mode} ${contender.name}: probe tools/call → ${probe.status} ${probe.contentType}, ${JSON.stringify(probe.body.length > 200 ? `${probe.body.slice(0, 200)}…` : probe.body)}`,
            )
          }
        } catch (error) {
          contender.error = (error as Error).message
        }
      }
      if (raw.error) throw new Error(`${mode}: the raw-v2 target failed: ${raw.error}`)

      // Warm-up: one run per contender (JIT, connection setup), not measured.
      currentPhase = `${mode} warm-up`
      progress(`${mode}: warm-up, ${config.warmupSeconds} s per contender`)
      for (const contender of contenders) {
        await runBlock(loadgen, contender, -1, config.warmupSeconds)
      }

      currentPhase = `${mode} rounds`
      progress(
        `${mode}: ${config.rounds} rounds × ${config.durationSeconds} s per contender, interleaved`,
      )
      const blocks = new Map<Contender, (Block | undefined)[]>(
        contenders.map((contender) => [contender, []]),
      )
      for (let round = 0; round < config.rounds; round++) {
        for (const contender of rotate(contenders, round)) {
          blocks
            .get(contender)
            ?.push(await runBlock(loadgen, contender, round, config.durationSeconds))
        }
      }

      const finalStats: Partial<Record<Contender['name'], TargetStats | undefined>> = {}
      for (const contender of contenders) {
        // After a full GC, so heap growth over the rounds shows what requests leave behind.
        finalStats[contender.name] = await contender.target
          .request({ op: 'gc' }, config.operationTimeoutMs)
          .then(() => new Promise((resolve) => setTimeout(resolve, 50)))
          .then(() =>
            contender.target.request<TargetStats>({ op: 'stats' }, config.operationTimeoutMs),
          )
          .catch(() => undefined)
      }
      summarise(
        mode,
        contenders,
        blocks,
        { raw, rawV1, mcpkit, control },
        mcpkitBuilt,
        rows,
        notes,
        results,
      )
      for (const profile of profiles) {
        for (const contender of contenders) {
          const requests = finalStats[contender.name]?.toolCalls
          if (profile.name === `${contender.name} ${mode}` && requests) profile.requests = requests
        }
      }
      const heapGrowth = (contender: Contender) => {
        const mine = blocks.get(contender) ?? []
        const first = mine.find((block) => block !== undefined)
        const end = finalStats[contender.name]?.heapUsed
        const requests = mine.reduce((sum, block) => sum + (block?.toolCalls ?? 0), 0)
        if (!first || end === undefined || requests === 0) return 'n/a'
        const growth = end - first.heapBeforeBytes
        return `${formatBytes(first.heapBeforeBytes)} → ${formatBytes(end)} (${formatBytes((growth / requests) * 1000)} per 1000 requests)`
      }
      notes.push(
        `${mode}: target JS heap after a full GC, before the first round → after the last: ${contenders.map((contender) => `${contender.name} ${heapGrowth(contender)}`).join('; ')}`,
      )
      notes.push(
        `${mode}: server RSS at the end: ${contenders.map((contender) => `${contender.name} ${formatBytes(finalStats[contender.name]?.rss ?? Number.NaN)}`).join(', ')}${mode === 'stateful' ? `; sessions open: raw-v2 ${finalStats['raw-v2']?.sessions ?? '?'}, raw-v1 ${finalStats['raw-v1']?.sessions ?? '?'}` : ''}`,
      )
      for (const contender of contenders) {
        if (contender.error) notes.push(`${mode} ${contender.name}: error: ${contender.error}`)
      }
      currentPhase = `${mode} shutdown`
      for (const contender of targets) await contender.target.stop()
      targets = []
    }
  } finally {
    currentPhase = 'shutdown'
    for (const contender of targets) await contender.target.stop()
    await loadgen.stop()
  }

  // ---- report ---------------------------------------------------------------------------------
  console.log('')
  console.log(
    renderTable([
      [
        'metric',
        'raw SDK v2',
        'raw SDK v1',
        'mcpkit MCPServer',
        'mcpkit / raw v2',
        'mcpkit / raw v1',
        'A/A control / raw v2',
        'target',
        'result vs v2',
        'result vs v1',
      ],
      ...rows.map((row) => [
        row.metric,
        row.rawV2,
        row.rawV1,
        row.mcpkit,
        row.vsV2,
        row.vsV1,
        row.control,
        row.target,
        row.result,
        row.resultV1,
      ]),
    ]),
  )
  console.log('')
  for (const note of notes) console.log(`- ${note}`)
  if (warningCounts.size === 0) {
    console.log(
      '- no process warnings (e.g. MaxListenersExceededWarning) in any target or the load generator',
    )
  }
  for (const [key, { count, example }] of warningCounts) {
    console.log(`- warnings: ${key} ×${count}, e.g. "${example}"`)
  }
  if (profiles.length) {
    console.log('')
    for (const profile of profiles) {
      // The largest profile is the main thread's; the others are tsx's module-loader thread.
      const [file] = readdirSync(profile.directory)
        .filter((name) => name.endsWith('.cpuprofile'))
        .map((name) => join(profile.directory, name))
        .sort((a, b) => statSync(b).size - statSync(a).size)
      if (!file) continue
      console.log(`profile of the ${profile.name} target (main thread): ${file}`)
      console.log(
        summariseProfile(file, {
          top: 25,
          ...(profile.requests ? { requests: profile.requests } : {}),
        }),
      )
      console.log('')
    }
  }
  results.rows = rows
  results.notes = notes
  results.warnings = Object.fromEntries(warningCounts)
  // Each target is judged twice: against raw v2 (the SDK mcpkit wraps) and raw v1.
  const judged = rows.flatMap((row) => [{ result: row.result }, { result: row.resultV1 }])
  finishRun({ rows: judged, report: results, startedMs: started, loadAtStart, watchdog })
}

/** One autocannon run against `contender`, with the target's CPU and tool calls around it. */
async function runBlock(
  loadgen: Child<ServerChildRequest, { pid: number }>,
  contender: Contender,
  round: number,
  durationSeconds: number,
): Promise<Block | undefined> {
  if (contender.error) return undefined
  try {
    await contender.target.request({ op: 'gc' }, config.operationTimeoutMs)
    // Let the GC's aftermath (finalizers, freed sockets) settle before the clock starts.
    await new Promise((resolve) => setTimeout(resolve, 50))
    const before = await contender.target.request<TargetStats>(
      { op: 'stats' },
      config.operationTimeoutMs,
    )
    const load = await loadgen.request<LoadResult>(
      {
        op: 'load',
        url: contender.url,
        sessionIds: contender.sessionIds,
        protocolVersion: contender.protocolVersion,
        connections: config.connections,
        durationSeconds,
        sampleEvery: config.sampleEvery,
      },
      // autocannon stops at the first 1 s tick after the duration; 10 s request timeout.
      (durationSeconds + 15) * 1000 + config.operationTimeoutMs,
    )
    // Requests cut off at the end may still be finishing on the server: let them.
    await new Promise((resolve) => setTimeout(resolve, 100))
    const after = await contender.target.request<TargetStats>(
      { op: 'stats' },
      config.operationTimeoutMs,
    )
    const toolCalls = after.toolCalls - before.toolCalls
    const problems: string[] = []
    if (load.ok <= 0) problems.push('no successful response')
    if (load.non2xx) problems.push(`${load.non2xx} non-2xx (${JSON.stringify(load.statusCodes)})`)
    if (load.errors) problems.push(`${load.errors} connection errors`)
    if (load.timeouts) problems.push(`${load.timeouts} timeouts`)
    if (load.mismatches) problems.push(`${load.mismatches} bodies that are not a successful echo`)
    if (load.sampledValid !== load.sampled) {
      problems.push(`${load.sampled - load.sampledValid} of ${load.sampled} sampled bodies invalid`)
    }
    // Every counted success ran the tool; at most one request per connection was cut off.
    if (toolCalls < load.ok || toolCalls > load.ok + load.mismatches + config.connections) {
      problems.push(`the tool ran ${toolCalls} times for ${load.ok} successful responses`)
    }
    if (problems.length && load.firstBadBody) {
      problems.push(`first bad body: ${JSON.stringify(load.firstBadBody.slice(0, 200))}`)
    }
    return {
      round,
      load,
      requestsPerSecond: load.ok / load.durationSeconds,
      serverCpuPerRequest: (after.cpuMicros - before.cpuMicros) / Math.max(1, load.ok),
      serverUtilisation: (after.cpuMicros - before.cpuMicros) / (load.durationSeconds * 1e6),
      loadgenCpuPerRequest: load.loadgenCpuMicros / Math.max(1, load.ok),
      toolCalls,
      heapBeforeBytes: before.heapUsed,
      ...(problems.length ? { invalid: problems.join('; ') } : {}),
    }
  } catch (error) {
    contender.error = (error as Error).message
    return undefined
  }
}

function summarise(
  mode: Mode,
  contenders: Contender[],
  blocks: Map<Contender, (Block | undefined)[]>,
  named: {
    raw: Contender
    rawV1: Contender
    mcpkit: Contender | undefined
    control: Contender
  },
  mcpkitBuilt: boolean,
  rows: Row[],
  notes: string[],
  results: Record<string, unknown>,
): void {
  const { raw, rawV1, mcpkit, control } = named
  const valid = (block: Block | undefined): block is Block => !!block && !block.invalid
  const summary = (contender: Contender | undefined) => {
    const mine = (contender && blocks.get(contender)) || []
    const good = mine.filter(valid)
    /** Median of per-round ratios to `base` (each round's runs are back to back). */
    const paired = (base: Contender, value: (block: Block) => number) => {
      const baseBlocks = blocks.get(base) ?? []
      const ratios: number[] = []
      mine.forEach((block, index) => {
        const other = baseBlocks[index]
        if (valid(block) && valid(other)) ratios.push(value(block) / value(other))
      })
      return median(ratios)
    }
    const against = (base: Contender) => ({
      speed: paired(base, (block) => block.requestsPerSecond),
      p50: paired(base, (block) => block.load.latencyMs.p50),
      p99: paired(base, (block) => block.load.latencyMs.p99),
      cpu: paired(base, (block) => block.serverCpuPerRequest),
    })
    return {
      rounds: good.length,
      invalid: mine.filter((block) => block?.invalid).map((block) => block?.invalid),
      requests: good.reduce((sum, block) => sum + block.load.ok, 0),
      requestsPerSecond: median(good.map((block) => block.requestsPerSecond)),
      p50: median(good.map((block) => block.load.latencyMs.p50)),
      p99: median(good.map((block) => block.load.latencyMs.p99)),
      serverCpuPerRequest: median(good.map((block) => block.serverCpuPerRequest)),
      loadgenCpuPerRequest: median(good.map((block) => block.loadgenCpuPerRequest)),
      serverUtilisation: median(good.map((block) => block.serverUtilisation)),
      sampled: good.reduce((sum, block) => sum + block.load.sampled, 0),
      vsV2: against(raw),
      vsV1: against(rawV1),
      blocks: mine,
    }
  }
  const rawResult = summary(raw)
  const rawV1Result = summary(rawV1)
  const mcpkitResult = summary(mcpkit)
  const controlResult = summary(control)
  results[mode] = {
    rawV2: rawResult,
    rawV1: rawV1Result,
    mcpkit: mcpkitResult,
    control: controlResult,
  }
  const measured = !!mcpkit && !mcpkit.error && mcpkitResult.rounds > 0
  const v1Measured = !rawV1.error && rawV1Result.rounds > 0
  const shown = (text: string) =>
    !mcpkitBuilt
      ? 'not measured'
      : !mcpkit
        ? 'did not start'
        : mcpkit.error
          ? `error: ${mcpkit.error.slice(0, 60)}`
          : mcpkitResult.rounds === 0
            ? 'invalid (see notes)'
            : text
  const shownV1 = (text: string) =>
    rawV1.error
      ? `error: ${rawV1.error.slice(0, 60)}`
      : rawV1Result.rounds === 0
        ? 'invalid (see notes)'
        : text
  // Judged on the ratio as shown (two decimals), so the table never reads "1.00× FAIL".
  const judge = (ratio: number, baseMeasured: boolean): Verdict => {
    const speed = Math.round(ratio * 100) / 100
    if (!measured) return mcpkitBuilt ? 'FAIL' : 'n/a'
    if (!baseMeasured) return 'n/a'
    if (mode === 'modern') return speed >= speedGoal(mode) ? 'PASS' : 'FAIL'
    return speed >= 1.5 ? 'PASS, aim met' : speed >= 1 ? 'PASS' : 'FAIL'
  }
  const ratioCell = (value: number, baseMeasured = true) =>
    measured && baseMeasured ? times(value) : '—'
  rows.push({
    metric: `${mode}: requests/s (median of rounds)`,
    rawV2: formatRate(rawResult.requestsPerSecond),
    rawV1: shownV1(formatRate(rawV1Result.requestsPerSecond)),
    mcpkit: shown(formatRate(mcpkitResult.requestsPerSecond)),
    vsV2: ratioCell(mcpkitResult.vsV2.speed),
    vsV1: ratioCell(mcpkitResult.vsV1.speed, v1Measured),
    control: times(controlResult.vsV2.speed),
    target: mode === 'modern' ? '≥ 1.2× raw v2' : '≥ 1.0× raw (aim 1.5×)',
    result: judge(mcpkitResult.vsV2.speed, true),
    resultV1: judge(mcpkitResult.vsV1.speed, v1Measured),
  })
  const detail = (
    metric: string,
    format: (result: ReturnType<typeof summary>) => string,
    key: 'p50' | 'p99' | 'cpu',
  ) =>
    rows.push({
      metric: `${mode}:   ${metric}`,
      rawV2: format(rawResult),
      rawV1: shownV1(format(rawV1Result)),
      mcpkit: shown(format(mcpkitResult)),
      vsV2: ratioCell(mcpkitResult.vsV2[key]),
      vsV1: ratioCell(mcpkitResult.vsV1[key], v1Measured),
      control: times(controlResult.vsV2[key]),
      target: '',
      result: '',
      resultV1: '',
    })
  detail('latency p50', (result) => formatLatency(result.p50), 'p50')
  detail('latency p99', (result) => formatLatency(result.p99), 'p99')
  detail('server CPU per request', (result) => formatMicros(result.serverCpuPerRequest), 'cpu')

  const perRound = (result: ReturnType<typeof summary>) =>
    result.blocks
      .map((block) =>
        !block ? 'failed' : block.invalid ? 'invalid' : formatRate(block.requestsPerSecond),
      )
      .join(', ')
  notes.push(
    `${mode}: requests/s per round: raw-v2 ${perRound(rawResult)}; raw-v1 ${perRound(rawV1Result)}; mcpkit ${mcpkit ? perRound(mcpkitResult) : '—'}; control ${perRound(controlResult)}`,
  )
  notes.push(
    `${mode}: successful tool calls measured raw-v2 ${rawResult.requests}, raw-v1 ${rawV1Result.requests}, mcpkit ${mcpkitResult.requests}, control ${controlResult.requests}; each body checked (result, echoed text, no isError), ${rawResult.sampled + rawV1Result.sampled + mcpkitResult.sampled + controlResult.sampled} parsed in full, all valid; tool executions match the 2xx count in every counted round`,
  )
  const capacity = (result: ReturnType<typeof summary>) =>
    formatRate(1e6 / result.serverCpuPerRequest)
  notes.push(
    `${mode}: requests per server CPU-second (1 / CPU per request, what each would serve with a core to itself; steadier than requests/s on a shared machine): raw-v2 ${capacity(rawResult)}, raw-v1 ${capacity(rawV1Result)}, mcpkit ${capacity(mcpkitResult)}; mcpkit / raw v2 ${measured ? times(1 / mcpkitResult.vsV2.cpu) : '—'}, mcpkit / raw v1 ${measured && v1Measured ? times(1 / mcpkitResult.vsV1.cpu) : '—'} (A/A control ${times(1 / controlResult.vsV2.cpu)}); raw v1 / raw v2 ${v1Measured ? times(1 / rawV1Result.vsV2.cpu) : '—'}`,
  )
  notes.push(
    `${mode}: raw v1 / raw v2 (the SDKs themselves): ${v1Measured ? times(rawV1Result.vsV2.speed) : '—'} requests/s, ${v1Measured ? times(rawV1Result.vsV2.cpu) : '—'} server CPU per request`,
  )
  const utilisation = (value: number) =>
    Number.isFinite(value) ? `${(value * 100).toFixed(0)}%` : 'n/a'
  notes.push(
    `${mode}: target CPU use during a run (of one core): raw-v2 ${utilisation(rawResult.serverUtilisation)}, raw-v1 ${utilisation(rawV1Result.serverUtilisation)}, mcpkit ${utilisation(mcpkitResult.serverUtilisation)}, control ${utilisation(controlResult.serverUtilisation)}; load generator CPU per request: raw-v2 ${formatMicros(rawResult.loadgenCpuPerRequest)}, raw-v1 ${formatMicros(rawV1Result.loadgenCpuPerRequest)}, mcpkit ${formatMicros(mcpkitResult.loadgenCpuPerRequest)}, control ${formatMicros(controlResult.loadgenCpuPerRequest)} (it shares the 2 cores with the target)`,
  )
  for (const contender of contenders) {
    const invalid = summary(contender).invalid
    if (invalid.length) {
      notes.push(
        `${mode} ${contender.name}: ${invalid.length} round(s) not counted: ${invalid[0]?.slice(0, 400)}`,
      )
    }
  }
}

main().catch((error) => {
  console.error('bench:server failed:', error)
  process.exit(1)
})
