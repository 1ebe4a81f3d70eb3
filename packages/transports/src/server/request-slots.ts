import { MCPServerError } from '@mcpkit/types'

/** Default `maxRequestsInFlight`. */
export const DEFAULT_MAX_REQUESTS_IN_FLIGHT = 1000

/**
 * Requests without a session (2026-07-28 requests, stateless 2025 ones) being answered at once:
 * sessions are capped by `maxSessions`, these by this count, so a client that opens calls and
 * never waits for them cannot pile up handlers without bound.
 */
export class RequestSlots {
  readonly max: number
  #used = 0

  constructor(max: unknown) {
    if (max === undefined) this.max = DEFAULT_MAX_REQUESTS_IN_FLIGHT
    else if (typeof max === 'number' && Number.isInteger(max) && max > 0) this.max = max
    else {
      throw new MCPServerError(
        'INVALID_CONFIGURATION',
        `\`maxRequestsInFlight\` must be a positive integer, got ${String(max)}.`,
      )
    }
  }

  get used(): number {
    return this.#used
  }

  /** A release function for one slot, or `undefined` when all are taken. */
  take(): (() => void) | undefined {
    if (this.#used >= this.max) return undefined
    this.#used++
    let released = false
    return () => {
      if (released) return
      released = true
      this.#used--
    }
  }
}

/**
 * `response` whose `release` runs once its body has been read to the end, cancelled or has
 * failed (at once when it has none): a request holds its slot as long as its answer streams.
 */
export function releasedWithBody(response: Response, release: () => void): Response {
  const inner = response.body
  if (!inner) {
    release()
    return response
  }
  const reader = inner.getReader()
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read()
        if (done) {
          release()
          controller.close()
        } else controller.enqueue(value)
      } catch (error) {
        release()
        controller.error(error)
      }
    },
    cancel(reason) {
      release()
      return reader.cancel(reason).catch(() => {})
    },
  })
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  })
}
