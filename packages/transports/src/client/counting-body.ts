import { MCPClientError } from '@mcpkit/types'
import { markNetworkFailure } from '../sdk-contract.js'
import type { RequestScope } from './request-scope.js'

/**
 * The source of a counted body (see `TransportFetch`'s `#bounded`): a pull source rather than
 * `pipeThrough(new TransformStream(...))`, one read and one enqueue per chunk instead of a
 * pipe's writer, reader and their promises, and nothing read before the transport asks
 * (`highWaterMark: 0`). One object with its state in fields and two handlers made once: an
 * idle SSE stream (the standing `GET` or `subscriptions/listen` stream, one per client) holds
 * this, the web stream around it and one pending read, and no buffer.
 */
export class CountingSource implements UnderlyingDefaultSource<Uint8Array> {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>
  readonly #max: number
  readonly #sse: boolean
  readonly #scope: RequestScope | undefined
  /** Called once the body ended, failed or was cancelled. */
  #ended: (() => void) | undefined
  #controller!: ReadableStreamDefaultController<Uint8Array>
  /** The bytes of the JSON body, or of the SSE event being read. */
  #size = 0
  /** SSE: the length of the line being read, to find the blank line that ends an event. */
  #lineLength = 0
  #lastByte = 0
  /** Set by `abort()`: a read that was pending then is of no interest. */
  #aborted = false

  constructor(
    body: ReadableStream<Uint8Array>,
    max: number,
    sse: boolean,
    scope: RequestScope | undefined,
    ended: (() => void) | undefined,
  ) {
    this.#reader = body.getReader()
    this.#max = max
    this.#sse = sse
    this.#scope = scope
    this.#ended = ended
  }

  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.#controller = controller
  }

  pull(): Promise<void> {
    return this.#reader.read().then(this.#onRead, this.#onError)
  }

  cancel(reason: unknown): Promise<void> {
    this.#end()
    return this.#reader.cancel(reason)
  }

  /** The request was aborted: the body errors with `reason`, as fetch's own does. */
  abort(reason: unknown): void {
    this.#aborted = true
    this.#controller.error(reason)
    this.#reader.cancel(reason).catch(() => {})
    this.#end()
  }

  readonly #onRead = ({ done, value }: ReadableStreamReadResult<Uint8Array>): void => {
    if (this.#aborted) return
    if (done) {
      this.#controller.close()
      this.#end()
      return
    }
    const tooLarge = this.#count(value)
    if (!tooLarge) {
      this.#controller.enqueue(value)
      return
    }
    this.#controller.error(tooLarge)
    this.#reader.cancel(tooLarge).catch(() => {})
    this.#end()
  }

  readonly #onError = (error: unknown): void => {
    if (this.#aborted) return
    // The network failed under the body (a reset connection: the Fetch standard's
    // TypeError). A JSON body is the request's answer: it will not come.
    if (error instanceof TypeError) {
      markNetworkFailure(error)
      if (!this.#sse) this.#scope?.streamLost()
    }
    this.#controller.error(error)
    this.#end()
  }

  #end(): void {
    const ended = this.#ended
    this.#ended = undefined
    ended?.()
  }

  /** Counts `chunk`; the error to end the body with once a message is too large. */
  #count(chunk: Uint8Array): MCPClientError | undefined {
    this.#scope?.received(chunk.length)
    if (!this.#sse) {
      this.#size += chunk.length
    } else {
      let size = this.#size
      let lineLength = this.#lineLength
      for (let position = 0; position < chunk.length; ) {
        const newline = chunk.indexOf(0x0a, position)
        const end = newline === -1 ? chunk.length : newline
        lineLength += end - position
        size += end - position
        if (newline === -1) break
        const previous = newline > 0 ? chunk[newline - 1] : this.#lastByte
        // An empty line (or a lone CR before the LF) ends the event.
        if (lineLength === 0 || (lineLength === 1 && previous === 0x0d)) size = 0
        lineLength = 0
        position = newline + 1
      }
      this.#size = size
      this.#lineLength = lineLength
      if (chunk.length > 0) this.#lastByte = chunk[chunk.length - 1]!
    }
    if (this.#size <= this.#max) return undefined
    const error = new MCPClientError(
      'RESPONSE_TOO_LARGE',
      `A message from the server exceeded ${this.#max} bytes (maxResponseBytes). Raise \`maxResponseBytes\` if the server's answers are legitimately this large.`,
    )
    oversizedErrors.add(error)
    return error
  }
}

const oversizedErrors = new WeakSet<object>()

/** Whether `error` is (or was caused by) a body `TransportFetch` cut off at `maxResponseBytes`. */
export function isOversizedBody(error: unknown): boolean {
  for (let depth = 0; depth < 4 && typeof error === 'object' && error !== null; depth++) {
    if (oversizedErrors.has(error)) return true
    error = (error as { cause?: unknown }).cause
  }
  return false
}
