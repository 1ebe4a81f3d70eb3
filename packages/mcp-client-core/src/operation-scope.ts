import type { RequestScope } from '@mcpkit/transports/client'

/** Why an operation was cut short by its scope. */
export type ScopeFailure =
  /** The server's answers took more than `maxResponseBytes`. */
  | { readonly kind: 'too-large'; readonly max: number }
  /** A request's response stream ended before its answer: the answer will not come. */
  | { readonly kind: 'stream-lost' }
  /** The whole operation (every page of a list) took longer than its deadline. */
  | { readonly kind: 'deadline'; readonly ms: number }

/**
 * One attempt of one operation (a tool call, a whole paginated list): the transports report
 * the bytes of its answers and the loss of its response streams (`RequestScope`); the first
 * failure aborts `signal`, which the SDK request was given, so the call fails at once instead
 * of waiting for its timeout or reading on.
 */
export class OperationScope implements RequestScope {
  readonly #controller = new AbortController()
  readonly #maxBytes: number
  #bytes = 0
  #timer: NodeJS.Timeout | undefined
  #failure: ScopeFailure | undefined

  constructor(options: { maxBytes: number; deadline?: number | undefined }) {
    this.#maxBytes = options.maxBytes
    const { deadline } = options
    if (deadline !== undefined && Number.isFinite(deadline)) {
      this.#timer = setTimeout(() => this.#fail({ kind: 'deadline', ms: deadline }), deadline)
    }
  }

  /** Aborted on the first failure; pass it to the SDK request. */
  get signal(): AbortSignal {
    return this.#controller.signal
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
