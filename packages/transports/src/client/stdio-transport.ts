import type { ChildProcess } from 'node:child_process'
import type { Readable } from 'node:stream'
import { MCPClientError } from '@mcpkit/types'
import {
  type JSONRPCMessage,
  ReadBuffer,
  serializeMessage,
  type Transport,
} from '@modelcontextprotocol/client'
import { getDefaultEnvironment } from '@modelcontextprotocol/client/stdio'
import spawn from 'cross-spawn'

const STDERR_TAIL_LINES = 20
const isWindows = process.platform === 'win32'

export interface ProcessStdioTransportOptions {
  serverName: string
  command: string
  args?: readonly string[] | undefined
  /** Added to the SDK's minimal default environment. */
  env?: Record<string, string> | undefined
  cwd?: string | undefined
  stderr?: 'inherit' | 'logger' | 'ignore' | undefined
  /** Receives each stderr line when `stderr` is `'logger'`. */
  onStderrLine?: ((line: string) => void) | undefined
  /** How long to wait after closing stdin before SIGTERM, and after SIGTERM before SIGKILL. */
  shutdownGraceMs?: number | undefined
}

/**
 * A stdio transport whose child leads its own process group, so `close()` ends the server and
 * everything it started (an `npx` wrapper and the real server behind it). Framing comes from
 * the SDK; only process handling is ours.
 */
export class ProcessStdioTransport implements Transport {
  onclose?: (() => void) | undefined
  onerror?: ((error: Error) => void) | undefined
  onmessage?: ((message: JSONRPCMessage) => void) | undefined

  readonly #options: ProcessStdioTransportOptions
  readonly #readBuffer = new ReadBuffer()
  readonly #stderrTail: string[] = []
  #child: ChildProcess | undefined
  #exited: Promise<void> | undefined
  #exitDescription: string | undefined
  #closed = false

  constructor(options: ProcessStdioTransportOptions) {
    this.#options = options
  }

  /** The child's pid while it runs. */
  get pid(): number | undefined {
    return this.#child?.pid
  }

  /**
   * The child's stderr when it is piped (`stderr: 'logger'`), else `null`. With `pid`, this is
   * also what makes the SDK treat this transport as stdio (`StdioShaped` in `sdk-contract.ts`,
   * checked by its test).
   */
  get stderr(): Readable | null {
    return this.#child?.stderr ?? null
  }

  /** The last stderr lines (when stderr is piped), for error messages. */
  get stderrTail(): readonly string[] {
    return this.#stderrTail
  }

  /** How the child ended (`exit code 1`, `signal SIGKILL`), once it has. */
  get exitDescription(): string | undefined {
    return this.#exitDescription
  }

  start(): Promise<void> {
    if (this.#child) throw new Error('ProcessStdioTransport already started')
    const { command, args = [], env, cwd, stderr = 'inherit', serverName } = this.#options
    return new Promise<void>((resolve, reject) => {
      const child = spawn(command, [...args], {
        env: { ...getDefaultEnvironment(), ...env },
        ...(cwd === undefined ? {} : { cwd }),
        stdio: ['pipe', 'pipe', stderr === 'logger' ? 'pipe' : stderr],
        detached: !isWindows,
        windowsHide: true,
      })
      this.#child = child
      this.#exited = new Promise<void>((resolveExit) => {
        child.once('close', (code, signal) => {
          this.#exitDescription = signal ? `signal ${signal}` : `exit code ${code}`
          resolveExit()
          this.#handleClose()
        })
      })

      child.once('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'EACCES') {
          reject(
            new MCPClientError(
              'COMMAND_NOT_FOUND',
              `Server "${serverName}": cannot start command "${command}" (${error.code}). Check that it is installed and on PATH, or give an absolute path.`,
              { serverName, cause: error },
            ),
          )
          this.#handleClose()
          return
        }
        reject(error)
        this.onerror?.(error)
      })
      child.once('spawn', () => resolve())

      child.stdout?.on('data', (chunk: Buffer) => this.#receive(chunk))
      child.stdout?.on('error', (error) => this.onerror?.(error))
      child.stdin?.on('error', (error) => this.onerror?.(error))
      if (stderr === 'logger' && child.stderr) {
        let partial = ''
        child.stderr.setEncoding('utf8')
        child.stderr.on('data', (text: string) => {
          const lines = (partial + text).split('\n')
          partial = lines.pop() ?? ''
          for (const line of lines) this.#recordStderr(line)
        })
        child.stderr.on('end', () => {
          if (partial) this.#recordStderr(partial)
          partial = ''
        })
      }
    })
  }

  #recordStderr(line: string): void {
    const trimmed = line.replace(/\r$/, '')
    if (trimmed === '') return
    this.#stderrTail.push(trimmed)
    if (this.#stderrTail.length > STDERR_TAIL_LINES) this.#stderrTail.shift()
    this.#options.onStderrLine?.(trimmed)
  }

  #receive(chunk: Buffer): void {
    try {
      this.#readBuffer.append(chunk)
    } catch (error) {
      // A line longer than the read buffer: this server's connection fails, not the process.
      this.onerror?.(error as Error)
      void this.close()
      return
    }
    for (;;) {
      let message: JSONRPCMessage | null
      try {
        message = this.#readBuffer.readMessage()
      } catch (error) {
        this.onerror?.(error as Error)
        continue
      }
      if (message === null) return
      this.onmessage?.(message)
    }
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.#child?.stdin
    if (!stdin || this.#closed || stdin.destroyed) {
      return Promise.reject(
        new MCPClientError(
          'CONNECTION_CLOSED',
          `Server "${this.#options.serverName}" is not running${this.#exitDescription ? ` (${this.#exitDescription})` : ''}.`,
          { serverName: this.#options.serverName },
        ),
      )
    }
    return new Promise<void>((resolve) => {
      if (stdin.write(serializeMessage(message))) resolve()
      else stdin.once('drain', resolve)
    })
  }

  /**
   * Closes stdin (well-behaved servers exit on EOF), then signals the whole process group:
   * SIGTERM after a grace period, SIGKILL after another. Resolves once the child has exited.
   */
  async close(): Promise<void> {
    const child = this.#child
    if (!child || !this.#exited) {
      this.#handleClose()
      return
    }
    if (this.#exitDescription === undefined) {
      const grace = this.#options.shutdownGraceMs ?? 2000
      child.stdin?.end()
      if (!(await settlesWithin(this.#exited, grace))) {
        this.#signal(child, 'SIGTERM')
        if (!(await settlesWithin(this.#exited, grace))) {
          this.#signal(child, 'SIGKILL')
          await this.#exited
        }
      }
    }
    // Children of the server that outlived it (same process group) go too.
    this.#signal(child, 'SIGKILL')
    this.#handleClose()
  }

  #signal(child: ChildProcess, signal: NodeJS.Signals): void {
    if (child.pid === undefined) return
    try {
      if (isWindows) child.kill(signal)
      else process.kill(-child.pid, signal)
    } catch {
      // The group is already gone.
    }
  }

  #handleClose(): void {
    if (this.#closed) return
    this.#closed = true
    this.#readBuffer.clear()
    this.onclose?.()
  }
}

async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms)
  })
  try {
    return await Promise.race([promise.then(() => true as const), timeout])
  } finally {
    clearTimeout(timer)
  }
}
