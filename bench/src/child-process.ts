/**
 * Parent and child halves of the IPC both benches use. A child is forked with tsx, driven one
 * request at a time, and stopped by its own pid (never by name).
 */
import { type ChildProcess, fork } from 'node:child_process'
import { benchDirectory } from './run-info.js'

/** What a child is asked: an `op`, numbered by the parent; `exit` ends it. */
export type ChildRequest = { id: number; op: string }

/** What a child answers, with the process warnings raised since its last answer. */
export interface ChildReply {
  id: number
  ok: boolean
  result?: unknown
  error?: string
  /** Process warnings (e.g. MaxListenersExceededWarning) raised since the last reply. */
  warnings: { name: string; message: string }[]
}

type WithoutId<Request> = Request extends unknown ? Omit<Request, 'id'> : never

export interface Child<Request extends ChildRequest, Hello = unknown> {
  readonly name: string
  readonly pid: number
  readonly hello: Hello
  request<Result>(request: WithoutId<Request>, timeoutMs: number): Promise<Result>
  /** Asks the child to exit, then SIGKILLs its pid after 3 s. */
  stop(): Promise<void>
}

/**
 * Forks `script` (an absolute path) with `args`, pinned to `cpu` when given. Warnings the child
 * reports are handed to `onWarnings` with each reply. Resolves once the child says hello (id 0).
 */
export async function startChild<Request extends ChildRequest, Hello = unknown>(options: {
  name: string
  script: string
  args: string[]
  nodeOptions?: string[]
  cpu?: number | undefined
  onWarnings: (warnings: ChildReply['warnings']) => void
  startTimeoutMs?: number
}): Promise<Child<Request, Hello>> {
  // Warnings are counted and reported by the bench instead of flooding stderr.
  const nodeArgs = [
    '--expose-gc',
    '--no-warnings',
    ...(options.nodeOptions ?? []),
    '--import',
    'tsx',
  ]
  const child: ChildProcess = fork(options.script, options.args, {
    cwd: benchDirectory,
    // Pinned: `taskset -c N node ...` (taskset execs node, which inherits the IPC channel).
    ...(options.cpu === undefined
      ? { execArgv: nodeArgs }
      : {
          execPath: 'taskset',
          execArgv: ['-c', String(options.cpu), process.execPath, ...nodeArgs],
        }),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const pid = child.pid
  if (pid === undefined) throw new Error(`could not start ${options.name}`)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const pending = new Map<
    number,
    { resolve: (reply: ChildReply) => void; reject: (error: Error) => void }
  >()
  let nextId = 1
  let exitError: Error | undefined

  child.on('message', (reply: ChildReply) => {
    options.onWarnings(reply.warnings)
    const waiter = pending.get(reply.id)
    if (!waiter) return
    pending.delete(reply.id)
    waiter.resolve(reply)
  })
  child.once('exit', (code, signal) => {
    exitError = new Error(`${options.name} exited (${signal ?? `code ${code}`})`)
    for (const waiter of pending.values()) waiter.reject(exitError)
    pending.clear()
  })

  const timeout = (ms: number) =>
    new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref())
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    if (child.connected) child.send({ id: -1, op: 'exit' } satisfies ChildRequest)
    if ((await Promise.race([exited.then(() => 'exited' as const), timeout(3000)])) === 'timeout') {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
      await Promise.race([exited, timeout(2000)])
    }
  }

  const startTimeoutMs = options.startTimeoutMs ?? 30_000
  let hello: Hello
  try {
    hello = await new Promise<Hello>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${options.name} did not start within ${startTimeoutMs} ms`)),
        startTimeoutMs,
      )
      pending.set(0, {
        resolve: (reply) => {
          clearTimeout(timer)
          if (reply.ok) resolve(reply.result as Hello)
          else reject(new Error(`${options.name}: ${reply.error ?? 'failed to start'}`))
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      })
    })
  } catch (error) {
    await stop()
    throw error
  }

  return {
    name: options.name,
    pid,
    hello,
    stop,
    request<Result>(request: WithoutId<Request>, timeoutMs: number): Promise<Result> {
      if (exitError) return Promise.reject(exitError)
      const id = nextId++
      return new Promise<Result>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id)
          reject(new Error(`${options.name}: ${request.op} timed out after ${timeoutMs} ms`))
        }, timeoutMs)
        pending.set(id, {
          resolve: (reply) => {
            clearTimeout(timer)
            if (reply.ok) resolve(reply.result as Result)
            else reject(new Error(`${options.name}: ${reply.error ?? 'unknown error'}`))
          },
          reject: (error) => {
            clearTimeout(timer)
            reject(error)
          },
        })
        child.send({ ...request, id })
      })
    },
  }
}

/**
 * The child half: answers the parent's requests with `handle`, says hello with `hello()`
 * (or its error), and exits when the parent asks or goes away.
 */
export function serveParent<Request extends ChildRequest>(
  handle: (request: Request) => Promise<unknown>,
  hello: () => Promise<unknown>,
  onExit: () => Promise<void> = async () => {},
): void {
  const warnings: { name: string; message: string }[] = []
  process.on('warning', (warning) => {
    warnings.push({ name: warning.name, message: warning.message })
  })
  const send = (reply: Omit<ChildReply, 'warnings'>) =>
    process.send?.({ ...reply, warnings: warnings.splice(0) } satisfies ChildReply)
  let exiting = false
  const exit = () => {
    if (exiting) return
    exiting = true
    // process.exit (not a signal) so that --cpu-prof writes its profile.
    const force = setTimeout(() => process.exit(0), 1000)
    force.unref()
    onExit().finally(() => process.exit(0))
  }
  process.on('message', (request: Request) => {
    if (request.op === 'exit') return exit()
    handle(request).then(
      (result) => send({ id: request.id, ok: true, result }),
      (error: unknown) =>
        send({
          id: request.id,
          ok: false,
          error: error instanceof Error ? error.message : String(error),
        }),
    )
  })
  // The orchestrator going away (or SIGTERM from anyone) ends this child.
  process.on('disconnect', exit)
  process.on('SIGTERM', exit)
  hello().then(
    (result) => send({ id: 0, ok: true, result }),
    (error: unknown) => {
      send({
        id: 0,
        ok: false,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      })
      setTimeout(() => process.exit(1), 100)
    },
  )
}
