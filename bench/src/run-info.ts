import { spawnSync } from 'node:child_process'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The bench package's folder, whichever script asks. */
export const benchDirectory = join(dirname(fileURLToPath(import.meta.url)), '..')

/** The positive integer in environment variable `name` (a bench knob), else `fallback`. */
export function intEnv(name: string, fallback: number): number {
  const value = Number(process.env[name])
  return Number.isInteger(value) && value > 0 ? value : fallback
}

/** `items` rotated left by `by`, so contenders take turns going first. */
export function rotate<Item>(items: readonly Item[], by: number): Item[] {
  const shift = by % items.length
  return [...items.slice(shift), ...items.slice(0, shift)]
}

/** The installed version of a bench dependency, for the run header. */
export function packageVersion(name: string): string {
  try {
    const file = join(benchDirectory, 'node_modules', name, 'package.json')
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
  } catch {
    return 'unknown'
  }
}

/** When a file (a dist build) was last written, for the run header. */
export function isoMtime(path: string): string {
  try {
    return statSync(path).mtime.toISOString()
  } catch {
    return '(missing)'
  }
}

/** The commit measured, and whether packages/ had uncommitted changes. */
export function gitDescription(): string {
  const git = (args: string[]) =>
    spawnSync('git', args, { cwd: benchDirectory, encoding: 'utf8' }).stdout?.trim() ?? ''
  const head = git(['rev-parse', '--short', 'HEAD'])
  if (!head) return 'unknown'
  const dirty = git(['status', '--porcelain', '--', '../packages']).length > 0
  return `${head}${dirty ? ' + uncommitted changes in packages/' : ''}`
}

/**
 * Ends a bench run: prints the target tally and the run's duration and load, writes the JSON
 * report when `BENCH_JSON_OUT` asks for it, and exits (1 with `BENCH_STRICT=1` and a failed
 * target).
 */
export function finishRun(run: {
  rows: readonly { result: string }[]
  report: Record<string, unknown>
  startedMs: number
  loadAtStart: number
  watchdog: NodeJS.Timeout
}): never {
  const judged = run.rows.filter((row) => row.result.startsWith('PASS') || row.result === 'FAIL')
  const failed = judged.filter((row) => row.result === 'FAIL').length
  console.log('')
  console.log(
    judged.length
      ? `targets: ${judged.length - failed} passed, ${failed} failed`
      : 'targets: not judged (mcpkit not measured)',
  )
  console.log(
    `total ${((performance.now() - run.startedMs) / 1000).toFixed(1)} s; load avg (1 min) ${run.loadAtStart.toFixed(2)} at start, ${(loadavg()[0] ?? 0).toFixed(2)} at end`,
  )
  if (process.env.BENCH_JSON_OUT) {
    writeFileSync(process.env.BENCH_JSON_OUT, `${JSON.stringify(run.report, null, 2)}\n`)
  }
  clearTimeout(run.watchdog)
  process.exit(process.env.BENCH_STRICT === '1' && failed > 0 ? 1 : 0)
}
