import type { HttpServerDefinition } from '@mcpkit/types'
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
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
 *   JSON responses are released at once. No response body is wrapped, so the hot path costs a
 *   controller and a map entry.
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
      } finally {
        this.#awaitingHeaders.delete(controller)
      }
      if (response.body && response.headers.get('content-type')?.includes('text/event-stream')) {
        const id = init?.method === 'POST' ? requestIdOf(init.body) : undefined
        if (id === undefined) this.#remember(controller)
        else this.#unanswered.set(id, controller)
      }
      return response
    }
  }

  /**
   * Sees responses arrive on `transport`, which must already be connected (the SDK sets its
   * `onmessage` in `connect()`), to move the streams that carried them among the recent ones.
   */
  attach(transport: Transport): void {
    const onmessage = transport.onmessage
    transport.onmessage = (message, extra) => {
      if ('id' in message && !('method' in message)) {
        const controller = this.#unanswered.get(message.id as RequestId)
        if (controller) {
          this.#unanswered.delete(message.id as RequestId)
          this.#remember(controller)
        }
      }
      onmessage?.(message, extra)
    }
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

/** The id of the single JSON-RPC request in `body`; the SDK writes `id` as the last key. */
function requestIdOf(body: unknown): RequestId | undefined {
  if (typeof body !== 'string') return undefined
  // Look at the tail only: bodies can be megabytes of tool arguments.
  const at = body.lastIndexOf('"id":')
  if (at !== -1 && body.endsWith('}')) {
    const raw = body.slice(at + 5, -1)
    if (/^\d+$/.test(raw)) return Number(raw)
    if (raw.startsWith('"')) {
      try {
        const id: unknown = JSON.parse(raw)
        if (typeof id === 'string') return id
      } catch {
        // Not the top-level id after all: parse the whole body below.
      }
    }
  }
  try {
    const message = JSON.parse(body) as { id?: unknown; method?: unknown }
    const { id } = message
    return typeof message.method === 'string' && (typeof id === 'string' || typeof id === 'number')
      ? id
      : undefined
  } catch {
    return undefined
  }
}
