import { type ChildProcess, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isProcessAlive, killPids, waitFor } from './processes.js'

const require = createRequire(import.meta.url)
const here = dirname(fileURLToPath(import.meta.url))

/** `--require` preload that forces every listen onto 127.0.0.1 and reports the port. */
export const FORCE_LOOPBACK = join(here, 'force-loopback.cjs')
/** `--require` preload that appends the process's pid to `$MCPKIT_TEST_PID_FILE`. */
export const RECORD_PID = join(here, 'record-pid.cjs')
/** `--require` preload that writes non-JSON-RPC lines to stdout before the server starts. */
export const STDOUT_BANNER = join(here, 'stdout-banner.cjs')
/** A node script that runs its arguments as a child and relays stdio, like `npx` does. */
export const NPX_LIKE_WRAPPER = join(here, 'npx-like-wrapper.cjs')

function binOf(packageName: string): string {
  const manifestPath = require.resolve(`${packageName}/package.json`)
  const manifest = require(manifestPath) as { bin?: string | Record<string, string> }
  const bin = typeof manifest.bin === 'string' ? manifest.bin : Object.values(manifest.bin ?? {})[0]
  if (!bin) throw new Error(`${packageName} has no bin in its package.json`)
  return join(dirname(manifestPath), bin)
}

/** server-everything's CLI (`dist/index.js`; first argument: stdio | sse | streamableHttp). */
export const EVERYTHING_BIN = binOf('@modelcontextprotocol/server-everything')
/** server-filesystem's CLI (arguments: the allowed directories). */
export const FILESYSTEM_BIN = binOf('@modelcontextprotocol/server-filesystem')

/**
 * A stdio definition that runs server-everything with `node`, recording its pid in `pidFile`
 * when one is given.
 */
export function everythingStdio(pidFile?: string): {
  command: string
  args: string[]
  env?: Record<string, string>
  stderr: 'ignore'
} {
  return {
    command: process.execPath,
    args: [...(pidFile ? ['--require', RECORD_PID] : []), EVERYTHING_BIN, 'stdio'],
    ...(pidFile ? { env: { MCPKIT_TEST_PID_FILE: pidFile } } : {}),
    stderr: 'ignore',
  }
}

/** A server process the test started; `stop()` ends it by its pid. */
export interface StartedServer {
  readonly pid: number
  readonly port: number
  /** The MCP endpoint: `/mcp` for Streamable HTTP, `/sse` for legacy SSE. */
  readonly url: URL
  readonly child: ChildProcess
  /** Everything the process wrote to stdout and stderr so far (for failure messages). */
  output(): string
  stop(): Promise<void>
}

/**
 * Starts server-everything over HTTP (`streamableHttp` or `sse`) on a free 127.0.0.1 port.
 * PORT=0 and the force-loopback preload: the preload prints the port it got.
 */
export async function startEverythingHttp(
  transport: 'streamableHttp' | 'sse',
): Promise<StartedServer> {
  return startListeningProcess({
    args: ['--require', FORCE_LOOPBACK, EVERYTHING_BIN, transport],
    path: transport === 'sse' ? '/sse' : '/mcp',
    label: `server-everything ${transport}`,
  })
}

/** Starts a node script that listens on TCP, with the loopback preload, and waits for its port. */
export async function startListeningProcess(options: {
  args: string[]
  path: string
  label: string
  env?: Record<string, string>
}): Promise<StartedServer> {
  const child = spawn(process.execPath, options.args, {
    env: { ...process.env, ...options.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  let port: number | undefined
  child.stdout?.setEncoding('utf8')
  child.stderr?.setEncoding('utf8')
  child.stdout?.on('data', (text: string) => {
    output = (output + text).slice(-20_000)
  })
  child.stderr?.on('data', (text: string) => {
    output = (output + text).slice(-20_000)
    const match = /MCPKIT_TEST_LISTENING (\d+)/.exec(output)
    if (match && port === undefined) port = Number(match[1])
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const pid = child.pid
  if (pid === undefined) throw new Error(`${options.label} did not start`)
  const started = await waitFor(() => port !== undefined || child.exitCode !== null, {
    timeoutMs: 20_000,
  })
  if (!started || port === undefined) {
    await killPids([pid])
    throw new Error(`${options.label} did not start listening. Output:\n${output}`)
  }
  const url = new URL(`http://127.0.0.1:${port}${options.path}`)
  return {
    pid,
    port,
    url,
    child,
    output: () => output,
    async stop() {
      if (isProcessAlive(pid)) await killPids([pid])
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))])
      child.stdout?.destroy()
      child.stderr?.destroy()
    },
  }
}
