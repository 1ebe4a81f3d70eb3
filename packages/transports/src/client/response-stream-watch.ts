import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import type { EventStreamObserver } from './http-fetch.js'

/** JSON-RPC `ConnectionClosed`: how the SDK rejects requests whose connection went away. */
const CONNECTION_CLOSED = -32000
/** Lets the SDK finish parsing the last events of a stream before we look at what is missing. */
const SETTLE_MS = 10

type RequestId = string | number

/**
 * Fails requests whose Streamable HTTP response stream ended without their response.
 *
 * When a server answers a POST with an SSE stream and then dies (or a proxy cuts the stream),
 * the SDK reports the broken stream to `onerror` but leaves the request pending until its
 * timeout, 60 s by default. This watch sees the stream end in the fetch layer and, unless the
 * SDK can resume it (the server sent event ids), delivers a `ConnectionClosed` error for each
 * request still waiting, so the caller learns at once that the call may not have completed.
 */
export class ResponseStreamWatch implements EventStreamObserver {
  #transport: Transport | undefined
  readonly #awaiting = new Set<RequestId>()
  /** Requests whose resumable stream broke: they fail if the SDK's resumption fails too. */
  readonly #resuming = new Set<RequestId>()

  open(init: RequestInit | undefined) {
    if (!this.#transport || init?.method !== 'POST' || typeof init.body !== 'string')
      return undefined
    const ids = requestIds(init.body)
    if (ids.length === 0) return undefined
    for (const id of ids) this.#awaiting.add(id)
    const decoder = new TextDecoder()
    let resumable = false
    return {
      chunk: (bytes: Uint8Array) => {
        // An `id:` field makes the stream resumable: the SDK will reconnect with it.
        if (!resumable && /(^|\n)id:/.test(decoder.decode(bytes, { stream: true })))
          resumable = true
      },
      end: () => {
        setTimeout(() => {
          const missing = ids.filter((id) => this.#awaiting.has(id))
          if (missing.length === 0) return
          if (resumable) for (const id of missing) this.#resuming.add(id)
          else this.#fail(missing, 'its response stream ended before the response arrived')
        }, SETTLE_MS).unref()
      },
    }
  }

  /**
   * Starts watching `transport`, which must already be connected: its `onmessage` (set by the
   * SDK in `connect()`) is wrapped to see responses arrive, its `onerror` to see the SDK give
   * up resuming a stream.
   */
  attach(transport: Transport): void {
    this.#transport = transport
    const onmessage = transport.onmessage
    transport.onmessage = (message, extra) => {
      if ('id' in message && !('method' in message)) {
        this.#awaiting.delete(message.id as RequestId)
        this.#resuming.delete(message.id as RequestId)
      }
      onmessage?.(message, extra)
    }
    const onerror = transport.onerror
    transport.onerror = (error) => {
      onerror?.(error)
      if (/^(Maximum reconnection attempts|Failed to reconnect)/.test(error.message)) {
        this.#fail([...this.#resuming], 'its response stream broke and could not be resumed')
      }
    }
  }

  #fail(ids: readonly RequestId[], why: string): void {
    for (const id of ids) {
      const message: JSONRPCMessage = {
        jsonrpc: '2.0',
        id,
        error: { code: CONNECTION_CLOSED, message: `Connection closed: ${why}` },
      }
      // Through the wrapped onmessage: it also forgets the id.
      this.#transport?.onmessage?.(message)
    }
  }
}

function requestIds(body: string): RequestId[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return []
  }
  const messages = Array.isArray(parsed) ? parsed : [parsed]
  const ids: RequestId[] = []
  for (const message of messages) {
    const { id, method } = (message ?? {}) as { id?: unknown; method?: unknown }
    if (typeof method === 'string' && (typeof id === 'string' || typeof id === 'number'))
      ids.push(id)
  }
  return ids
}
