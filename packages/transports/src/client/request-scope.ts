import type { RequestId } from '@modelcontextprotocol/client'
import type { TransportKind } from './protocol-verdict.js'

/** The default of a server definition's `maxResponseBytes`: 16 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024

/**
 * One operation of a caller (a tool call, a whole paginated list), as the transports report
 * on the requests it sends: how many bytes their answers took, and whether a request's
 * response stream ended before its answer. The owner decides what to do (fail the operation).
 */
export interface RequestScope {
  /** The server sent `bytes` more for one of the scope's requests. */
  received(bytes: number): void
  /** The response stream of one of the scope's requests ended (or broke) before its answer. */
  streamLost(): void
  /**
   * A paginated list of the scope asks for the page at `cursor` (a `nextCursor` the server
   * returned). `false` refuses it: the request is not sent, and it fails at once.
   */
  pageRequested?(cursor: string): boolean
}

/**
 * The SDK request options that carry a scope: `onresumptiontoken`, which the SDK hands to the
 * transport's `send()` with the request, unchanged, for every request of one call (each page of
 * a list included). The function itself does nothing; the scope it stands for rides on it under
 * this key (a property rather than a weak map: one entry per call in a weak map cost a
 * sequential HTTP call ~2 µs, most of it in garbage collection).
 */
const scopeKey = Symbol('mcpkit.requestScope')
type ScopeCarrier = ((token: string) => void) & { [scopeKey]?: RequestScope }

/** What `requestScopeOptions` returns: spread into the options of the SDK call. */
export interface RequestScopeOptions {
  /** The SDK's resumption-token listener, here a no-op that carries the scope. */
  readonly onresumptiontoken: (token: string) => void
}

/** What `needsRequestScope` asks of an operation. */
export interface ScopedOperation {
  /** A paginated list: it may send several requests, one per page. */
  readonly list?: boolean | undefined
}

/**
 * Whether an operation sent over a `kind` connection needs a scope (`requestScopeOptions`), or
 * would gain nothing from one:
 *
 * - HTTP: always. An answer may come as a stream of messages, whose bytes add up, and a stream
 *   can end before its answer (the scope hears it).
 * - stdio: only a paginated list (its pages' bytes add up, its cursors are watched, and it has
 *   its own deadline). Any other operation is one request answered by one message, which the
 *   transport already bounds by the same `maxResponseBytes`; and a pipe has no stream to lose.
 */
export function needsRequestScope(kind: TransportKind, operation: ScopedOperation): boolean {
  return kind !== 'stdio' || operation.list === true
}

/**
 * The options that make the requests of one SDK call (`client.callTool(params, { ...options })`,
 * a whole paginated list) report to `scope` on the connections of `connectClient`. Requests the
 * SDK sends by itself (the rounds of an `input_required` exchange, which keep only the call's
 * `signal`; the listen stream; a re-list after a header mismatch) are in no scope; they are
 * still bounded per message. A plain request option rather than `AsyncLocalStorage`:
 * an enabled storage costs every promise of the process a hook, ~0.1 ms of CPU per HTTP call.
 */
export function requestScopeOptions(scope: RequestScope): RequestScopeOptions {
  const onresumptiontoken: ScopeCarrier = (_token: string) => {}
  onresumptiontoken[scopeKey] = scope
  return { onresumptiontoken }
}

/** The scope the options of a request sent to a transport carry, if any. */
export function scopeOfOptions(
  options: { onresumptiontoken?: ((token: string) => void) | undefined } | undefined,
): RequestScope | undefined {
  return (options?.onresumptiontoken as ScopeCarrier | undefined)?.[scopeKey]
}

/**
 * What is kept of each request in flight (its scope, say), by JSON-RPC id, oldest first; past
 * `max` the oldest is forgotten (as a request that never got an answer would be). Slots in two
 * arrays that keep their length, searched from the newest: a request is looked up just after it
 * was sent, and few are in flight at once. A `Map`, or arrays that grow and shrink, reallocate
 * storage as requests come and go, which cost a sequential HTTP tool call ~2 µs of CPU
 * (`bench/README.md`, "Request scopes in fixed slots").
 */
export class RequestsInFlight<Value = RequestScope> {
  /** Made on the first request: a connection that never sends one holds none. */
  #ids: (RequestId | undefined)[] = []
  #values: (Value | undefined)[] = []
  #size = 0
  readonly #max: number

  constructor(max: number) {
    this.#max = max
  }

  get size(): number {
    return this.#size
  }

  set(id: RequestId, value: Value): void {
    this.delete(id)
    if (this.#size === this.#ids.length) {
      if (this.#size < this.#max) this.#grow()
      else this.#remove(0)
    }
    this.#ids[this.#size] = id
    this.#values[this.#size] = value
    this.#size++
  }

  get(id: RequestId): Value | undefined {
    const index = this.#indexOf(id)
    return index === -1 ? undefined : this.#values[index]
  }

  delete(id: RequestId): void {
    const index = this.#indexOf(id)
    if (index !== -1) this.#remove(index)
  }

  #indexOf(id: RequestId): number {
    for (let index = this.#size - 1; index >= 0; index--) {
      if (this.#ids[index] === id) return index
    }
    return -1
  }

  #remove(index: number): void {
    const last = --this.#size
    if (index < last) {
      this.#ids.copyWithin(index, index + 1, last + 1)
      this.#values.copyWithin(index, index + 1, last + 1)
    }
    this.#ids[last] = undefined
    this.#values[last] = undefined
  }

  clear(): void {
    this.#ids.fill(undefined, 0, this.#size)
    this.#values.fill(undefined, 0, this.#size)
    this.#size = 0
  }

  #grow(): void {
    const length = Math.min(Math.max(this.#ids.length * 2, 8), this.#max)
    this.#ids = this.#ids.concat(new Array(length - this.#ids.length).fill(undefined))
    this.#values = this.#values.concat(new Array(length - this.#values.length).fill(undefined))
  }
}
