/**
 * Import cost, in fresh processes: `import { MCPClient } from '@mcpkit/mcp-client-core'`
 * against the raw SDK v2 `Client` (`@modelcontextprotocol/client`, the target's reference) and
 * the raw SDK v1 one, interleaved (order rotated every round), each import alone in a new
 * `node --expose-gc probe.mjs` process. Per contender: the median import time and JS heap
 * added (after a full GC), the ratio to raw v2 and v1, and the modules loaded.
 *
 *   pnpm --filter @mcpkit/bench bench:import            # 15 rounds
 *   IMPORT_ROUNDS=30 pnpm --filter @mcpkit/bench bench:import
 *
 * Target: mcpkit ≤ 1.1× raw v2 in time and in heap. Exits 0 whatever the result
 * (`BENCH_STRICT=1`: 1 on a FAIL).
 */
import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { median } from '../stats.js'

const execFileAsync = promisify(execFile)
const benchDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const ROUNDS = Number(process.env.IMPORT_ROUNDS ?? 15)

const contenders = [
  { name: 'raw SDK v2 Client', specifier: '@modelcontextprotocol/client', exportName: 'Client' },
  {
    name: 'raw SDK v1 Client',
    specifier: '@modelcontextprotocol/sdk/client/index.js',
    exportName: 'Client',
  },
  { name: 'mcpkit MCPClient', specifier: '@mcpkit/mcp-client-core', exportName: 'MCPClient' },
] as const

interface Sample {
  importMs: number
  heapBytes: number
  modules: string[]
}

async function probe(specifier: string, exportName: string, urls: boolean): Promise<Sample> {
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--expose-gc', join('src', 'import', 'probe.mjs'), specifier, exportName],
    {
      cwd: benchDirectory,
      timeout: 30_000,
      env: { ...process.env, IMPORT_PROBE_URLS: urls ? '1' : '0' },
    },
  )
  return JSON.parse(stdout) as Sample
}

const samples = new Map<string, Sample[]>(contenders.map(({ name }) => [name, []]))
const roundRatios = new Map<string, number[]>(contenders.map(({ name }) => [name, []]))
const started = performance.now()
for (let round = 0; round < ROUNDS; round++) {
  const order = contenders.map((_, index) => contenders[(index + round) % contenders.length])
  const times = new Map<string, number>()
  for (const contender of order) {
    if (!contender) continue
    const sample = await probe(contender.specifier, contender.exportName, false)
    samples.get(contender.name)?.push(sample)
    times.set(contender.name, sample.importMs)
  }
  const base = times.get('raw SDK v2 Client') ?? Number.NaN
  for (const { name } of contenders) roundRatios.get(name)?.push((times.get(name) ?? 0) / base)
}
// The probe lists modules through `module.registerHooks` (Node 22.15 and later).
const countsModules = 'registerHooks' in (await import('node:module'))
const modules = new Map<string, number | string>()
for (const contender of contenders) {
  modules.set(
    contender.name,
    countsModules
      ? (await probe(contender.specifier, contender.exportName, true)).modules.length
      : 'n/a (Node < 22.15)',
  )
}

const row = (name: string) => {
  const mine = samples.get(name) ?? []
  return {
    ms: median(mine.map((sample) => sample.importMs)),
    heap: median(mine.map((sample) => sample.heapBytes)),
  }
}
const v2 = row('raw SDK v2 Client')
const v1 = row('raw SDK v1 Client')
console.log(
  `\nimport cost, fresh processes, ${ROUNDS} interleaved rounds, Node ${process.version}\n`,
)
console.log(
  '| contender | import time (median) | JS heap added (median) | modules | time / raw v2 (paired) | heap / raw v2 | time / raw v1 | heap / raw v1 |',
)
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
for (const { name } of contenders) {
  const mine = row(name)
  console.log(
    `| ${name} | ${mine.ms.toFixed(1)} ms | ${(mine.heap / 1024 / 1024).toFixed(2)} MiB | ${modules.get(name)} | ${median(roundRatios.get(name) ?? []).toFixed(2)}× | ${(mine.heap / v2.heap).toFixed(2)}× | ${(mine.ms / v1.ms).toFixed(2)}× | ${(mine.heap / v1.heap).toFixed(2)}× |`,
  )
}
const mcpkit = row('mcpkit MCPClient')
const timeRatio = median(roundRatios.get('mcpkit MCPClient') ?? [])
const heapRatio = mcpkit.heap / v2.heap
const pass = timeRatio <= 1.1 && heapRatio <= 1.1
console.log(
  `\ntarget: mcpkit ≤ 1.1× raw v2 in time (${timeRatio.toFixed(2)}×) and heap (${heapRatio.toFixed(2)}×): ${pass ? 'PASS' : 'FAIL'}; ${((performance.now() - started) / 1000).toFixed(1)} s`,
)
if (!pass && process.env.BENCH_STRICT === '1') process.exitCode = 1
