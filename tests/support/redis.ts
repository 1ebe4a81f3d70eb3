import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { killPids } from './processes.js'

/**
 * A `redis-server` this test started on 127.0.0.1: without persistence, or with an append-only
 * file (fsync on every write) in `dataDir`, so its data outlives `stop()` and `start()`.
 */
export interface RedisServer {
  readonly port: number
  readonly url: string
  readonly pid: number
  /** Where a persistent server keeps its append-only file (remove it when done). */
  readonly dataDir: string | undefined
  /** Stops it (by pid) and waits for it to exit. */
  stop(): Promise<void>
  /** Starts it again on the same port (after `stop()`). */
  start(): Promise<void>
}

/**
 * Whether `redis-server` is installed (`.ci/run` installs Debian's package). Without it the
 * Redis tests are skipped, except where `MCPKIT_REQUIRE_REDIS=1` (`.ci/run` sets it): there a
 * missing server fails the test file instead of skipping it silently.
 */
export function hasRedisServer(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    if (process.env.MCPKIT_REQUIRE_REDIS === '1') {
      throw new Error(
        'MCPKIT_REQUIRE_REDIS=1 but redis-server is not on the PATH: install it (Debian: apt-get install redis-server)',
      )
    }
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

/**
 * Starts `redis-server` on a free 127.0.0.1 port; resolves once it accepts connections. With
 * `persist`, what it holds survives a restart, as with a production Redis.
 */
export async function startRedisServer(options: { persist?: boolean } = {}): Promise<RedisServer> {
  const port = await freePort()
  const dataDir = options.persist ? mkdtempSync(join(tmpdir(), 'mcpkit-redis-')) : undefined
  const persistence = dataDir
    ? ['--dir', dataDir, '--appendonly', 'yes', '--appendfsync', 'always']
    : ['--appendonly', 'no']
  let child: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()

  const start = async () => {
    const started = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence],
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
    dataDir,
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
