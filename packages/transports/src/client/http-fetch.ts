import type { HttpServerDefinition } from '@mcpkit/types'
import type { FetchLike, Transport } from '@modelcontextprotocol/client'
import { markNetworkFailure, requestIdOf, watchRequestStreams } from '../sdk-contract.js'
import { currentRequestContext } from './request-context-storage.js'

type RequestId = string | number

/** How many answered or standalone SSE streams stay linked to the transport's signal. */
const RECENT_STREAMS = 64

/**
 * The fetch every HTTP request of one connection goes through.
 *
 * - It calls the definition's `fetch(url, init, requestContext)` with the context of the call
 *   that caused the request (`null` in the handshake), or the global `fetch`.
 * - It gives each request its own abort signal. The SDK passes one long-lived signal to every
 *   request, and fetch adds an abort listener to that signal each time: long-lived clients
 *   collected thousands of listeners. Here the transport's signal carries one listener, which
 *   aborts what may still be open when the transport closes: requests waiting for headers, SSE
 *   streams of unanswered requests, and the most recent answered or standalone streams (a
 *   server should end a POST stream once it has answered; a GET stream lives until replaced).
 *   JSON responses are released at once.
 * - It sees what the SDK's errors do not say: a request whose response stream ended before
 *   the answer (`onStreamLost`, from the transport's `onRequestStreamEnd`), a session the server no longer knows (`sessionExpired`, a 404
 *   to a POST), credentials the server refuses (`credentialsRefused`, a 401 or 403 to a POST),
 *   and the network failing under a request (`isNetworkFailure`).
 */
export class TransportFetch {
  readonly fetch: FetchLike
  /** Requests whose response headers have not arrived. */
  readonly #awaitingHeaders = new Set<AbortController>()
  /** SSE streams of requests not answered yet, by JSON-RPC id. */
  readonly #unanswered = new Map<RequestId, AbortController>()
  /** A ring of the most recent answered POST streams and GET streams. */
  readonly #recent: (AbortController | undefined)[] = new Array(RECENT_STREAMS)
  #recentCursor = 0
  #listeningTo: AbortSignal | undefined
  #attached = false
  /** Set once a POST was answered 404: the session is gone, whatever the SDK's error says. */
  sessionExpired = false
  /**
   * Whether the latest POST answered was refused for its credentials (401 or 403), which
   * legacy SSE's errors say only in their message. Cleared by the next POST that succeeds.
   */
  credentialsRefused = false
  /**
   * Called when the SSE stream of a request ended (or broke) before its answer came: the
   * answer may never come. Set by whoever owns the connection.
   */
  onStreamLost: ((requestId: RequestId) => void) | undefined

  constructor(definition: HttpServerDefinition) {
    const userFetch = definition.fetch
    const base: FetchLike = userFetch
      ? (url, init) => userFetch(url, init, currentRequestContext())
      : (url, init) => fetch(url, init)
    this.fetch = async (url, init) => {
      const outer = init?.signal
      if (!outer || outer.aborted) return base(url, init)
      this.#listen(outer)
      const controller = new AbortController()
      this.#awaitingHeaders.add(controller)
      let response: Response
      try {
        response = await base(url, { ...init, signal: controller.signal })
      } catch (error) {
        // The Fetch standard rejects with a TypeError when the network fails; anything else a
        // custom `fetch` throws is its own refusal, which the call reports as it is.
        if (error instanceof TypeError && !controller.signal.aborted) markNetworkFailure(error)
        throw error
      } finally {
        this.#awaitingHeaders.delete(controller)
      }
      const post = init?.method === 'POST'
      if (post) {
        if (response.status === 404) this.sessionExpired = true
        if (response.status === 401 || response.status === 403) this.credentialsRefused = true
        else if (response.ok) this.credentialsRefused = false
      }
      if (response.body && response.headers.get('content-type')?.includes('text/event-stream')) {
        // Before `attach`, answers go by unseen: the handshake's stream is not tracked.
        const id = post && this.#attached ? requestIdOf(init.body) : undefined
        if (id === undefined) this.#remember(controller)
        else this.#unanswered.set(id, controller)
      }
      return response
    }
  }

  /**
   * Watches `transport`, which must already be connected (the SDK sets its `onmessage` in
   * `connect()`): responses move the streams that carried them among the recent ones, and a
   * request whose stream ends before its response (the transport's `onRequestStreamEnd`) is
   * reported to `onStreamLost`.
   */
  attach(transport: Transport): void {
    this.#attached = true
    watchRequestStreams(transport, {
      answered: (id) => {
        const controller = this.#unanswered.get(id)
        if (!controller) return
        this.#unanswered.delete(id)
        this.#remember(controller)
      },
      streamEnded: (id) => this.#streamEnded(id),
    })
  }

  /** A request's stream ended: if its response never came on it, it may never come. */
  #streamEnded(id: RequestId): void {
    const controller = this.#unanswered.get(id)
    if (!controller) return
    this.#unanswered.delete(id)
    this.#remember(controller)
    this.onStreamLost?.(id)
  }

  #remember(controller: AbortController): void {
    this.#recent[this.#recentCursor] = controller
    this.#recentCursor = (this.#recentCursor + 1) % RECENT_STREAMS
  }

  #listen(outer: AbortSignal): void {
    if (this.#listeningTo === outer) return
    this.#listeningTo = outer
    outer.addEventListener(
      'abort',
      () => {
        for (const controller of [
          ...this.#awaitingHeaders,
          ...this.#unanswered.values(),
          ...this.#recent,
        ]) {
          controller?.abort(outer.reason)
        }
        this.#awaitingHeaders.clear()
        this.#unanswered.clear()
        this.#recent.fill(undefined)
      },
      { once: true },
    )
  }
}
