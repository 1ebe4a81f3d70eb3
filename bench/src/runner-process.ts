import { type ChildProcess, fork } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RunnerReply, RunnerRequest } from './protocol.js'

const sourceDirectory = dirname(fileURLToPath(import.meta.url))
const benchDirectory = join(sourceDirectory, '..')

type Request = RunnerRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never

/** A contender process, driven one request at a time. */
export interface Runner {
  readonly name: string
  readonly pid: number
  request<Result>(request: Request, timeoutMs: number): Promise<Result>
  stop(): Promise<void>
}

/**
 * Forks `client-runner.ts` as `kind`. Warnings the runner reports are handed to `onWarnings`
 * with each reply. Stopped by pid only.
 */
export async function startRunner(
  name: string,
  kind: 'raw' | 'mcpkit',
  onWarnings: (warnings: RunnerReply['warnings']) => void,
  cpu?: number,
): Promise<Runner> {
  // Warnings are counted and reported by the bench instead of flooding stderr.
  const nodeArgs = ['--expose-gc', '--no-warnings', '--import', 'tsx']
  const child: ChildProcess = fork(join(sourceDirectory, 'client-runner.ts'), [kind], {
    cwd: benchDirectory,
    // Pinned: `taskset -c N node ...` (taskset execs node, which inherits the IPC channel).
    ...(cpu === undefined
      ? { execArgv: nodeArgs }
      : { execPath: 'taskset', execArgv: ['-c', String(cpu), process.execPath, ...nodeArgs] }),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const pid = child.pid
  if (pid === undefined) throw new Error(`could not start runner ${name}`)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const pending = new Map<
    number,
    { resolve: (reply: RunnerReply) => void; reject: (error: Error) => void }
  >()
  let nextId = 1
  let exitError: Error | undefined

  child.on('message', (reply: RunnerReply) => {
    onWarnings(reply.warnings)
    const waiter = pending.get(reply.id)
    if (!waiter) return
    pending.delete(reply.id)
    waiter.resolve(reply)
  })
  child.once('exit', (code, signal) => {
    exitError = new Error(`runner ${name} exited (${signal ?? `code ${code}`})`)
    for (const waiter of pending.values()) waiter.reject(exitError)
    pending.clear()
  })

  // The runner says hello (id 0) once its modules are loaded.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`runner ${name} did not start within 30 s`)),
      30_000,
    )
    pending.set(0, {
      resolve: () => {
        clearTimeout(timer)
        resolve()
      },
      reject: (error) => {
        clearTimeout(timer)
        reject(error)
      },
    })
  })

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const timeout = (ms: number) =>
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref())
    if (child.connected) child.send({ id: -1, op: 'exit' } satisfies RunnerRequest)
    if ((await Promise.race([exited.then(() => 'exited' as const), timeout(3000)])) === 'timeout') {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
      await Promise.race([exited, timeout(2000)])
    }
  }

  return {
    name,
    pid,
    stop,
    request<Result>(request: Request, timeoutMs: number): Promise<Result> {
      if (exitError) return Promise.reject(exitError)
      const id = nextId++
      return new Promise<Result>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id)
          reject(new Error(`runner ${name}: ${request.op} timed out after ${timeoutMs} ms`))
        }, timeoutMs)
        pending.set(id, {
          resolve: (reply) => {
            clearTimeout(timer)
            if (reply.ok) resolve(reply.result as Result)
            else reject(new Error(reply.error ?? 'unknown error'))
          },
          reject: (error) => {
            clearTimeout(timer)
            reject(error)
          },
        })
        child.send({ ...request, id } as RunnerRequest)
      })
    },
  }
}
