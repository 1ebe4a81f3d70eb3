import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { killPids } from './processes.js'

/** A node child process that reports on stdout, one `KEYWORD value` line at a time. */
export interface LineChild {
  readonly child: ChildProcess
  /** The value of the first line starting with `prefix`; waits for it (bounded). */
  line(prefix: string, timeoutMs?: number): Promise<string>
  /** Writes one line to its stdin. */
  send(text: string): void
  /** Its exit code, once it exits. */
  readonly exited: Promise<number | null>
  /** Kills it by pid if it still runs. */
  stop(): Promise<void>
}

/** Starts `node <script>` with `env` added; stderr goes to this process's. */
export function startLineChild(script: string, env: Record<string, string>): LineChild {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const lines: string[] = []
  const wakers: (() => void)[] = []
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line)
    for (const wake of wakers.splice(0)) wake()
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  exited.then(() => {
    for (const wake of wakers.splice(0)) wake()
  })
  return {
    child,
    exited,
    async line(prefix, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const found = lines.find((each) => each.startsWith(prefix))
        if (found !== undefined) return found.slice(prefix.length).trim()
        const remaining = deadline - Date.now()
        if (remaining <= 0 || child.exitCode !== null) {
          throw new Error(`no "${prefix}" line; got ${JSON.stringify(lines)}`)
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, remaining)
          wakers.push(() => {
            clearTimeout(timer)
            resolve()
          })
        })
      }
    },
    send(text) {
      child.stdin?.write(`${text}\n`)
    },
    async stop() {
      child.stdin?.end()
      if (child.exitCode === null && child.pid) await killPids([child.pid])
    },
  }
}
