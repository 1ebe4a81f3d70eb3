import { LazyAsyncStorage } from './lazy-storage.js'
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

const storage = new LazyAsyncStorage<RequestScope>()

/** What `needsRequestScope` asks of an operation. */
export interface ScopedOperation {
  /** A paginated list: it may send several requests, one per page. */
  readonly list?: boolean | undefined
}

/**
 * Whether an operation sent over a `kind` connection needs a scope (`runInRequestScope`), or
 * would gain nothing from one:
 *
 * - HTTP: always. An answer may come as a stream of messages, whose bytes add up, and a stream
 *   can end before its answer (the scope hears it).
 * - stdio: only a paginated list (its pages' bytes add up, its cursors are watched, and it has
 *   its own deadline). Any other operation is one request answered by one message, which the
 *   transport already bounds by the same `maxResponseBytes`; and a pipe has no stream to lose.
 *
 * An operation without a scope runs outside `AsyncLocalStorage` altogether.
 */
export function needsRequestScope(kind: TransportKind, operation: ScopedOperation): boolean {
  return kind !== 'stdio' || operation.list === true
}

/**
 * Runs `fn` so that the requests it sends (on the connections of `connectClient`) report to
 * `scope`. Requests the SDK sends by itself (an `input_required` round, the listen stream) are
 * outside any scope; they are still bounded per message. The storage behind it is enabled only
 * while a scope runs (see `LazyAsyncStorage`).
 */
export function runInRequestScope<Result>(scope: RequestScope, fn: () => Result): Result {
  return storage.run(scope, fn)
}

/** How many scopes are running (their operations have not settled). */
export function runningRequestScopes(): number {
  return storage.active
}

/** The scope of the request being sent, if any. */
export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore()
}
