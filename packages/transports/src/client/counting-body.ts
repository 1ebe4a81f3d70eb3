import { MCPClientError } from '@mcpkit/types'
import { joinChunks } from '../join-chunks.js'
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
    return this.#size <= this.#max ? undefined : tooLarge(this.#max)
  }
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
  /** The counted stream `body` hands out: made at once for SSE, when asked for otherwise. */
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
 * An SSE body counted per event by `counting`, which already reads `response`'s body:
 * `response` itself is returned, its `body` the counted stream, and its other ways to read the
 * body read that stream.
 *
 * Both keep fetch's own `Response`. A new one around a counting stream, for every answer, cost
 * a sequential tool call 5–16% of its client CPU: the copied headers, and for a JSON answer a
 * second web stream (`bench/README.md`, "Answers counted on fetch's own `Response`"). The SDK
 * never clones an answer.
 */
export function countSseBody(response: Response, counting: CountingSource): Response {
  const stream = new ReadableStream(counting, { highWaterMark: 0 })
  countedBodies.set(response, {
    source: response.body!,
    max: Number.POSITIVE_INFINITY,
    scope: undefined,
    stream,
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
      body.stream = new ReadableStream(
        new CountingSource(body.source, body.max, false, body.scope, undefined),
        { highWaterMark: 0 },
      )
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
