import { type ChildProcess, spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const benchDirectory = join(dirname(fileURLToPath(import.meta.url)), '..')

export interface ServerStats {
  methods: Record<string, number>
  posts: number
  gets: number
  deletes: number
  sessionsOpened: number
  sessionsClosed: number
  openSessions: number
  cpuMicros: number
  rss: number
}

export interface HttpServerProcess {
  readonly pid: number
  readonly url: URL
  stats(): Promise<ServerStats>
  stop(): Promise<void>
}

/**
 * Starts `http-server.ts` in its own Node process (so its CPU is not the client's) and waits
 * for it to print its port. Stopped by pid only.
 */
export async function startHttpServer(
  options: { jsonResponse?: boolean; cpu?: number | undefined } = {},
): Promise<HttpServerProcess> {
  const nodeArgs = ['--import', 'tsx', join('src', 'http-server.ts')]
  // taskset execs node in place, so the child's pid stays the server's pid.
  const [command, args] =
    options.cpu === undefined
      ? [process.execPath, nodeArgs]
      : ['taskset', ['-c', String(options.cpu), process.execPath, ...nodeArgs]]
  const child = spawn(command, args, {
    cwd: benchDirectory,
    // The IPC channel is only a lifeline: the server exits when the bench goes away.
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, BENCH_JSON_RESPONSE: options.jsonResponse ? '1' : '0' },
  })
  const pid = child.pid
  if (pid === undefined) throw new Error('could not start the bench HTTP server')
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))

  const port = await new Promise<number>((resolve, reject) => {
    let buffered = ''
    const timer = setTimeout(() => {
      reject(new Error('bench HTTP server did not report its port within 20 s'))
    }, 20_000)
    child.stdout?.setEncoding('utf8')
    child.stdout?.on('data', (text: string) => {
      buffered += text
      const newline = buffered.indexOf('\n')
      if (newline === -1) return
      clearTimeout(timer)
      try {
        resolve((JSON.parse(buffered.slice(0, newline)) as { port: number }).port)
      } catch (error) {
        reject(error)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`bench HTTP server exited early (code ${code})`))
    })
  }).catch(async (error) => {
    await stopChild(child, exited)
    throw error
  })

  const base = `http://127.0.0.1:${port}`
  return {
    pid,
    url: new URL(`${base}/mcp`),
    async stats() {
      const response = await fetch(`${base}/stats`)
      return (await response.json()) as ServerStats
    },
    stop: () => stopChild(child, exited),
  }
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
  const pid = child.pid
  process.kill(pid, 'SIGTERM')
  const timeout = (ms: number) =>
    new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref())
  if ((await Promise.race([exited.then(() => 'exited' as const), timeout(3000)])) === 'timeout') {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
    await Promise.race([exited, timeout(2000)])
  }
}
