/** The time limit and the caller's signal of one authorization, as one `AbortSignal`. */
export interface AuthorizationDeadline {
  /** Aborts with the error to throw: the timeout's, or the caller's abort. */
  readonly signal: AbortSignal
  /** Stops the timer and lets go of the caller's signal. */
  dispose(): void
}

/**
 * A deadline that aborts after `timeout` ms with `timeoutError()`, or when `signal` aborts with
 * `abortError(signal.reason)`, whichever comes first.
 */
export function authorizationDeadline(options: {
  timeout: number
  signal: AbortSignal | undefined
  timeoutError: () => Error
  abortError: (reason: unknown) => Error
}): AuthorizationDeadline {
  const { signal } = options
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(options.timeoutError()), options.timeout)
  const onAbort = () => controller.abort(options.abortError(signal?.reason))
  if (signal?.aborted) onAbort()
  else signal?.addEventListener('abort', onAbort, { once: true })
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    },
  }
}

/** `promise`, or the signal's reason as soon as it aborts; no listener is left behind. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  promise.catch(() => {})
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}
