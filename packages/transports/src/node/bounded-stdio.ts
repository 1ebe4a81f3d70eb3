import { Readable, type Writable } from 'node:stream'
import { type Log, MCPServerError } from '@mcpkit/types'
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server'
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio'
import { JsonRpcErrorCode } from '../server/json-rpc.js'
import { DEFAULT_MAX_BODY_BYTES } from '../server/security.js'

/** Default stdio `maxRequestsInFlight`: 100 (one client, unlike HTTP's 1000 for all of them). */
export const DEFAULT_STDIO_MAX_REQUESTS_IN_FLIGHT = 100

/** Default stdio `maxBufferedBytesPerStream`: 8 MiB, as on HTTP. */
export const DEFAULT_STDIO_MAX_BUFFERED_BYTES = 8 * 1024 * 1024

type RequestId = string | number

/** The bounds of one stdio connection (see `ServeStdioOptions`). */
export interface StdioBounds {
  maxBodyBytes?: number | undefined
  maxRequestsInFlight?: number | undefined
  maxBufferedBytesPerStream?: number | undefined
}

/**
 * The SDK's `StdioServerTransport`, bounded against a client that misbehaves, as a `Transport`
 * around it (framing and writing stay the SDK's):
 *
 * - Bytes from stdin reach the SDK's transport only as whole lines: a line over `maxBodyBytes`
 *   is answered with a JSON-RPC error (id `null`), logged, and ends the connection, before it
 *   is held in memory (the SDK's own buffer would hold 10 MB and copy it once per chunk).
 * - At most `maxRequestsInFlight` requests run at once, a request holding its place until its
 *   answer has left stdout; past it, stdin is no longer read (the client's writes wait), and
 *   what was already read waits in order.
 * - While more than `maxBufferedBytesPerStream` bytes wait in stdout for a client that does not
 *   read them, no new request runs and stdin is not read, so such a client cannot make the
 *   server buffer answers without bound (at most the answers of the requests already running).
 */
export class BoundedStdioTransport implements Transport {
  onclose?: (() => void) | undefined
  onerror?: ((error: Error) => void) | undefined
  onmessage?: Transport['onmessage']

  /** The SDK transport that frames and writes (what `getStdioTransport()` returns). */
  readonly inner: StdioServerTransport
  readonly #stdin: Readable
  readonly #stdout: Writable
  readonly #log: Log
  readonly #maxBodyBytes: number
  readonly #maxRequestsInFlight: number
  readonly #maxBuffered: number
  /** What the SDK transport reads: whole lines only. */
  readonly #lines = new Readable({ read() {} })
  /** The start of the line being read: chunks without a newline yet, and their length. */
  #partial: Buffer[] = []
  #partialLength = 0
  /** Requests handed to the server and not answered yet, by id (a hostile client repeats ids). */
  readonly #inFlight = new Map<RequestId, number>()
  #inFlightCount = 0
  /** Messages read while `maxRequestsInFlight` requests were in flight, in order. */
  readonly #waiting: JSONRPCMessage[] = []
  #ended = false
  #closed = false

  constructor(
    options: StdioBounds & {
      stdin?: Readable | undefined
      stdout?: Writable | undefined
      log: Log
    },
  ) {
    this.#stdin = options.stdin ?? process.stdin
    this.#stdout = options.stdout ?? process.stdout
    this.#log = options.log
    this.#maxBodyBytes = positiveInteger(
      options.maxBodyBytes,
      'maxBodyBytes',
      DEFAULT_MAX_BODY_BYTES,
    )
    this.#maxRequestsInFlight = positiveInteger(
      options.maxRequestsInFlight,
      'maxRequestsInFlight',
      DEFAULT_STDIO_MAX_REQUESTS_IN_FLIGHT,
    )
    // Never below stdout's high-water mark: past that, a `drain` is sure to come and resume.
    this.#maxBuffered = Math.max(
      positiveInteger(
        options.maxBufferedBytesPerStream,
        'maxBufferedBytesPerStream',
        DEFAULT_STDIO_MAX_BUFFERED_BYTES,
      ),
      this.#stdout.writableHighWaterMark ?? 0,
    )
    // Every chunk it gets is whole lines of at most `maxBodyBytes` bytes each (see `#push`), so
    // its own limit is never what stops a message.
    this.inner = new StdioServerTransport(this.#lines, this.#stdout, {
      maxBufferSize: this.#maxBodyBytes + 1,
    })
  }

  async start(): Promise<void> {
    this.inner.onmessage = (message) => this.#receive(message)
    this.inner.onerror = (error) => this.onerror?.(error)
    this.inner.onclose = () => this.#handleClose()
    await this.inner.start()
    if (this.#stdin.readableEnded || this.#stdin.destroyed) {
      this.#end()
      return
    }
    this.#stdin.on('data', this.#ondata)
    this.#stdin.on('end', this.#end)
    this.#stdin.on('close', this.#end)
    this.#stdin.on('error', this.#onerror)
    this.#stdout.on('drain', this.#resume)
  }

  send(message: JSONRPCMessage): Promise<void> {
    const sent = this.inner.send(message)
    if (this.#stdout.writableLength > this.#maxBuffered) this.#stdin.pause()
    // A request holds its slot until its answer has left stdout, not merely been queued there.
    const id = ('result' in message || 'error' in message) && message.id
    if (id !== undefined && id !== false && this.#inFlight.has(id)) {
      const settle = () => this.#settle(id)
      sent.then(settle, settle)
    }
    return sent
  }

  close(): Promise<void> {
    return this.inner.close()
  }

  readonly #ondata = (chunk: Buffer | string) => {
    if (this.#ended) return
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    const max = this.#maxBodyBytes
    let start = 0
    // Whole lines of this chunk not pushed yet start at `batch`.
    let batch = 0
    for (;;) {
      const end = bytes.indexOf(0x0a, start)
      const length = (end === -1 ? bytes.length : end) - start
      if (this.#partialLength + length > max) {
        this.#push(bytes.subarray(batch, start))
        this.#tooLarge()
        return
      }
      if (end === -1) {
        this.#push(bytes.subarray(batch, start))
        if (length > 0) {
          this.#partial.push(bytes.subarray(start))
          this.#partialLength += length
        }
        return
      }
      if (this.#partialLength > 0) {
        this.#partial.push(bytes.subarray(start, end + 1))
        this.#push(Buffer.concat(this.#partial, this.#partialLength + length + 1))
        this.#partial = []
        this.#partialLength = 0
        batch = end + 1
      } else if (end + 1 - batch > max + 1) {
        // A batch never goes past one line's limit: the SDK's buffer holds one chunk at a time.
        this.#push(bytes.subarray(batch, start))
        batch = start
      }
      start = end + 1
      if (this.#ended) return
    }
  }

  #push(lines: Buffer): void {
    if (lines.length > 0 && !this.#ended) this.#lines.push(lines)
  }

  /** A line longer than `maxBodyBytes`: the client hears why, and the connection ends. */
  #tooLarge(): void {
    const max = this.#maxBodyBytes
    this.#partial = []
    this.#partialLength = 0
    this.#log(
      'warning',
      `stdio: the client sent a message over ${max} bytes (maxBodyBytes); the connection was closed.`,
    )
    const answer = {
      jsonrpc: '2.0',
      id: null,
      error: {
        code: JsonRpcErrorCode.InvalidRequest,
        message: `Request too large: a message must not exceed ${max} bytes (maxBodyBytes).`,
      },
    }
    try {
      this.#stdout.write(`${JSON.stringify(answer)}\n`)
    } catch {
      // stdout is gone: closing is all that is left.
    }
    this.#end()
    // Nothing more is read from this client: a paused pipe would go on reading into its buffer
    // and keep the process alive.
    this.#stdin.destroy()
  }

  readonly #end = () => {
    if (this.#ended) return
    this.#ended = true
    this.#detach()
    this.#lines.push(null)
  }

  readonly #onerror = (error: Error) => this.onerror?.(error)

  /** Stops reading stdin for good, so the process can exit. */
  #detach(): void {
    this.#stdin.off('data', this.#ondata)
    this.#stdin.off('end', this.#end)
    this.#stdin.off('close', this.#end)
    this.#stdin.off('error', this.#onerror)
    this.#stdout.off('drain', this.#resume)
    if (this.#stdin.listenerCount('data') === 0) this.#stdin.pause()
  }

  /** A message from the SDK transport: handed on, or kept while too many requests run. */
  #receive(message: JSONRPCMessage): void {
    if (this.#closed) return
    if ('method' in message && 'id' in message && message.method !== 'subscriptions/listen') {
      // `subscriptions/listen` streams are capped by `maxSubscriptions`, and never answered.
      if (this.#waiting.length > 0 || !this.#canAdmit()) {
        this.#waiting.push(message)
        this.#stdin.pause()
        return
      }
      this.#admit(message.id)
    } else if ('method' in message && message.method === 'notifications/cancelled') {
      // A cancelled request gets no answer: its slot is free now (or it never runs).
      const id = (message.params as { requestId?: RequestId } | undefined)?.requestId
      if (id !== undefined) {
        const index = this.#waiting.findIndex((waiting) => 'id' in waiting && waiting.id === id)
        if (index !== -1) {
          this.#waiting.splice(index, 1)
          return
        }
        this.#settle(id)
      }
    }
    // Answers to the server's own requests (and other notifications) never wait: a call in
    // flight may be waiting for one of them.
    this.onmessage?.(message)
  }

  #admit(id: RequestId): void {
    this.#inFlight.set(id, (this.#inFlight.get(id) ?? 0) + 1)
    this.#inFlightCount++
  }

  /** The request `id` was answered (or cancelled): its slot goes to the next one waiting. */
  #settle(id: RequestId): void {
    const count = this.#inFlight.get(id)
    if (count === undefined) return
    if (count > 1) this.#inFlight.set(id, count - 1)
    else this.#inFlight.delete(id)
    this.#inFlightCount--
    this.#resume()
  }

  /** Whether one more request may run: a slot is free and stdout is not backed up. */
  #canAdmit(): boolean {
    return (
      this.#inFlightCount < this.#maxRequestsInFlight &&
      this.#stdout.writableLength <= this.#maxBuffered
    )
  }

  /** Hands on the requests that waited while they may run, then reads stdin again. */
  readonly #resume = () => {
    if (this.#closed) return
    // Only requests wait (see `#receive`).
    while (this.#waiting.length > 0 && this.#canAdmit()) {
      const next = this.#waiting.shift() as JSONRPCMessage & { id: RequestId }
      this.#admit(next.id)
      this.onmessage?.(next)
      if (this.#closed) return
    }
    if (this.#ended || this.#waiting.length > 0) return
    if (this.#stdout.writableLength > this.#maxBuffered) return
    this.#stdin.resume()
  }

  #handleClose(): void {
    if (this.#closed) return
    this.#closed = true
    this.#ended = true
    this.#detach()
    this.#partial = []
    this.#partialLength = 0
    this.#waiting.length = 0
    this.#inFlight.clear()
    this.#inFlightCount = 0
    this.onclose?.()
  }
}

function positiveInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value
  throw new MCPServerError(
    'INVALID_CONFIGURATION',
    `\`${name}\` must be a positive integer, got ${String(value)}.`,
  )
}
