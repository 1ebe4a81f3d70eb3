import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * An `AsyncLocalStorage` that is enabled only while something runs in it. On Node before
 * AsyncContextFrame (Node 22), an enabled storage installs a promise hook that costs every
 * promise of the process something, used or not; so the storage stays disabled until the first
 * `run()`, and is disabled again once the last run (and the promise it returned) has settled.
 * Code that reads the store after that reads `undefined`, as it would outside any run.
 */
export class LazyAsyncStorage<Store> {
  readonly #storage = new AsyncLocalStorage<Store>()
  /** Runs whose callback (or the promise it returned) has not settled yet. */
  #active = 0

  /** Runs `fn` with `store` as the store of everything it does, until its promise settles. */
  run<Result>(store: Store, fn: () => Result): Result {
    this.#active++
    let result: Result
    try {
      result = this.#storage.run(store, fn)
    } catch (error) {
      this.#release()
      throw error
    }
    if (isThenable(result)) {
      const release = () => this.#release()
      result.then(release, release)
    } else {
      this.#release()
    }
    return result
  }

  /** The store of the run the caller is in, if any. */
  getStore(): Store | undefined {
    return this.#active === 0 ? undefined : this.#storage.getStore()
  }

  /** How many runs are in progress (`0`: the storage is disabled). */
  get active(): number {
    return this.#active
  }

  #release(): void {
    if (--this.#active === 0) this.#storage.disable()
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}
