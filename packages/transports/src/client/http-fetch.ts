import type { HttpServerDefinition } from '@mcpkit/types'
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import { currentRequestContext } from './request-context-storage.js'

type RequestId = string | number

/**
 * The fetch every HTTP request of one connection goes through.
 *
 * - It calls the definition's `fetch(url, init, requestContext)` with the context of the call
 *   that caused the request (`null` in the handshake), or the global `fetch`.
 * - It gives each request its own abort signal. The SDK passes one long-lived signal to every
 *   request, and fetch adds an abort listener to that signal each time: long-lived clients
 *   collected thousands of listeners. Here the transport's signal carries one listener, which
 *   aborts the requests still open when the transport closes. A JSON response is released at
 *   once; an SSE response stays linked until its request is answered (POST) or a newer stream
 *   replaces it (GET), so closing the transport still ends every open stream.
 */
export class TransportFetch {
  readonly fetch: FetchLike
  readonly #open = new Set<AbortController>()
  readonly #streamsByRequest = new Map<RequestId, AbortController>()
  #getStream: AbortController | undefined
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
      this.#open.add(controller)
      let response: Response
      try {
        response = await base(url, { ...init, signal: controller.signal })
      } catch (error) {
        this.#open.delete(controller)
        throw error
      }
      if (!response.body || !response.headers.get('content-type')?.includes('text/event-stream')) {
        this.#open.delete(controller)
      } else if (init?.method === 'POST') {
        const id = requestIdOf(init.body)
        if (id === undefined) this.#open.delete(controller)
        else this.#streamsByRequest.set(id, controller)
      } else {
        // A new standalone stream means the previous one has ended.
        if (this.#getStream) this.#open.delete(this.#getStream)
        this.#getStream = controller
      }
      return response
    }
  }

  /**
   * Sees responses arrive on `transport`, which must already be connected (the SDK sets its
   * `onmessage` in `connect()`), to release the streams that carried them.
   */
  attach(transport: Transport): void {
    const onmessage = transport.onmessage
    transport.onmessage = (message, extra) => {
      if ('id' in message && !('method' in message)) {
        const controller = this.#streamsByRequest.get(message.id as RequestId)
        if (controller) {
          this.#streamsByRequest.delete(message.id as RequestId)
          this.#open.delete(controller)
        }
      }
      onmessage?.(message, extra)
    }
  }

  #listen(outer: AbortSignal): void {
    if (this.#listeningTo === outer) return
    this.#listeningTo = outer
    outer.addEventListener(
      'abort',
      () => {
        for (const controller of this.#open) controller.abort(outer.reason)
        this.#open.clear()
        this.#streamsByRequest.clear()
      },
      { once: true },
    )
  }
}

/** The id of the single JSON-RPC request in `body`; the SDK writes `id` as the last key. */
function requestIdOf(body: unknown): RequestId | undefined {
  if (typeof body !== 'string') return undefined
  const match = /"id":(\d+|"(?:[^"\\]|\\.)*")\}$/.exec(body)
  if (match) return match[1]!.startsWith('"') ? (JSON.parse(match[1]!) as string) : Number(match[1])
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
