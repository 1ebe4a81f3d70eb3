import { EventEmitter } from 'node:events'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Socket } from 'node:net'
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

/** The processes of one pid file, as their exit beacons (`exit-beacon.cjs`) report them. */
export interface ExitWatch {
  /** Resolves once each of `pids` has reported in; rejects after `timeoutMs`, naming the rest. */
  reported(pids: readonly number[], timeoutMs: number): Promise<void>
  /**
   * Resolves once each of `pids` has exited (its beacon's connection closed, then the process
   * gone), or at `timeoutMs`, with the pids not gone then (`[]`: all gone).
   */
  exited(pids: readonly number[], timeoutMs: number): Promise<number[]>
  close(): Promise<void>
}

/**
 * Listens on `<pidFile>.sock`, where the processes that record their pid in `pidFile` (through
 * record-pid.cjs and the npx-like wrapper) report in and hold a connection until they exit: a
 * process's end is an event, waited for with a deadline, not polled for. Start it before the
 * processes.
 */
export async function watchExits(pidFile: string): Promise<ExitWatch> {
  const open = new Map<number, Socket>()
  const gone = new Set<number>()
  const changed = new EventEmitter()
  const server = createServer((socket) => {
    let pid: number | undefined
    let head = ''
    socket.setEncoding('utf8')
    socket.on('data', (text: string) => {
      if (pid !== undefined) return
      head += text
      const newline = head.indexOf('\n')
      if (newline === -1) return
      pid = Number(head.slice(0, newline))
      open.set(pid, socket)
      changed.emit('change')
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      if (pid === undefined) return
      open.delete(pid)
      gone.add(pid)
      changed.emit('change')
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(`${pidFile}.sock`, resolve)
  })
  /** Waits until `done()` holds, re-checked on every report; `false` at the deadline. */
  const until = (done: () => boolean, timeoutMs: number) =>
    new Promise<boolean>((resolve) => {
      const check = () => {
        if (!done()) return
        finish(true)
      }
      const finish = (result: boolean) => {
        clearTimeout(timer)
        changed.off('change', check)
        resolve(result)
      }
      const timer = setTimeout(() => finish(false), timeoutMs)
      changed.on('change', check)
      check()
    })
  return {
    async reported(pids, timeoutMs) {
      const seen = (pid: number) => open.has(pid) || gone.has(pid)
      if (!(await until(() => pids.every(seen), timeoutMs))) {
        const missing = pids.filter((pid) => !seen(pid))
        throw new Error(`no exit beacon from pid(s) ${missing.join(', ')} within ${timeoutMs} ms`)
      }
    },
    async exited(pids, timeoutMs) {
      await until(() => pids.every((pid) => !open.has(pid)), timeoutMs)
      const connected = pids.filter((pid) => open.has(pid))
      if (connected.length > 0) return connected
      // A beacon closes when the kernel closes the exiting process's files, a step before the
      // process is gone (a zombie, or reaped); on a busy machine that step can be seen. It
      // follows the event within moments: polled, with a deadline.
      await waitFor(() => pids.every((pid) => !isProcessAlive(pid)), { timeoutMs: 10_000 })
      return pids.filter((pid) => isProcessAlive(pid))
    },
    async close() {
      for (const socket of open.values()) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
