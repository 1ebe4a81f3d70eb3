import {
  type RequestScope,
  type RequestScopeOptions,
  requestScopeOptions,
} from '@mcpkit/transports/client'

/** Why an operation was cut short by its scope. */
export type ScopeFailure =
  /** The server's answers took more than `maxResponseBytes`. */
  | { readonly kind: 'too-large'; readonly max: number }
  /** A request's response stream ended before its answer: the answer will not come. */
  | { readonly kind: 'stream-lost' }
  /** The whole operation (every page of a list) took longer than its deadline. */
  | { readonly kind: 'deadline'; readonly ms: number }
  /** A list was handed a page cursor the server had returned before: its pages would loop. */
  | { readonly kind: 'repeated-cursor'; readonly cursor: string }

/** The options of an SDK call made in a scope: its requests report to it, and it can abort them. */
export interface ScopeRequestOptions extends RequestScopeOptions {
  readonly signal: AbortSignal
}

/**
 * One attempt of one operation (a tool call, a whole paginated list): the transports report
 * the bytes of its answers, the loss of its response streams and the cursor of each page it
 * asks for (`RequestScope`). Pass `requestOptions` to the SDK call: they put its requests in
 * this scope, and their `signal` aborts on the first failure, so the call fails at once
 * instead of waiting for its timeout or reading on.
 */
export class OperationScope implements RequestScope {
  readonly #controller = new AbortController()
  readonly #maxBytes: number
  #bytes = 0
  /** The page cursors sent, made on the first (only a list has pages). */
  #cursors: Set<string> | undefined
  #timer: NodeJS.Timeout | undefined
  #failure: ScopeFailure | undefined

  constructor(options: { maxBytes: number; deadline?: number | undefined }) {
    this.#maxBytes = options.maxBytes
    const { deadline } = options
    if (deadline !== undefined && Number.isFinite(deadline)) {
      this.#timer = setTimeout(() => this.#fail({ kind: 'deadline', ms: deadline }), deadline)
    }
  }

  #requestOptions: ScopeRequestOptions | undefined

  /** The options of the SDK call made in this scope (spread them into its options). */
  get requestOptions(): ScopeRequestOptions {
    this.#requestOptions ??= { signal: this.#controller.signal, ...requestScopeOptions(this) }
    return this.#requestOptions
  }

  get failure(): ScopeFailure | undefined {
    return this.#failure
  }

  received(bytes: number): void {
    this.#bytes += bytes
    if (this.#bytes > this.#maxBytes) this.#fail({ kind: 'too-large', max: this.#maxBytes })
  }

  streamLost(): void {
    this.#fail({ kind: 'stream-lost' })
  }

  pageRequested(cursor: string): boolean {
    this.#cursors ??= new Set()
    if (!this.#cursors.has(cursor)) {
      this.#cursors.add(cursor)
      return true
    }
    // The page is refused before it is sent, which fails its request: no abort (it would tell
    // the server to cancel a request it never got).
    if (!this.#failure) this.#failure = { kind: 'repeated-cursor', cursor }
    clearTimeout(this.#timer)
    return false
  }

  /** The operation settled: the deadline timer goes. */
  dispose(): void {
    clearTimeout(this.#timer)
  }

  #fail(failure: ScopeFailure): void {
    if (this.#failure) return
    this.#failure = failure
    clearTimeout(this.#timer)
    this.#controller.abort(new Error(`mcpkit: ${failure.kind}`))
  }
}
