import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Whether a process with this pid is running (signal 0 probes without signalling). A zombie
 * (exited, not yet reaped by a parent this test does not control, e.g. a container's init)
 * counts as gone.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    // EPERM: it exists but belongs to someone else, so it is alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  return !isZombie(pid)
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Format: `pid (comm) state ...`; comm may contain spaces and parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z'
  } catch {
    return false
  }
}

/**
 * Pids of the running (non-zombie: this container's pid 1 does not reap them) processes whose
 * parent pid and process group match `where`, read from /proc.
 */
function runningProcesses(where: (process: { ppid: number; pgrp: number }) => boolean): number[] {
  const found: number[] = []
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return found
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    let stat: string
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue
    }
    // `pid (comm) state ppid pgrp ...`
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (fields[0] !== 'Z' && where({ ppid: Number(fields[1]), pgrp: Number(fields[2]) })) {
      found.push(Number(entry))
    }
  }
  return found
}

/** Pids of the running processes in process group `pgid`. */
export function processGroupMembers(pgid: number): number[] {
  return runningProcesses(({ pgrp }) => pgrp === pgid)
}

/** Pids of this process's running children. */
export function runningChildren(): number[] {
  return runningProcesses(({ ppid }) => ppid === process.pid)
}

/** Whether any running process is left in the process group `pgid`. */
export function isProcessGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  return processGroupMembers(pgid).length > 0
}

/** Polls `predicate` every `intervalMs` until it is true or `timeoutMs` ran out. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  { timeoutMs = 5000, intervalMs = 25 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await predicate()) return true
    if (Date.now() >= deadline) return false
    await sleep(intervalMs)
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Pids recorded by `record-pid.cjs` in `file` (one a line), in order. */
export function readPids(file: string): number[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return []
  }
  return text
    .split('\n')
    .map((line) => Number.parseInt(line, 10))
    .filter((pid) => Number.isInteger(pid) && pid > 0)
}

/** Waits until `file` lists at least `count` pids and returns them. */
export async function waitForPids(file: string, count = 1, timeoutMs = 10_000): Promise<number[]> {
  await waitFor(() => readPids(file).length >= count, { timeoutMs })
  const pids = readPids(file)
  if (pids.length < count) {
    throw new Error(`expected ${count} pid(s) in ${file}, found ${pids.length}`)
  }
  return pids
}

/** A temporary directory removed by the returned `remove()`. */
export async function makeTempDir(
  prefix: string,
): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `mcpkit-${prefix}-`))
  return { path, remove: () => rm(path, { recursive: true, force: true }) }
}

/**
 * Kills processes this test started, by pid, and waits until they are gone. SIGTERM first,
 * SIGKILL for whatever is left after `graceMs`.
 */
export async function killPids(pids: readonly number[], graceMs = 2000): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM')
    } catch {
      // Already gone.
    }
  }
  const gone = await waitFor(() => pids.every((pid) => !isProcessAlive(pid)), {
    timeoutMs: graceMs,
  })
  if (gone) return
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
  await waitFor(() => pids.every((pid) => !isProcessAlive(pid)), { timeoutMs: graceMs })
}
