import { joinChunks } from '../join-chunks.js'
import { markNetworkFailure } from '../sdk-contract.js'
import { BodyCounter, CountingSource, DecodedSseStream, tooLarge } from './counting-source.js'
import type { RequestScope } from './request-scope.js'

const { pipeThrough, cancel } = ReadableStream.prototype

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
 * itself (`DecodedSseStream`). Every other way to read the body (`getReader`, `pipeTo`, `tee`,
 * iteration, another transform, `text()` and the rest) reads a counting stream of bytes. The
 * limit, the scope's reports, the errors and `ended` are the same either way.
 */
export class CountedSseBody extends BodyCounter {
  readonly source: ReadableStream<Uint8Array>
  /**
   * What reads the body, once something does, and the stream of its bytes if that is how it is
   * read. A stream of its text is not kept: piped into the SDK's parser it is of no more use
   * (its source writes into the parser), and held it would cost each idle client ~1.9 KiB.
   */
  #reader: { source: CountingSource; bytes: ReadableStream<Uint8Array> | undefined } | undefined
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
    ;(source as SseStream)[sseBodyKey] = this
    Object.setPrototypeOf(source, derivedPrototype(source, sseStreamPrototypes, sseStreamMethods))
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
      if (!decoder && this.#reader.bytes) return this.#reader.bytes
      throw new TypeError('ReadableStream is locked')
    }
    const source = new CountingSource(this.source, this, decoder)
    if (decoder) {
      this.#reader = { source, bytes: undefined }
      return new DecodedSseStream(source)
    }
    const bytes = new ReadableStream<Uint8Array>(source as UnderlyingDefaultSource<Uint8Array>, {
      highWaterMark: 0,
    })
    this.#reader = { source, bytes }
    return bytes
  }
}

/** Where an SSE body's stream keeps its `CountedSseBody`. */
const sseBodyKey = Symbol('mcpkit.sseBody')
type SseStream = ReadableStream<Uint8Array> & { [sseBodyKey]?: CountedSseBody }

function sseBodyOf(stream: ReadableStream<Uint8Array>): CountedSseBody {
  const body = (stream as SseStream)[sseBodyKey]
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

/** Where a counted response keeps what it reads from. */
const counted = Symbol('mcpkit.countedBody')
type CountedResponse = Response & { [counted]?: CountedBody }
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
  return withCountedMethods(response, { source: response.body!, max, scope })
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
export function countSseBody(response: Response, body: CountedSseBody): Response {
  return withCountedMethods(response, {
    source: body.source,
    max: Number.POSITIVE_INFINITY,
    scope: undefined,
    stream: body.source,
  })
}

/**
 * `response`, reading through `body`: its prototype becomes one that inherits from its own and
 * overrides the read methods (made once per `Response` class, so a custom `fetch`'s own class
 * keeps its getters). The state lives on the response rather than in a weak map, whose
 * entries every garbage collection has to walk.
 */
function withCountedMethods(response: Response, body: CountedBody): Response {
  ;(response as CountedResponse)[counted] = body
  return Object.setPrototypeOf(
    response,
    derivedPrototype(response, countedPrototypes, countedMethods),
  ) as Response
}

/** Per prototype of the responses a `fetch` returns, the counted one that inherits from it. */
const countedPrototypes = new WeakMap<object, object>()
/** Per prototype of the SSE bodies a `fetch` returns, the counted one that inherits from it. */
const sseStreamPrototypes = new WeakMap<object, object>()

/**
 * The prototype that inherits from `object`'s own and has `methods`, made once per own
 * prototype. Swapping a fresh object's prototype costs a tenth of defining the methods on the
 * object itself, and keeps it out of dictionary mode.
 */
function derivedPrototype(
  object: object,
  derived: WeakMap<object, object>,
  methods: PropertyDescriptorMap,
): object {
  const own = Object.getPrototypeOf(object) as object
  let prototype = derived.get(own)
  if (!prototype) {
    prototype = Object.create(own, methods) as object
    derived.set(own, prototype)
  }
  return prototype
}

function countedBodyOf(response: Response): CountedBody | undefined {
  return (response as CountedResponse)[counted]
}

async function readCounted(response: Response): Promise<Uint8Array> {
  const body = countedBodyOf(response)
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
      const body = countedBodyOf(this)
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
