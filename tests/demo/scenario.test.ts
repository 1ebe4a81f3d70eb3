// `pnpm demo --scenario` as a user runs it: a child process that prints the summary table
// and exits 0 only if every check holds, within a time bound.
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { killPids } from '../support/processes.js'

const demoDirectory = join(dirname(fileURLToPath(import.meta.url)), '../../apps/demo')
const TIME_LIMIT_MS = 90_000

describe('pnpm demo --scenario', () => {
  it('runs a multi-user session, prints the summary table and exits 0', async () => {
    // What `pnpm --filter @mcpkit/demo start --scenario` runs, without pnpm in between.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--scenario'], {
      cwd: demoDirectory,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      if (child.pid) void killPids([child.pid])
    }, TIME_LIMIT_MS)
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    clearTimeout(timer)

    expect(timedOut, `the scenario ran past ${TIME_LIMIT_MS} ms; stderr:\n${stderr}`).toBe(false)
    expect(code, `stdout:\n${stdout}\nstderr:\n${stderr}`).toBe(0)
    expect(stdout).toMatch(/^mcpkit demo scenario: 20 users$/m)
    for (const row of [
      'requests',
      'replies',
      'approvals',
      'approval isolation',
      'note isolation',
      'pooled vs fresh',
      'cleanup',
    ]) {
      expect(stdout).toMatch(new RegExp(`^\\| ${row} +\\|.*\\| ok +\\|$`, 'm'))
    }
    expect(stdout).toMatch(/\| approvals +\| 14 approved, 4 denied, 2 expired/)
    expect(stdout).toMatch(/\| isolation +\| 140 responses checked, 0 leaks/)
    expect(stdout).toMatch(/\| pooled client +\| p50 [\d.]+ ms, p95 [\d.]+ ms/)
    expect(stdout).toMatch(/\| fresh client +\| p50 [\d.]+ ms, p95 [\d.]+ ms/)
    expect(stdout).toContain('Result: every check holds')
  }, 120_000)
})
