import { MCPClientError } from '@mcpkit/types'
import { markNetworkFailure } from '../sdk-contract.js'
import type { RequestScope } from './request-scope.js'

/**
 * The count of one body's bytes, against `max`: the whole body when it is JSON, each event when
 * it is SSE. Every byte is reported to `scope`; `ended` is called once, when the body ended,
 * failed or was cancelled.
 */
export class BodyCounter {
  readonly #max: number
  readonly #sse: boolean
  readonly #scope: RequestScope | undefined
  #ended: (() => void) | undefined
  /** The bytes of the JSON body, or of the SSE event being read. */
  #size = 0
  /** SSE: the length of the line being read, to find the blank line that ends an event. */
  #lineLength = 0
  #lastByte = 0

  constructor(
    max: number,
    sse: boolean,
    scope: RequestScope | undefined,
    ended: (() => void) | undefined,
  ) {
    this.#max = max
    this.#sse = sse
    this.#scope = scope
    this.#ended = ended
  }

  /** Whether a body the network cut off is a lost answer (a JSON one; the transport reports SSE). */
  get sse(): boolean {
    return this.#sse
  }

  get scope(): RequestScope | undefined {
    return this.#scope
  }

  /** Counts `chunk`; the error to end the body with once a message is too large. */
  count(chunk: Uint8Array): MCPClientError | undefined {
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
    return this.#size <= this.#max ? undefined : tooLarge(this.#max)
  }

  /** The body ended, failed or was cancelled (once; later calls do nothing). */
  end(): void {
    const ended = this.#ended
    this.#ended = undefined
    ended?.()
  }
}

const { getReader } = ReadableStream.prototype

/** Where a counting source hands what it read: its stream's controller, or a pipe's writer. */
type Sink = Pick<
  ReadableStreamDefaultController<Uint8Array | string>,
  'enqueue' | 'close' | 'error'
>

const ignore = (): void => {}

/**
 * The source of a counted stream: a pull source rather than `pipeThrough(new
 * TransformStream(...))`, one read and one enqueue per chunk instead of a pipe's writer, reader
 * and their promises, and nothing read before the reader asks (`highWaterMark: 0`). One object
 * with its state in fields and two handlers made once. With a `decoder`, what it enqueues is
 * the text of the bytes, as a `TextDecoderStream` would give it.
 */
export class CountingSource implements UnderlyingDefaultSource<Uint8Array | string> {
  readonly #body: ReadableStream<Uint8Array>
  readonly #counter: BodyCounter
  readonly #decoder: TextDecoder | undefined
  #reader!: ReadableStreamDefaultReader<Uint8Array>
  #sink!: Sink
  /** Set by the first read: from then on only its stream may hand on what it reads. */
  #pulled = false
  /** Set by `abort()`: a read that was pending then is of no interest. */
  #aborted = false

  constructor(body: ReadableStream<Uint8Array>, counter: BodyCounter, decoder?: TextDecoder) {
    this.#body = body
    this.#counter = counter
    this.#decoder = decoder
  }

  /** Whether nothing was read yet nor aborted, so `pipeTo` may still take over from the stream. */
  get fresh(): boolean {
    return !this.#pulled && !this.#aborted
  }

  start(controller: ReadableStreamDefaultController<Uint8Array | string>): void {
    this.#sink = controller
    // The stream's own method: an SSE body's `getReader` leads here (`CountedSseBody`).
    this.#reader = getReader.call(this.#body) as ReadableStreamDefaultReader<Uint8Array>
  }

  pull(): Promise<void> {
    this.#pulled = true
    return this.#reader.read().then(this.#onRead, this.#onError)
  }

  cancel(reason: unknown): Promise<void> {
    this.#counter.end()
    return this.#reader.cancel(reason)
  }

  /** The request was aborted: the body errors with `reason`, as fetch's own does. */
  abort(reason: unknown): void {
    this.#aborted = true
    this.#sink.error(reason)
    this.#reader.cancel(reason).catch(ignore)
    this.#counter.end()
  }

  /**
   * Writes what it reads into `writable` itself, with the semantics of `pipeTo` without
   * options: the next read waits for `writable` to want more, the end closes it, an error
   * (the body's, the limit's, an abort) aborts it, and `writable` erroring cancels the body.
   * The stream this source was made for is then not read (its owner locks it).
   */
  pipeTo(writable: WritableStream<Uint8Array | string>): void {
    const sink = new WriterSink(writable.getWriter())
    this.#sink = sink
    const { writer } = sink
    writer.closed.then(ignore, (reason: unknown) => {
      // Errored from the other side (its reader cancelled): the body is of no more use.
      if (sink.settle()) this.cancel(reason).catch(ignore)
    })
    const next = (): void => {
      if (!sink.settled) writer.ready.then(read, ignore)
    }
    const read = (): void => {
      if (!sink.settled) this.pull().then(next, ignore)
    }
    read()
  }

  readonly #onRead = ({
    done,
    value,
  }: ReadableStreamReadResult<Uint8Array>): void | Promise<void> => {
    if (this.#aborted) return
    const decoder = this.#decoder
    if (done) {
      const rest = decoder?.decode()
      if (rest) this.#sink.enqueue(rest)
      this.#sink.close()
      this.#counter.end()
      return
    }
    const tooLarge = this.#counter.count(value)
    if (!tooLarge) {
      if (!decoder) {
        this.#sink.enqueue(value)
        return
      }
      const text = decoder.decode(value, { stream: true })
      // Nothing to hand on yet (a character split between chunks): this pull reads on.
      if (!text) return this.pull()
      this.#sink.enqueue(text)
      return
    }
    this.#sink.error(tooLarge)
    this.#reader.cancel(tooLarge).catch(ignore)
    this.#counter.end()
  }

  readonly #onError = (error: unknown): void => {
    if (this.#aborted) return
    // The network failed under the body (a reset connection: the Fetch standard's
    // TypeError). A JSON body is the request's answer: it will not come.
    if (error instanceof TypeError) {
      markNetworkFailure(error)
      if (!this.#counter.sse) this.#counter.scope?.streamLost()
    }
    this.#sink.error(error)
    this.#counter.end()
  }
}

/** A pipe's end as a `Sink`: what it is handed is written, its close closes, its error aborts. */
class WriterSink implements Sink {
  readonly writer: WritableStreamDefaultWriter<Uint8Array | string>
  #settled = false

  constructor(writer: WritableStreamDefaultWriter<Uint8Array | string>) {
    this.writer = writer
  }

  /** Closed or errored, from either side: nothing more is read or written. */
  get settled(): boolean {
    return this.#settled
  }

  /** Marks the pipe settled; `false` if it already was. */
  settle(): boolean {
    if (this.#settled) return false
    this.#settled = true
    return true
  }

  enqueue(chunk: Uint8Array | string): void {
    // A failed write errors the writable side: `closed` reports it.
    this.writer.write(chunk).catch(ignore)
  }

  close(): void {
    if (this.settle()) this.writer.close().catch(ignore)
  }

  error(reason: unknown): void {
    if (this.settle()) this.writer.abort(reason).catch(ignore)
  }
}

/**
 * The text of an SSE body, as `pipeThrough(new TextDecoderStream())` gives it. Piped on into a
 * transform with no options (the SDK's event parser), its source writes into the transform's
 * writable side itself rather than through Node's pipe, whose reader, writer and promises per
 * chunk cost an SSE answer more than the rest of its reading (`bench/README.md`, "SSE answers
 * written into the event parser"). Any other use reads it as a stream.
 */
export class DecodedSseStream extends ReadableStream<string> {
  readonly #source: CountingSource

  constructor(source: CountingSource) {
    super(source as UnderlyingDefaultSource<string>, { highWaterMark: 0 })
    this.#source = source
  }

  override pipeThrough<T>(
    transform: ReadableWritablePair<T, string>,
    options?: StreamPipeOptions,
  ): ReadableStream<T> {
    if (options !== undefined || this.locked || !this.#source.fresh) {
      return super.pipeThrough(transform, options)
    }
    if (transform.writable.locked) throw new TypeError('The transform is already being written')
    // Locked, as a piped stream is; its source is the pipe now.
    getReader.call(this)
    this.#source.pipeTo(transform.writable)
    return transform.readable
  }
}

const oversizedErrors = new WeakSet<object>()

/** The error of a message over `max` bytes, known to `isOversizedBody` by its identity. */
export function tooLarge(max: number): MCPClientError {
  const error = new MCPClientError(
    'RESPONSE_TOO_LARGE',
    `A message from the server exceeded ${max} bytes (maxResponseBytes). Raise \`maxResponseBytes\` if the server's answers are legitimately this large.`,
  )
  oversizedErrors.add(error)
  return error
}

/** Whether `error` is (or was caused by) a body `TransportFetch` cut off at `maxResponseBytes`. */
export function isOversizedBody(error: unknown): boolean {
  for (let depth = 0; depth < 4 && typeof error === 'object' && error !== null; depth++) {
    if (oversizedErrors.has(error)) return true
    error = (error as { cause?: unknown }).cause
  }
  return false
}
