/**
 * What mcpkit's transports rely on that the MCP SDK does not promise, in one place. Each item
 * is checked against the installed SDK by `sdk-contract.test.ts`, so an SDK upgrade that
 * changes one fails that test instead of a user's call.
 */

import type { Transport } from '@modelcontextprotocol/client'

type RequestId = string | number

/**
 * The id of the single JSON-RPC request in a POST body, or `undefined`.
 *
 * Relies on: the SDK's HTTP client transports serialise a request with `id` as its last key
 * (`JSON.stringify` of `{ jsonrpc, method, params, id }`), so the id is read from the body's
 * tail without parsing megabytes of tool arguments. If that ever changes, the tail check fails
 * and the whole body is parsed: slower, still right.
 */
export function requestIdOf(body: unknown): RequestId | undefined {
  if (typeof body !== 'string') return undefined
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

const networkFailures = new WeakSet<object>()

/**
 * Remembers that `error` is the network failing under a request (the `fetch` itself threw:
 * connection refused or reset, DNS), not the server answering.
 *
 * Relies on: the SDK's HTTP client transports reject a request with the very error their
 * `fetch` threw, so the mark is still there when the call fails. The SSE transport's errors
 * carry no class or code that says this, and message text is not an interface.
 */
export function markNetworkFailure(error: unknown): void {
  if (typeof error === 'object' && error !== null) networkFailures.add(error)
}

/** Whether `error` was marked by `markNetworkFailure`. */
export function isNetworkFailure(error: unknown): boolean {
  return typeof error === 'object' && error !== null && networkFailures.has(error)
}

/**
 * Tells `answered(id)` of every response `transport` delivers, and `streamEnded(id)` when the
 * response stream of request `id` ends or breaks (the transport's documented
 * `onRequestStreamEnd`). `transport` must be connected: the SDK sets `onmessage` in `connect()`.
 *
 * Relies on: the Streamable HTTP client transport delivering every message of a request's
 * stream, its response included, to `onmessage` before it calls that request's
 * `onRequestStreamEnd`, so a stream that ends with its request still unanswered really ended
 * without the answer.
 */
export function watchRequestStreams(
  transport: Transport,
  hooks: { answered(id: RequestId): void; streamEnded(id: RequestId): void },
): void {
  const onmessage = transport.onmessage
  transport.onmessage = (message, extra) => {
    if ('id' in message && !('method' in message)) hooks.answered(message.id as RequestId)
    onmessage?.(message, extra)
  }
  const send = transport.send.bind(transport)
  transport.send = (message, options) => {
    if (!('method' in message) || !('id' in message)) return send(message, options)
    const id = message.id as RequestId
    return send(message, {
      ...options,
      onRequestStreamEnd: () => {
        options?.onRequestStreamEnd?.()
        hooks.streamEnded(id)
      },
    })
  }
}
