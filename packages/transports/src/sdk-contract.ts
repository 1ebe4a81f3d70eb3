/**
 * What mcpkit's transports rely on that the MCP SDK does not promise, in one place. Each item
 * is checked against the installed SDK by `sdk-contract.test.ts`, so an SDK upgrade that
 * changes one fails that test instead of a user's call.
 */
import {
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  type Transport,
  type TransportSendOptions,
} from '@modelcontextprotocol/client'
import { type RequestScope, scopeOfOptions } from './client/request-scope.js'

type RequestId = string | number

/** `{"method":"…","jsonrpc":"2.0","id":…` or `{"jsonrpc":"2.0","id":…`: an id at the head. */
const ID_AT_HEAD =
  /^\{(?:"method":"(?:[^"\\]|\\.)*",)?"jsonrpc":"2\.0","id":(\d+|"(?:[^"\\]|\\.)*")[,}]/

/**
 * The id of the single JSON-RPC request in a POST body, or `undefined`.
 *
 * Relies on: the SDK's HTTP client transports serialise a request with `id` either as its last
 * key (`JSON.stringify` of `{ jsonrpc, method, params, id }`, the 2025 era) or right after
 * `jsonrpc` and before `params` (`{ method, jsonrpc, id, params }` on the 2026-07-28 era, and
 * `subscriptions/listen`'s `{ jsonrpc, id, method, params }`), so the id is read from the body's
 * head or tail without parsing megabytes of tool arguments. If that ever changes, both checks
 * fail and the whole body is parsed: slower, still right.
 */
export function requestIdOf(body: unknown): RequestId | undefined {
  if (typeof body !== 'string') return undefined
  const head = ID_AT_HEAD.exec(body.length > 512 ? body.slice(0, 512) : body)?.[1]
  if (head !== undefined) {
    if (!head.startsWith('"')) return Number(head)
    try {
      const id: unknown = JSON.parse(head)
      if (typeof id === 'string') return id
    } catch {
      // Not a JSON string after all: try the tail, then the whole body.
    }
  }
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
 * Tells `sending(id, scope, signal)` of every request `transport` is handed, `answered(id)` of
 * every response it delivers, and `streamEnded(id)` when the response stream of request `id`
 * ends or breaks (the transport's documented `onRequestStreamEnd`). `transport` must be
 * connected: the SDK sets `onmessage` in `connect()`.
 *
 * A request's own abort signal (`requestSignal`, which the SDK gives each 2026-07-28 request:
 * aborting it is how the request is cancelled) goes to `sending`, not to `transport`: the
 * caller's `fetch` aborts the request with it. Handed both that signal and its own long-lived
 * one, the SDK's transport would join them with `AbortSignal.any()`, and Node keeps what each
 * join registers on the long-lived signal for as long as that signal lives (nodejs/node#55351,
 * #64476): ~190 B per request for the life of the connection (`bench/README.md`, "2026-07-28
 * requests no longer joined to the connection's signal").
 *
 * Relies on: the Streamable HTTP client transport delivering every message of a request's
 * stream, its response included, to `onmessage` before it calls that request's
 * `onRequestStreamEnd`, so a stream that ends with its request still unanswered really ended
 * without the answer; and on it using `requestSignal` only to abort the request's `fetch`, and to
 * neither report nor resume a stream that abort ended. Without the signal, the SDK reports that
 * failure to `onerror` (for a request it has already rejected), and tries to resume the stream
 * if it carried an event id (a server that keeps events to resume from), then drops the answer.
 */
export function watchRequestStreams(
  transport: Transport,
  hooks: {
    /**
     * A request is being sent, in the scope of the call that sends it (if any), with its own
     * abort signal (if it has one).
     */
    sending(id: RequestId, scope: RequestScope | undefined, signal: AbortSignal | undefined): void
    answered(id: RequestId): void
    streamEnded(id: RequestId): void
  },
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
    hooks.sending(id, scopeOfOutgoingRequest(options), options?.requestSignal)
    return send(message, {
      ...options,
      requestSignal: undefined,
      onRequestStreamEnd: () => {
        options?.onRequestStreamEnd?.()
        hooks.streamEnded(id)
      },
    })
  }
}

/**
 * What makes the SDK `Client` treat a transport as stdio during era negotiation: `stderr` and
 * `pid` accessors. `ProcessStdioTransport` has both.
 *
 * Relies on: the SDK recognises stdio transports structurally (its docs say only that custom
 * stdio-shaped transports probe in place). Recognised as stdio, a server that stays silent on
 * the `server/discover` probe is a legacy server (the `initialize` handshake follows); not
 * recognised, the silence would be a timeout error, as on HTTP.
 */
export interface StdioShaped {
  readonly stderr: unknown
  readonly pid: unknown
}

/**
 * Whether a failed `connect()` is the era probe ending without a verdict: a stdio server that
 * exited on the probe (probed in place, the SDK cannot fall back on the same process), or an
 * HTTP probe answered 2xx with nothing usable. Both are `SdkError(EraNegotiationFailed)`, told
 * apart from a 5xx (an `SdkHttpError` with that code) by class; which of the two it was, the
 * caller knows from its own transport (the process ended / the fetch saw a 2xx).
 *
 * Relies on: the SDK reports both with that code and class, as 2.4 does.
 */
export function isProbeWithoutVerdict(error: unknown): boolean {
  return (
    error instanceof SdkError &&
    !(error instanceof SdkHttpError) &&
    error.code === SdkErrorCode.EraNegotiationFailed
  )
}

/**
 * The scope (`requestScopeOptions`) of the call that is sending a request, read by the
 * transports from the options the SDK hands their `send()` with it.
 *
 * Relies on: the SDK `Client` passes the call's `onresumptiontoken` request option to the
 * transport's `send()` of each request the call makes (each page of an auto-paginated list
 * included), and only calls it with the SSE event ids of that request's stream; and it fails a
 * request whose `send()` rejects with that error (how a page the scope refuses fails its list).
 * If the first ever changes, requests are sent outside any scope: answers are still bounded
 * per message, but a whole list is no longer bounded in bytes, a repeated page cursor runs on
 * to `maxListPages`, and a lost response stream falls back to the ping probe.
 */
export function scopeOfOutgoingRequest(
  options: TransportSendOptions | undefined,
): RequestScope | undefined {
  return scopeOfOptions(options)
}
