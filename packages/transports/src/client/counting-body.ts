import { MCPClientError } from '@mcpkit/types'
import { joinChunks } from '../join-chunks.js'
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

const { getReader, pipeThrough, cancel } = ReadableStream.prototype

/** Where a counting source hands what it read: its stream's controller, or a pipe's writer. */
type Sink = Pick<
  ReadableStreamDefaultController<Uint8Array | string>,
  'enqueue' | 'close' | 'error'
>

const ignore = () => {}

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
class DecodedSseStream extends ReadableStream<string> {
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

/**
 * An SSE body, counted per event as it is read, with no stream of its own beyond the one it is
 * read through.
 *
 * The SDK reads an SSE answer as `body.pipeThrough(new TextDecoderStream())`, then parses the
 * text. A counting stream in front of that decoder made every SSE answer pay for two web
 * streams and the pipe between them, and Node's `TextDecoderStream` creates an error with its
 * stack each time it ends (its `flush` terminates its own stream; `bench/README.md`, "SSE
 * answers counted as they are decoded"). So fetch's own body stays the body, and its
 * `pipeThrough` of a plain UTF-8 `TextDecoderStream` gives one stream that reads the body,
 * counts each chunk and decodes it with the same settings (the decoder the SDK made is not
 * used); piped on into the SDK's event parser, that stream's source writes into the parser
 * itself (`DecodedSseStream`). Every other way to read the body (`getReader`, `pipeTo`, `tee`, iteration, another
 * transform, `text()` and the rest) reads a counting stream of bytes. The limit, the scope's
 * reports, the errors and `ended` are the same either way.
 */
export class CountedSseBody extends BodyCounter {
  readonly source: ReadableStream<Uint8Array>
  /** What reads the body, once something does: a stream of its bytes, or of its text. */
  #reader:
    | { stream: ReadableStream<Uint8Array | string>; source: CountingSource; text: boolean }
    | undefined
  /** Set by `abort()` before anything read the body: reading it then fails with this. */
  #abortedWith: { reason: unknown } | undefined

  constructor(
    source: ReadableStream<Uint8Array>,
    max: number,
    scope: RequestScope | undefined,
    ended: (() => void) | undefined,
  ) {
    super(max, true, scope, ended)
    this.source = source
    sseBodies.set(source, this)
    Object.defineProperties(source, sseStreamMethods)
  }

  /** The request was aborted: the body errors with `reason`, as fetch's own does. */
  abort(reason: unknown): void {
    if (this.#reader) this.#reader.source.abort(reason)
    else {
      this.#abortedWith = { reason }
      cancel.call(this.source, reason).catch(() => {})
      this.end()
    }
  }

  /** The body as a counting stream of bytes (made once). */
  counted(): ReadableStream<Uint8Array> {
    return this.#read(undefined) as ReadableStream<Uint8Array>
  }

  /** The body as a counting stream of its UTF-8 text (what `pipeThrough` of a decoder gives). */
  decoded(): ReadableStream<string> {
    return this.#read(new TextDecoder()) as ReadableStream<string>
  }

  #read(decoder: TextDecoder | undefined): ReadableStream<Uint8Array | string> {
    if (this.#abortedWith) return erroredStream(this.#abortedWith.reason)
    if (this.#reader) {
      // Read as bytes already: that stream, locked or disturbed, as fetch's own body would be.
      if (!decoder && !this.#reader.text) return this.#reader.stream
      throw new TypeError('ReadableStream is locked')
    }
    const source = new CountingSource(this.source, this, decoder)
    const stream = decoder
      ? new DecodedSseStream(source)
      : new ReadableStream(source, { highWaterMark: 0 })
    this.#reader = { stream, source, text: decoder !== undefined }
    return stream
  }
}

const sseBodies = new WeakMap<ReadableStream<Uint8Array>, CountedSseBody>()

function sseBodyOf(stream: ReadableStream<Uint8Array>): CountedSseBody {
  const body = sseBodies.get(stream)
  if (!body) throw new TypeError('Illegal invocation')
  return body
}

/** Whether `transform` is a `TextDecoderStream` as the SDK makes it: UTF-8, lenient, BOM dropped. */
function isPlainDecoder(transform: unknown): boolean {
  return (
    transform instanceof TextDecoderStream &&
    transform.encoding === 'utf-8' &&
    !transform.fatal &&
    !transform.ignoreBOM
  )
}

function erroredStream<Chunk>(reason: unknown): ReadableStream<Chunk> {
  return new ReadableStream<Chunk>({
    start(controller) {
      controller.error(reason)
    },
  })
}

/** `stream.values(options)` (Node's streams have it; the DOM types this package builds with do not). */
function iterate(
  stream: ReadableStream<Uint8Array>,
  options: { preventCancel?: boolean } | undefined,
): AsyncIterableIterator<Uint8Array> {
  const iterable = stream as unknown as {
    values(options?: { preventCancel?: boolean }): AsyncIterableIterator<Uint8Array>
  }
  return iterable.values(options)
}

/** The read methods of an SSE body's stream (see `CountedSseBody`): shared, not per body. */
const sseStreamMethods: PropertyDescriptorMap = {
  pipeThrough: {
    configurable: true,
    value(
      this: ReadableStream<Uint8Array>,
      transform: ReadableWritablePair<unknown, Uint8Array>,
      options?: StreamPipeOptions,
    ) {
      const body = sseBodyOf(this)
      return options === undefined && isPlainDecoder(transform)
        ? body.decoded()
        : pipeThrough.call(body.counted(), transform, options)
    },
  },
  getReader: {
    configurable: true,
    value(this: ReadableStream<Uint8Array>, options?: ReadableStreamGetReaderOptions) {
      return sseBodyOf(this)
        .counted()
        .getReader(options as undefined)
    },
  },
  pipeTo: {
    configurable: true,
    value(
      this: ReadableStream<Uint8Array>,
      destination: WritableStream<Uint8Array>,
      options?: StreamPipeOptions,
    ) {
      return sseBodyOf(this).counted().pipeTo(destination, options)
    },
  },
  tee: {
    configurable: true,
    value(this: ReadableStream<Uint8Array>) {
      return sseBodyOf(this).counted().tee()
    },
  },
  values: {
    configurable: true,
    value(this: ReadableStream<Uint8Array>, options?: { preventCancel?: boolean }) {
      return iterate(sseBodyOf(this).counted(), options)
    },
  },
  [Symbol.asyncIterator]: {
    configurable: true,
    value(this: ReadableStream<Uint8Array>, options?: { preventCancel?: boolean }) {
      return iterate(sseBodyOf(this).counted(), options)
    },
  },
  cancel: {
    configurable: true,
    value(this: ReadableStream<Uint8Array>, reason?: unknown) {
      // A locked body refuses (as any stream does); what reads it can be cancelled.
      if (!this.locked) sseBodyOf(this).end()
      return cancel.call(this, reason)
    },
  },
}

const oversizedErrors = new WeakSet<object>()

function tooLarge(max: number): MCPClientError {
  const error = new MCPClientError(
    'RESPONSE_TOO_LARGE',
    `A message from the server exceeded ${max} bytes (maxResponseBytes). Raise \`maxResponseBytes\` if the server's answers are legitimately this large.`,
  )
  oversizedErrors.add(error)
  return error
}

/** What a counted response reads from (see `countJsonBody` and `countSseBody`). */
interface CountedBody {
  /** The body as fetch gave it. */
  readonly source: ReadableStream<Uint8Array>
  /** The limit and the scope of a body read from `source` here (without `stream`). */
  readonly max: number
  readonly scope: RequestScope | undefined
  /** The stream `body` hands out: an SSE body's own, or a counting stream made when asked for. */
  stream?: ReadableStream<Uint8Array>
}

const countedBodies = new WeakMap<Response, CountedBody>()
const decoder = new TextDecoder()

/**
 * A body that is not an SSE stream (a JSON answer, an error page, an empty `202`), counted
 * without a second stream around it: `response` itself is returned, its `json()`, `text()`,
 * `arrayBuffer()`, `bytes()` and `blob()` replaced by reads that count each chunk, report it
 * to `scope`, and stop past `max` bytes with `RESPONSE_TOO_LARGE`. Its `body` is a counted
 * stream, made when first asked for. The SDK reads such an answer with `json()` or `text()`.
 */
export function countJsonBody(
  response: Response,
  max: number,
  scope: RequestScope | undefined,
): Response {
  countedBodies.set(response, { source: response.body!, max, scope })
  return Object.defineProperties(response, countedMethods)
}

/**
 * An SSE body, counted as `counted` says: `response` itself is returned, its `body` fetch's own
 * stream with counted read methods, and its other ways to read the body read that stream.
 *
 * Both keep fetch's own `Response`. A new one around a counting stream, for every answer, cost
 * a sequential tool call 5–16% of its client CPU: the copied headers, and for a JSON answer a
 * second web stream (`bench/README.md`, "Answers counted on fetch's own `Response`"). The SDK
 * never clones an answer.
 */
export function countSseBody(response: Response, counted: CountedSseBody): Response {
  countedBodies.set(response, {
    source: counted.source,
    max: Number.POSITIVE_INFINITY,
    scope: undefined,
    stream: counted.source,
  })
  return Object.defineProperties(response, countedMethods)
}

async function readCounted(response: Response): Promise<Uint8Array> {
  const body = countedBodies.get(response)
  if (!body) throw new TypeError('Illegal invocation')
  // `body` was asked for: its stream counts already. A body already read, or being read,
  // throws here, as a used body's methods do.
  const counted = body.stream !== undefined
  const reader = (body.stream ?? body.source).getReader()
  const max = counted ? Number.POSITIVE_INFINITY : body.max
  const scope = counted ? undefined : body.scope
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    let result: ReadableStreamReadResult<Uint8Array>
    try {
      result = await reader.read()
    } catch (error) {
      // The network failed under the body (the Fetch standard's TypeError): this answer will
      // not come.
      if (error instanceof TypeError && !counted) {
        markNetworkFailure(error)
        scope?.streamLost()
      }
      throw error
    }
    if (result.done) break
    const chunk = result.value
    scope?.received(chunk.length)
    size += chunk.length
    if (size > max) {
      const error = tooLarge(max)
      reader.cancel(error).catch(() => {})
      throw error
    }
    chunks.push(chunk)
  }
  return joinChunks(chunks, size)
}

const countedMethods: PropertyDescriptorMap = {
  body: {
    configurable: true,
    get(this: Response): ReadableStream<Uint8Array> | null {
      const body = countedBodies.get(this)
      if (!body) return null
      if (body.stream) return body.stream
      // Once a method read it, the (used) stream itself, as a used body's `body` is.
      if (body.source.locked) return body.source
      const counter = new BodyCounter(body.max, false, body.scope, undefined)
      const source = new CountingSource(body.source, counter) as UnderlyingDefaultSource<Uint8Array>
      body.stream = new ReadableStream(source, { highWaterMark: 0 })
      return body.stream
    },
  },
  json: {
    configurable: true,
    async value(this: Response): Promise<unknown> {
      return JSON.parse(decoder.decode(await readCounted(this)))
    },
  },
  text: {
    configurable: true,
    async value(this: Response): Promise<string> {
      return decoder.decode(await readCounted(this))
    },
  },
  bytes: {
    configurable: true,
    value(this: Response): Promise<Uint8Array> {
      return readCounted(this)
    },
  },
  arrayBuffer: {
    configurable: true,
    async value(this: Response): Promise<ArrayBuffer> {
      const bytes = await readCounted(this)
      return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
        ? (bytes.buffer as ArrayBuffer)
        : (bytes.slice().buffer as ArrayBuffer)
    },
  },
  blob: {
    configurable: true,
    async value(this: Response): Promise<Blob> {
      const type = this.headers.get('content-type') ?? ''
      return new Blob([(await readCounted(this)) as Uint8Array<ArrayBuffer>], { type })
    },
  },
}

/** Whether `error` is (or was caused by) a body `TransportFetch` cut off at `maxResponseBytes`. */
export function isOversizedBody(error: unknown): boolean {
  for (let depth = 0; depth < 4 && typeof error === 'object' && error !== null; depth++) {
    if (oversizedErrors.has(error)) return true
    error = (error as { cause?: unknown }).cause
  }
  return false
}
