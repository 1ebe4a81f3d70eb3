import type { HttpServerDefinition } from '@mcpkit/types'
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js'
import { currentRequestContext } from './request-context-storage.js'

/** Sees each SSE response body from start to end. */
export interface EventStreamObserver {
  /** Called once per SSE response; returns what to call as chunks pass and when it ends. */
  open(init: RequestInit | undefined): { chunk(bytes: Uint8Array): void; end(): void } | undefined
}

/**
 * The fetch every HTTP request of a connection goes through:
 *
 * - calls the definition's `fetch(url, init, requestContext)` with the context of the call that
 *   caused the request (`null` in the handshake), or the global `fetch`;
 * - gives each request its own abort signal, aborted with the transport's long-lived one while
 *   the request is open. The SDK passes that one signal to every request; fetch adds an abort
 *   listener to it each time, and long-lived clients collected thousands of them. Here the
 *   transport's signal carries a single listener whatever the number of requests;
 * - lets an observer watch SSE response bodies (see `ResponseStreamWatch`).
 */
export function createTransportFetch(
  definition: HttpServerDefinition,
  observer?: EventStreamObserver,
): FetchLike {
  const userFetch = definition.fetch
  const base: FetchLike = userFetch
    ? (url, init) => userFetch(url, init, currentRequestContext())
    : (url, init) => fetch(url, init)

  // One listener per transport signal, fanning out to the requests open on it.
  const openRequests = new WeakMap<AbortSignal, Set<AbortController>>()
  const link = (outer: AbortSignal) => {
    let open = openRequests.get(outer)
    if (!open) {
      const controllers = new Set<AbortController>()
      outer.addEventListener(
        'abort',
        () => {
          for (const controller of controllers) controller.abort(outer.reason)
          controllers.clear()
        },
        { once: true },
      )
      openRequests.set(outer, controllers)
      open = controllers
    }
    const controller = new AbortController()
    const controllers = open
    controllers.add(controller)
    return { signal: controller.signal, release: () => controllers.delete(controller) }
  }

  return async (url, init) => {
    const outer = init?.signal
    if (!outer || outer.aborted) return base(url, init)
    const { signal, release } = link(outer)

    let response: Response
    try {
      response = await base(url, { ...init, signal })
    } catch (error) {
      release()
      throw error
    }
    if (!response.body || !response.headers.get('content-type')?.includes('text/event-stream')) {
      // A JSON body is read at once; closing the transport rejects its request anyway.
      release()
      return response
    }
    // A stream stays linked, so closing the transport ends it, until it ends by itself.
    const watcher = observer?.open(init)
    return withBody(response, {
      chunk: (bytes) => watcher?.chunk(bytes),
      end: () => {
        release()
        watcher?.end()
      },
    })
  }
}

/** `response` with a body that reports its chunks and its end (done, error or cancel). */
function withBody(
  response: Response,
  hooks: { chunk(bytes: Uint8Array): void; end(): void },
): Response {
  const reader = response.body!.getReader()
  let ended = false
  const end = () => {
    if (ended) return
    ended = true
    hooks.end()
  }
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read()
        if (done) {
          controller.close()
          end()
          return
        }
        hooks.chunk(value)
        controller.enqueue(value)
      } catch (error) {
        controller.error(error)
        end()
      }
    },
    cancel(reason) {
      end()
      return reader.cancel(reason)
    },
  })
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  })
}
