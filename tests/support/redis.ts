import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import net from 'node:net'
import { killPids } from './processes.js'

/** A `redis-server` this test started on 127.0.0.1, without persistence. */
export interface RedisServer {
  readonly port: number
  readonly url: string
  readonly pid: number
  /** Stops it (by pid) and waits for it to exit. */
  stop(): Promise<void>
  /** Starts it again on the same port (after `stop()`). */
  start(): Promise<void>
}

/** Whether `redis-server` is installed (`.ci/run` installs Debian's package). */
export function hasRedisServer(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address !== 'object') throw new Error('no port')
  return address.port
}

/** Starts `redis-server` on a free 127.0.0.1 port; resolves once it accepts connections. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort()
  let child: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()

  const start = async () => {
    const started = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    child = started
    exited = new Promise((resolve) => started.once('exit', () => resolve()))
    let output = ''
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`redis-server did not start on ${port}:\n${output}`)),
        10_000,
      )
      started.stdout?.setEncoding('utf8')
      started.stdout?.on('data', (text: string) => {
        output = (output + text).slice(-10_000)
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer)
          resolve()
        }
      })
      started.once('exit', () => {
        clearTimeout(timer)
        reject(new Error(`redis-server exited:\n${output}`))
      })
    })
  }

  await start()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid ?? 0
    },
    async stop() {
      const pid = child?.pid
      if (pid === undefined || child?.exitCode !== null) return
      await killPids([pid])
      await exited
      child?.stdout?.destroy()
      child?.stderr?.destroy()
    },
    start,
  }
}
