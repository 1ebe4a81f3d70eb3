import type { ChildProcess } from 'node:child_process'
import type { Readable } from 'node:stream'
import { MCPClientError } from '@mcpkit/types'
import {
  deserializeMessage,
  type JSONRPCMessage,
  serializeMessage,
  type Transport,
  type TransportSendOptions,
} from '@modelcontextprotocol/client'
import { getDefaultEnvironment } from '@modelcontextprotocol/client/stdio'
import spawn from 'cross-spawn'
import { scopeOfOutgoingRequest } from '../sdk-contract.js'
import { DEFAULT_MAX_RESPONSE_BYTES, RequestsInFlight } from './request-scope.js'

const STDERR_TAIL_LINES = 20
const isWindows = process.platform === 'win32'
/**
 * What `send` returns once the pipe took the message: one settled promise for every send, as
 * nothing can change it, rather than a new promise and closure per message.
 */
const SENT: Promise<void> = Promise.resolve()

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
  /**
   * The longest line (one message) read from the server, in bytes; a longer one ends the
   * connection with `RESPONSE_TOO_LARGE` (the stream cannot be read past it). Default 16 MiB.
   */
  maxMessageBytes?: number | undefined
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
  /** The start of the line being read: chunks without a newline yet, and their length. */
  #partial: Buffer[] = []
  #partialLength = 0
  /** The scope of each request sent and not answered yet (see `request-scope.ts`). */
  readonly #scopes = new RequestsInFlight(10_000)
  readonly #stderrTail: string[] = []
  #child: ChildProcess | undefined
  #exited: Promise<void> | undefined
  #exitDescription: string | undefined
  #closed = false
  /** Set when the server sent a line over `maxMessageBytes`; the connection then ended. */
  #oversized: MCPClientError | undefined

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

  /** The `RESPONSE_TOO_LARGE` error that ended the connection, if a line was too long. */
  get oversized(): MCPClientError | undefined {
    return this.#oversized
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
      // However the server goes (it crashed, exited, or was closed), the rest of its process
      // group goes with it: helpers it started must not outlive it. Its stdout closes only once
      // every holder of the pipe is gone, so `exit`, not `close`, is the moment.
      child.once('exit', () => this.#reapGroup(child))
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
    if (this.#closed || this.#oversized) return
    const max = this.#options.maxMessageBytes ?? DEFAULT_MAX_RESPONSE_BYTES
    let start = 0
    for (;;) {
      const end = chunk.indexOf(0x0a, start)
      const length = (end === -1 ? chunk.length : end) - start
      if (this.#partialLength + length > max) {
        this.#tooLarge(max)
        return
      }
      if (end === -1) {
        if (length > 0) {
          this.#partial.push(start === 0 ? chunk : chunk.subarray(start))
          this.#partialLength += length
        }
        return
      }
      const piece = chunk.subarray(start, end)
      const line =
        this.#partialLength === 0
          ? piece
          : Buffer.concat([...this.#partial, piece], this.#partialLength + piece.length)
      this.#partial = []
      this.#partialLength = 0
      start = end + 1
      this.#deliver(line)
      if (this.#closed) return
    }
  }

  /** One line: a JSON-RPC message, or (skipped, as the SDK's `ReadBuffer` does) a non-JSON line. */
  #deliver(line: Buffer): void {
    let message: JSONRPCMessage
    try {
      message = deserializeMessage(line.toString('utf8').replace(/\r$/, ''))
    } catch (error) {
      // Debug prints on stdout are skipped; JSON that is not a JSON-RPC message is reported.
      if (!(error instanceof SyntaxError)) this.onerror?.(error as Error)
      return
    }
    if ('id' in message && !('method' in message)) {
      const scope = this.#scopes.get(message.id as string | number)
      if (scope) {
        this.#scopes.delete(message.id as string | number)
        scope.received(line.length)
      }
    }
    this.onmessage?.(message)
  }

  /** A line longer than `max`: this server's connection ends, not the process. */
  #tooLarge(max: number): void {
    const { serverName } = this.#options
    this.#oversized = new MCPClientError(
      'RESPONSE_TOO_LARGE',
      `Server "${serverName}" sent a message over ${max} bytes (maxResponseBytes); the connection was closed. Raise \`maxResponseBytes\` if the server's answers are legitimately this large.`,
      { serverName },
    )
    this.#partial = []
    this.#partialLength = 0
    this.onerror?.(this.#oversized)
    void this.close()
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
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
    // The caller's scope hears how large the answer is (see `request-scope.ts`).
    const scope =
      'id' in message && 'method' in message ? scopeOfOutgoingRequest(options) : undefined
    if (scope) {
      this.#scopes.set((message as { id: string | number }).id, scope)
    }
    if (stdin.write(serializeMessage(message))) return SENT
    return new Promise<void>((resolve) => stdin.once('drain', resolve))
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

  /** The server exited: the rest of its group gets SIGTERM, then SIGKILL after the grace period. */
  #reapGroup(child: ChildProcess): void {
    if (isWindows) return
    this.#signal(child, 'SIGTERM')
    const timer = setTimeout(
      () => this.#signal(child, 'SIGKILL'),
      this.#options.shutdownGraceMs ?? 2000,
    )
    // Nothing else may keep the process alive for it; if the host exits first, SIGTERM was sent.
    timer.unref()
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
    this.#partial = []
    this.#partialLength = 0
    this.#scopes.clear()
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
