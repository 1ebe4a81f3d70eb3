import type { HttpServerDefinition } from '@mcpkit/types'
import type { FetchLike, Transport } from '@modelcontextprotocol/client'
import { markNetworkFailure, requestIdOf, watchRequestStreams } from '../sdk-contract.js'
import { CountedSseBody, countJsonBody, countSseBody } from './counting-body.js'
import { currentRequestContext } from './request-context-storage.js'
import { DEFAULT_MAX_RESPONSE_BYTES, type RequestScope, RequestsInFlight } from './request-scope.js'

type RequestId = string | number

/** How many answered or standalone SSE streams stay linked to the transport's signal. */
const RECENT_STREAMS = 64
/**
 * How many requests sent in a scope or with their own signal stay known until their answer (or
 * stream end): past it the oldest is forgotten, as a request that never got either (it timed
 * out) would be.
 */
const KNOWN_REQUESTS = 1024

/** What `sending` learnt of a request: the caller's scope, and the request's own abort signal. */
interface Sent {
  readonly scope: RequestScope | undefined
  readonly signal: AbortSignal | undefined
}

/**
 * The requests of one signal the SDK passed that are still worth aborting, and the one
 * listener that aborts them: removed once the group is empty, because Node keeps a signal
 * with an abort listener alive as long as its sources (`AbortSignal.any` of the transport's
 * signal and a modern request's own): one kept listener per call was ~0.9 KB per call.
 */
interface Group {
  readonly members: Set<Tracked>
  readonly signal: AbortSignal
  readonly listener: () => void
  /** The `TransportFetch` whose requests these are. */
  readonly owner: TransportFetch
}

/**
 * Where a signal keeps its group while it has one: a property of the signal rather than an
 * entry in a weak map, which every garbage collection has to walk (a request on the legacy era
 * makes and ends a group).
 */
const groupKey = Symbol('mcpkit.abortGroup')
type GroupedSignal = AbortSignal & { [groupKey]?: Group | undefined }

/**
 * A request still worth aborting: the abort controller fetch was given for it, and the group of
 * the shared signal's requests it is in.
 */
interface Tracked {
  readonly controller: AbortController
  readonly group: Group
  /** The request's own signal (a 2026-07-28 request's) and the listener that aborts it. */
  own?: { readonly signal: AbortSignal; readonly listener: () => void } | undefined
  /** The caller's scope the request was sent in (see `request-scope.ts`). */
  readonly scope?: RequestScope | undefined
  /** Its JSON-RPC id, once read: for its scope, or its SSE stream (`#unanswered`, `#answered`). */
  id?: RequestId | undefined
  /** Its counted SSE body, once the response came: aborting the request ends it too. */
  body?: CountedSseBody | undefined
}

/**
 * Aborts a request, and ends its response body here as well. The fetch of Node 20 and 22
 * (undici 6, nodejs/undici#3644) can lose the link from the signal it was given to the request
 * in a garbage collection: the abort then reaches neither the body nor the socket, and a stream
 * the server keeps open (a `subscriptions/listen` or standalone `GET` stream) stays open on both
 * sides after the client closed. A custom `fetch` may ignore the signal too. Cancelling the
 * body closes the request whatever the signal did.
 */
function abortTracked(tracked: Tracked, reason: unknown): void {
  tracked.controller.abort(reason)
  tracked.body?.abort(reason)
}

/**
 * The fetch every HTTP request of one connection goes through.
 *
 * - It calls the definition's `fetch(url, init, requestContext)` with the context of the call
 *   that caused the request (`null` in the handshake), or the global `fetch`.
 * - The SDK passes one long-lived signal (the transport's) to every request, and fetch adds an
 *   abort listener to that signal each time: long-lived clients collected thousands of
 *   listeners. So each request gets its own abort controller, and each signal the SDK passes
 *   carries one listener, which aborts what of that signal may still be open: requests waiting
 *   for headers, SSE streams of unanswered requests, and the most recent answered or standalone
 *   streams (a server should end a POST stream once it has answered; a GET stream lives until
 *   replaced). JSON responses are released at once. On the 2026-07-28 era the SDK also gives
 *   each request a signal of its own (aborting a request's stream is how it is cancelled),
 *   which `attach` takes from the transport (see `watchRequestStreams`): it aborts the request
 *   here, until its response came in JSON or its stream ended.
 * - It sees what the SDK's errors do not say: a request whose response stream ended before
 *   the answer (`onStreamLost`, from the transport's `onRequestStreamEnd`), a session the server
 *   no longer knows (`sessionExpired`, a 404 to a POST), credentials the server refuses (`credentialsRefused`, a 401 or 403 to a POST),
 *   how the era probe was answered (`probeStatus`), and the network failing under a request
 *   (`isNetworkFailure`).
 */
export class TransportFetch {
  readonly fetch: FetchLike
  // The SSE stream tracking is made on first use: a connection answered in JSON has none.
  /** SSE streams of requests not answered yet, by JSON-RPC id. */
  #unanswered: Map<RequestId, Tracked> | undefined
  /** SSE streams of answered requests that have not ended yet, by JSON-RPC id (bounded). */
  #answered: Map<RequestId, Tracked> | undefined
  /** The scope and own signal of each request sent with either, not answered yet (bounded). */
  #sent: RequestsInFlight<Sent> | undefined
  /**
   * A ring of the most recent answered POST streams and GET streams (grows to RECENT_STREAMS);
   * a stream known only here leaves it when its body ends.
   */
  readonly #recent: (Tracked | undefined)[] = []
  #recentCursor = 0
  #attached = false
  /** Set once a POST was answered 404: the session is gone, whatever the SDK's error says. */
  sessionExpired = false
  /**
   * Whether the latest POST answered was refused for its credentials (401 or 403), which
   * legacy SSE's errors say only in their message. Cleared by the next POST that succeeds.
   */
  credentialsRefused = false
  /** The HTTP status the `server/discover` era probe was answered with, once it was. */
  probeStatus: number | undefined
  /** Set while the standalone `GET` stream is held back (`park()`). */
  #parked: boolean
  /** The standalone `GET` the SDK sent while parked: it goes out on `resume()`. */
  #waiting: { send(): void; drop(): void } | undefined
  /** The live standalone `GET` stream, once its answer came. */
  #standing: Tracked | undefined
  /**
   * Called when the SSE stream of a request ended (or broke) before its answer came: the
   * answer may never come. Set by whoever owns the connection.
   */
  onStreamLost: ((requestId: RequestId) => void) | undefined
  /** The most bytes of one JSON body or SSE event (`maxResponseBytes`). */
  readonly #maxMessageBytes: number
  /** The definition's `fetch` with the caller's request context, or the global `fetch`. */
  readonly #base: FetchLike
  /** Set once the server redirected a standing stream: those then follow redirects too. */
  #redirects = false

  /**
   * `parked: true` holds the Streamable HTTP standalone `GET` stream back from the start, as
   * `park()` does: no request, no idle socket, until `resume()`.
   */
  constructor(definition: HttpServerDefinition, options: { parked?: boolean } = {}) {
    this.#maxMessageBytes = definition.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
    const userFetch = definition.fetch
    this.#base = userFetch
      ? (url, init) => userFetch(url, init, currentRequestContext())
      : (url, init) => fetch(url, init)
    this.#parked = options.parked === true
    this.fetch = async (url, init) => {
      const standalone = isStandaloneGet(init)
      if (standalone && this.#parked) return this.#wait(url, init)
      const outer = init?.signal
      if (!outer || outer.aborted) {
        const response = await this.#send(url, init)
        return response.body
          ? this.#bounded(response, isEventStream(response), undefined)
          : response
      }
      const post = init?.method === 'POST'
      // The request's id, read once it matters: for its scope, or for its SSE stream below.
      let id: RequestId | undefined
      let idRead = false
      let sent: Sent | undefined
      if (post && this.#sent !== undefined && this.#sent.size > 0) {
        id = requestIdOf(init.body)
        idRead = true
        sent = id === undefined ? undefined : this.#sent.get(id)
      }
      const scope = sent?.scope
      const tracked: Tracked = {
        controller: new AbortController(),
        group: this.#groupOf(outer),
        scope,
        id,
      }
      tracked.group.members.add(tracked)
      if (sent?.signal) this.#follow(tracked, sent.signal)
      const { signal } = tracked.controller
      let response: Response
      try {
        response = await this.#send(url, { ...init, signal })
      } catch (error) {
        this.#failed(tracked)
        // The Fetch standard rejects with a TypeError when the network fails; anything else a
        // custom `fetch` throws is its own refusal, which the call reports as it is.
        if (error instanceof TypeError && !signal.aborted) markNetworkFailure(error)
        throw error
      }
      if (signal.aborted) {
        // Aborted while the headers were on their way, and fetch missed it (see `abortTracked`).
        this.#failed(tracked)
        await response.body?.cancel(signal.reason).catch(() => {})
        throw signal.reason
      }
      if (post) {
        if (response.status === 404) this.sessionExpired = true
        if (response.status === 401 || response.status === 403) this.credentialsRefused = true
        else if (response.ok) this.credentialsRefused = false
        if (this.probeStatus === undefined && isProbe(init.body)) this.probeStatus = response.status
      }
      const sse = isEventStream(response)
      if (!response.body || !sse) {
        this.#leave(tracked)
        return response.body ? this.#bounded(response, sse, scope) : response
      }
      const streamed = tracked
      let ended: (() => void) | undefined
      // Before `attach`, answers go by unseen: the handshake's stream is not tracked.
      if (!idRead) id = post && this.#attached ? requestIdOf(init.body) : undefined
      if (standalone) {
        if (this.#parked) {
          // Parked while the headers were on their way: the SDK never sees this stream.
          this.#leave(streamed)
          await response.body.cancel().catch(() => {})
          return this.#wait(url, init)
        }
        this.#standing = streamed
        this.#remember(streamed)
        ended = () => {
          if (this.#standing === streamed) this.#standing = undefined
          this.#forget(streamed)
        }
      } else if (id === undefined) {
        this.#remember(streamed)
        ended = () => this.#forget(streamed)
      } else {
        streamed.id = id
        this.#unanswered ??= new Map()
        this.#unanswered.set(id, streamed)
      }
      return this.#bounded(response, sse, scope, ended, streamed)
    }
  }

  /** Whether the standalone `GET` stream is open: what the server sends unasked arrives. */
  get open(): boolean {
    return this.#standing !== undefined
  }

  /**
   * Closes the standalone `GET` stream and holds the next one back until `resume()`. The SDK
   * sees its stream break and sends a new `GET` after its reconnection delay; that request
   * waits here, unsent, so a parked connection holds no socket and no stream.
   */
  park(): void {
    this.#parked = true
    const standing = this.#standing
    this.#standing = undefined
    if (standing) abortTracked(standing, new Error('the standing stream was parked'))
  }

  /** Lets the standalone `GET` stream open again: the one held back, if any, goes out now. */
  resume(): void {
    this.#parked = false
    const waiting = this.#waiting
    this.#waiting = undefined
    waiting?.send()
  }

  /**
   * A standalone `GET` held back while parked: sent on `resume()`, rejected when its signal
   * (the transport's, aborted when it closes) aborts first. The SDK sends one at a time; an
   * older one still waiting is answered 405, "no stream", which the SDK takes quietly.
   */
  #wait(url: string | URL, init: RequestInit | undefined): Promise<Response> {
    const signal = init?.signal
    if (signal?.aborted) return Promise.reject(signal.reason)
    this.#waiting?.drop()
    return new Promise<Response>((resolve, reject) => {
      const onAbort = () => {
        if (this.#waiting === waiting) this.#waiting = undefined
        reject(signal?.reason)
      }
      const waiting = {
        send: () => {
          signal?.removeEventListener('abort', onAbort)
          this.fetch(url, init).then(resolve, reject)
        },
        drop: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve(new Response(null, { status: 405, statusText: 'Method Not Allowed' }))
        },
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiting = waiting
    })
  }

  /**
   * Sends a request; the two kinds that ask nothing of the server, standing streams and the
   * session `DELETE`, are sent once more when the first try fails, and the second try's outcome
   * stands.
   *
   * - A standing stream (a `GET`, or a `subscriptions/listen` request) goes out with
   *   `redirect: 'error'` first: in any other mode (the SDK sends `'manual'` and follows
   *   redirects itself), Node's fetch keeps a clone of the request, its body teed, for as long
   *   as the response streams, 2 to 7 KB for each idle client. The second try is the request as
   *   the SDK made it, so a redirect reaches the SDK as it would have, whatever way the `fetch`
   *   in use refused it. Once Node's fetch refused a redirect, this connection's standing
   *   streams are sent as made from then on.
   * - A `DELETE` that the network failed (a `TypeError`: typically a kept-alive socket the
   *   server closed as the request went out) is sent again: otherwise the session stays open on
   *   the server until its own timeout.
   */
  #send(url: string | URL, init: RequestInit | undefined): Promise<Response> {
    const standing = isStandingStream(init)
    if (!standing && init?.method !== 'DELETE') return this.#base(url, init)
    const first =
      standing && !this.#redirects && init?.redirect !== 'error'
        ? { ...init, redirect: 'error' as const }
        : init
    return this.#base(url, first).catch((error: unknown) => {
      if (init?.signal?.aborted || (!standing && !(error instanceof TypeError))) throw error
      if (isRedirectRefusal(error)) this.#redirects = true
      return this.#base(url, init)
    })
  }

  /**
   * `response` with a body that counts what it reads: one JSON body, or one SSE event, may not
   * exceed `maxResponseBytes`, and every byte is reported to the request's scope (which bounds
   * a whole operation). Past the limit the body errors with `RESPONSE_TOO_LARGE`, so the
   * transport stops reading, and nothing more is buffered. A JSON body the network cuts off
   * is a lost response stream to the scope (an SSE stream is reported by the transport).
   * `ended` is called once an SSE body ended, failed or was cancelled. Aborting `tracked` ends
   * the body too.
   */
  #bounded(
    response: Response,
    sse: boolean,
    scope: RequestScope | undefined,
    ended?: () => void,
    tracked?: Tracked,
  ): Response {
    if (!sse) return countJsonBody(response, this.#maxMessageBytes, scope)
    // An ended body is let go of: a tracked stream may stay in the ring after it ended.
    const onEnd = tracked
      ? () => {
          tracked.body = undefined
          ended?.()
        }
      : ended
    const body = new CountedSseBody(response.body!, this.#maxMessageBytes, scope, onEnd)
    if (tracked) tracked.body = body
    return countSseBody(response, body)
  }

  /**
   * The group of `signal`'s requests; the first time, one listener that aborts them. An aborted
   * request is forgotten at once: the SDK reports no stream end for a stream it cancelled (a
   * modern request's, or a closed `subscriptions/listen`), and the request, its controller and
   * the abort reason's stack would stay tracked (with its scope) for the connection's life.
   */
  #groupOf(signal: GroupedSignal): Group {
    let group = signal[groupKey]
    if (group?.owner !== this) {
      const members = new Set<Tracked>()
      const listener = () => {
        for (const tracked of members) {
          abortTracked(tracked, signal.reason)
          this.#untrack(tracked)
        }
        members.clear()
        if (signal[groupKey]?.listener === listener) signal[groupKey] = undefined
      }
      group = { members, signal, listener, owner: this }
      signal[groupKey] = group
      signal.addEventListener('abort', listener, { once: true })
    }
    return group
  }

  /**
   * `tracked` aborts when its own signal does (`signal`, a 2026-07-28 request's): the request is
   * then cancelled, and nothing of it is left to track.
   */
  #follow(tracked: Tracked, signal: AbortSignal): void {
    const listener = () => {
      abortTracked(tracked, signal.reason)
      this.#untrack(tracked)
      this.#leave(tracked)
    }
    if (signal.aborted) {
      listener()
      return
    }
    tracked.own = { signal, listener }
    signal.addEventListener('abort', listener, { once: true })
  }

  /** A request that failed before its answer could come: nothing of it is left to track. */
  #failed(tracked: Tracked): void {
    this.#leave(tracked)
    if (tracked.id !== undefined) this.#sent?.delete(tracked.id)
  }

  /** `tracked` needs no aborting any more; its signal's listener goes with the last one. */
  #leave(tracked: Tracked): void {
    const { own } = tracked
    if (own) {
      tracked.own = undefined
      own.signal.removeEventListener('abort', own.listener)
    }
    const { group } = tracked
    group.members.delete(tracked)
    const signal = group.signal as GroupedSignal
    if (group.members.size === 0 && signal[groupKey] === group) {
      signal[groupKey] = undefined
      signal.removeEventListener('abort', group.listener)
    }
  }

  /**
   * Watches `transport`, which must already be connected (the SDK sets its `onmessage` in
   * `connect()`): responses move the streams that carried them among the recent ones, and a
   * request whose stream ends before its response (the transport's `onRequestStreamEnd`) is
   * reported to `onStreamLost`. A request's own signal (a 2026-07-28 request's) aborts it here.
   */
  attach(transport: Transport): void {
    this.#attached = true
    watchRequestStreams(transport, {
      sending: (id, scope, signal) => {
        if (!scope && !signal) return
        this.#sent ??= new RequestsInFlight<Sent>(KNOWN_REQUESTS)
        this.#sent.set(id, { scope, signal })
      },
      answered: (id) => {
        this.#sent?.delete(id)
        const tracked = this.#unanswered?.get(id)
        if (!tracked) return
        this.#unanswered?.delete(id)
        // Kept until its stream ends (the server should end it now); the oldest of too many
        // goes to the ring of recent streams.
        this.#answered ??= new Map()
        const answered = this.#answered
        answered.set(id, tracked)
        if (answered.size > RECENT_STREAMS) {
          const [oldestId, oldest] = answered.entries().next().value as [RequestId, Tracked]
          answered.delete(oldestId)
          this.#remember(oldest)
        }
      },
      streamEnded: (id) => this.#streamEnded(id),
    })
  }

  /**
   * A request's stream ended: nothing of it is left to abort. If its response never came on
   * it, it may never come.
   */
  #streamEnded(id: RequestId): void {
    this.#sent?.delete(id)
    const answered = this.#answered?.get(id)
    if (answered) {
      this.#answered?.delete(id)
      this.#leave(answered)
      return
    }
    const tracked = this.#unanswered?.get(id)
    if (!tracked) return
    this.#unanswered?.delete(id)
    this.#leave(tracked)
    tracked.scope?.streamLost()
    this.onStreamLost?.(id)
  }

  /** Removes an aborted request from wherever its stream was tracked. */
  #untrack(tracked: Tracked): void {
    const { id } = tracked
    if (id !== undefined) {
      if (this.#unanswered?.get(id) === tracked) this.#unanswered.delete(id)
      if (this.#answered?.get(id) === tracked) this.#answered.delete(id)
      this.#sent?.delete(id)
    }
    const index = this.#recent.indexOf(tracked)
    if (index !== -1) this.#recent[index] = undefined
    if (this.#standing === tracked) this.#standing = undefined
  }

  /** A stream of the ring ended: nothing of it is left to abort. */
  #forget(tracked: Tracked): void {
    const index = this.#recent.indexOf(tracked)
    if (index === -1) return // evicted already, and left
    this.#recent[index] = undefined
    this.#leave(tracked)
  }

  #remember(tracked: Tracked): void {
    const evicted = this.#recent[this.#recentCursor]
    if (evicted) this.#leave(evicted)
    this.#recent[this.#recentCursor] = tracked
    this.#recentCursor = (this.#recentCursor + 1) % RECENT_STREAMS
  }
}

/** Whether a POST body is the `server/discover` era probe (which is small: no arguments). */
function isProbe(body: unknown): boolean {
  return typeof body === 'string' && body.length < 4096 && body.includes('"server/discover"')
}

/**
 * The Streamable HTTP standalone `GET` stream: a `GET` that is not resuming a POST stream (those
 * carry `last-event-id`).
 */
function isStandaloneGet(init: RequestInit | undefined): boolean {
  if (init?.method !== 'GET') return false
  const headers = init.headers
  return !(headers instanceof Headers ? headers : new Headers(headers)).has('last-event-id')
}

/** A request whose response is a stream kept open while the client idles. */
function isStandingStream(init: RequestInit | undefined): boolean {
  if (init?.method === 'GET') return true
  const body = init?.body
  return typeof body === 'string' && body.length < 4096 && body.includes('"subscriptions/listen"')
}

/**
 * Whether `error` is Node's fetch (undici, and any `fetch` built on it) refusing a redirect it
 * was told not to follow: a `TypeError` caused by an "unexpected redirect" network error.
 */
function isRedirectRefusal(error: unknown): boolean {
  return (
    error instanceof TypeError &&
    (error.cause as { message?: unknown } | undefined)?.message === 'unexpected redirect'
  )
}

function isEventStream(response: Response): boolean {
  return response.headers.get('content-type')?.includes('text/event-stream') === true
}
