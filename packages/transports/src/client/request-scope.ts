import { AsyncLocalStorage } from 'node:async_hooks'

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

const storage = new AsyncLocalStorage<RequestScope>()

/**
 * Runs `fn` so that the requests it sends (on the connections of `connectClient`) report to
 * `scope`. Requests the SDK sends by itself (an `input_required` round, the listen stream) are
 * outside any scope; they are still bounded per message.
 */
export function runInRequestScope<Result>(scope: RequestScope, fn: () => Result): Result {
  return storage.run(scope, fn)
}

/** The scope of the request being sent, if any. */
export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore()
}
