import type { JSONRPCMessage, MessageExtraInfo, Transport } from '@modelcontextprotocol/server'

/** Options of `WebSseServerTransport`. */
export interface WebSseServerTransportOptions {
  /** Where the client POSTs its messages; `?sessionId=<id>` is appended. */
  messagePath: string
  /** Default: a random UUID. */
  sessionId?: string | undefined
  /** Milliseconds between keep-alive comments on the stream; default 15 s, 0 turns them off. */
  keepAliveMs?: number | undefined
  /**
   * Most bytes of events the client may leave unread before its session is dropped: a client
   * that stopped reading must not make the server buffer without bound. Default 8 MiB.
   */
  maxBufferedBytes?: number | undefined
}

/** Default interval of SSE keep-alive comments, the same as the SDK's Streamable HTTP one. */
export const DEFAULT_SSE_KEEP_ALIVE_MS = 15_000

/** Default `maxBufferedBytes`: 8 MiB. */
const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024

const encoder = new TextEncoder()

/**
 * The legacy HTTP+SSE transport (MCP 2024-11-05) on web streams, for runtimes without
 * `node:http` (Hono on Bun/Deno/workers, Next.js): server-to-client messages go down
 * `stream` (the GET response body); client messages arrive through `handleMessage`, called by
 * the POST handler. One instance per client session.
 */
export class WebSseServerTransport implements Transport {
  readonly sessionId: string
  /** The body of the GET response. */
  readonly stream: ReadableStream<Uint8Array>
  onclose?: (() => void) | undefined
  onerror?: ((error: Error) => void) | undefined
  onmessage?: ((message: JSONRPCMessage, extra?: MessageExtraInfo) => void) | undefined
  readonly #endpoint: string
  readonly #keepAliveMs: number
  readonly #maxBufferedBytes: number
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined
  #keepAlive: ReturnType<typeof setInterval> | undefined
  #started = false
  #closed = false

  constructor(options: WebSseServerTransportOptions) {
    this.sessionId = options.sessionId ?? globalThis.crypto.randomUUID()
    this.#keepAliveMs = options.keepAliveMs ?? DEFAULT_SSE_KEEP_ALIVE_MS
    this.#maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES
    // Relative like the SDK's own SSE transport: the client resolves it against the GET URL.
    const endpoint = new URL(options.messagePath, 'http://localhost')
    endpoint.searchParams.set('sessionId', this.sessionId)
    this.#endpoint = endpoint.pathname + endpoint.search + endpoint.hash
    // Queued bytes are counted (`desiredSize` is minus what the reader has not taken).
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller
        },
        // The client went away: the session ends with its stream.
        cancel: () => {
          void this.close()
        },
      },
      { highWaterMark: 0, size: (chunk) => chunk.byteLength },
    )
  }

  /** Sends the `endpoint` event; called by `server.connect()`. */
  async start(): Promise<void> {
    if (this.#started) {
      throw new Error('WebSseServerTransport already started: Server.connect() starts it.')
    }
    this.#started = true
    this.#write(`event: endpoint\ndata: ${this.#endpoint}\n\n`)
    if (this.#keepAliveMs > 0 && Number.isFinite(this.#keepAliveMs)) {
      this.#keepAlive = setInterval(() => this.#write(': keepalive\n\n'), this.#keepAliveMs)
      ;(this.#keepAlive as { unref?: () => void }).unref?.()
    }
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) throw new Error('Not connected: the SSE stream has closed.')
    this.#write(`event: message\ndata: ${JSON.stringify(message)}\n\n`)
  }

  /** Delivers a client message (already validated by the POST handler) to the server. */
  handleMessage(message: JSONRPCMessage, extra?: MessageExtraInfo): void {
    this.onmessage?.(message, extra)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#keepAlive) clearInterval(this.#keepAlive)
    try {
      this.#controller?.close()
    } catch {
      // Already closed or cancelled by the client.
    }
    this.onclose?.()
  }

  #write(text: string): void {
    if (this.#closed) return
    const controller = this.#controller
    if (!controller) return
    if ((controller.desiredSize ?? 0) < -this.#maxBufferedBytes) {
      this.onerror?.(new Error('The SSE client stopped reading; closing its session.'))
      void this.close()
      return
    }
    try {
      controller.enqueue(encoder.encode(text))
    } catch (error) {
      this.onerror?.(error as Error)
      void this.close()
    }
  }
}
