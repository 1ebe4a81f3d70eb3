import type { ClientConnection } from '@mcpkit/transports/client'
import type { Log } from '@mcpkit/types'
import type {
  Client,
  McpSubscription,
  ServerCapabilities,
  SubscriptionFilter,
} from '@modelcontextprotocol/client'

/** Reopen delays after a stream ends unexpectedly: 250 ms, doubling, at most 10 s. */
const REOPEN_BASE_MS = 250
const REOPEN_MAX_MS = 10_000
/** Reopens in a row that fail before giving up until the next connection. */
const REOPEN_ATTEMPTS = 8

export interface ListenStreamOptions {
  client: Client
  /** What to ask for, read at each (re)open: the list changes and resource subscriptions. */
  filter: () => SubscriptionFilter
  /** Milliseconds to wait for the server to acknowledge a stream. */
  timeout: number
  log: Log
  /** A stream was acknowledged; `honored` is what the server will deliver on it. */
  onOpen: (honored: SubscriptionFilter) => void
  /** The stream ended without us closing it: notifications may have been missed. */
  onLost: () => void
}

/**
 * The one `subscriptions/listen` stream of a 2026-07-28 connection (that era delivers
 * `list_changed` and `resources/updated` only there). Its notifications reach the SDK client's
 * notification handlers, as a legacy server's unsolicited ones do. A stream the server or the
 * network ends is reopened (with backoff, a bounded number of times in a row); a new filter
 * (a resource subscribed or unsubscribed) replaces the stream, the new one acknowledged before
 * the old one closes so nothing falls in between. `close()` ends it and every timer.
 */
export class ListenStream {
  readonly #options: ListenStreamOptions
  #current: McpSubscription | undefined
  #honored: SubscriptionFilter | undefined
  #generation = 0
  #failures = 0
  #timer: NodeJS.Timeout | undefined
  #closed = false

  constructor(options: ListenStreamOptions) {
    this.#options = options
  }

  /** What the open stream delivers; `undefined` while none is open. */
  get honored(): SubscriptionFilter | undefined {
    return this.#honored
  }

  /**
   * Opens the stream with the current filter, replacing the open one. Resolves with what the
   * server honours; rejects when the server refuses the stream (the old one stays open then).
   */
  async open(): Promise<SubscriptionFilter> {
    if (this.#closed) throw new Error('the listen stream is closed')
    const generation = ++this.#generation
    this.#clearTimer()
    const filter = this.#options.filter()
    const previous = this.#current
    if (isEmpty(filter)) {
      this.#current = undefined
      this.#honored = {}
      await previous?.close()
      return {}
    }
    const subscription = await this.#options.client.listen(filter, {
      timeout: this.#options.timeout,
    })
    if (this.#closed || generation !== this.#generation) {
      // Closed meanwhile, or a newer filter was asked for: that stream covers this one.
      await subscription.close()
      return subscription.honoredFilter
    }
    this.#current = subscription
    this.#honored = subscription.honoredFilter
    this.#failures = 0
    void subscription.closed.then((reason) => this.#ended(subscription, reason))
    await previous?.close()
    this.#options.onOpen(subscription.honoredFilter)
    return subscription.honoredFilter
  }

  /** Ends the stream and stops reopening it. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true
    this.#clearTimer()
    const current = this.#current
    this.#current = undefined
    this.#honored = undefined
    await current?.close().catch(() => {})
  }

  #ended(subscription: McpSubscription, reason: 'local' | 'graceful' | 'remote'): void {
    if (this.#closed || subscription !== this.#current) return
    this.#current = undefined
    this.#honored = undefined
    this.#options.onLost()
    this.#options.log('info', `the subscriptions/listen stream ended (${reason}); reopening it`)
    this.#scheduleReopen()
  }

  #scheduleReopen(): void {
    if (this.#closed || this.#timer) return
    if (this.#failures >= REOPEN_ATTEMPTS) {
      this.#options.log(
        'warning',
        `the subscriptions/listen stream could not be reopened ${REOPEN_ATTEMPTS} times in a row; change notifications stop until the next connection`,
      )
      return
    }
    const delay = Math.min(REOPEN_BASE_MS * 2 ** this.#failures, REOPEN_MAX_MS)
    this.#failures += 1
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.open().catch((error: unknown) => {
        this.#options.log(
          'info',
          `reopening the subscriptions/listen stream failed: ${String(error)}`,
        )
        this.#scheduleReopen()
      })
    }, delay)
  }

  /** Opens the first stream in the background; a failure is retried like a dropped stream. */
  start(): void {
    this.open().catch((error: unknown) => {
      this.#options.log('info', `opening the subscriptions/listen stream failed: ${String(error)}`)
      this.#scheduleReopen()
    })
  }

  #clearTimer(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }
}

export interface ServerListenOptions {
  /** Whether a connection holds its standing stream at once (`notificationStream` not `false`). */
  wanted: boolean
  /** The resource URIs subscribed to, read at each (re)open. */
  subscriptions: ReadonlySet<string>
  timeout: number
  log: Log
  /** A stream ended unexpectedly: a change may have gone by unseen. */
  onLost: () => void
}

/**
 * The standing stream of one server's live connection: what the server sends unasked (list
 * changes, resource updates). On the 2026-07-28 era that is a `subscriptions/listen` stream,
 * kept here; on a legacy Streamable HTTP connection the standalone `GET` stream the SDK keeps,
 * which the connection's `standingStream` holds back or lets go. A connection has one when it
 * is wanted: always, unless the definition says `notificationStream: false`, and then once a
 * handler or a subscription asks for notifications (`want()`, `open()`).
 *
 * A stream nobody asked for is parked while its client idles in a pool (`park()`): it closes,
 * and opens again on `resume()`. One a handler or subscription asked for is never parked.
 *
 * The modern stream of a new connection is held back until the request that caused the
 * connection settled, so a cold call does not share the wire with it. Then it is due (`due()`):
 * it opens in the next turn of the event loop, after the caller's code has run on its answer,
 * or before the connection's next request goes out (`openDue()`), whichever comes first. Its
 * request therefore still precedes every later request of the connection, as if it had opened
 * at once: a token the server revokes meanwhile is refreshed once, by the first request refused.
 */
export class ServerListen {
  readonly #options: ServerListenOptions
  #wanted: boolean
  /** A handler or subscription asked for the stream: it is never parked. */
  #asked = false
  #parked = false
  #stream: ListenStream | undefined
  /** The stream of a new connection, not opened yet. */
  #pending: ListenStream | undefined
  /** Set while the pending stream is due: it opens in this turn of the event loop. */
  #dueTimer: ReturnType<typeof setImmediate> | undefined

  constructor(options: ServerListenOptions) {
    this.#options = options
    this.#wanted = options.wanted
  }

  /** What the open modern stream delivers; `undefined` while none is open. */
  get honored(): SubscriptionFilter | undefined {
    return this.#stream?.honored
  }

  /** Whether the connection should hold its stream now. */
  get active(): boolean {
    return this.#wanted && !this.#parked
  }

  /** Whether a modern stream is open, or about to open, on the live connection. */
  get holdsStream(): boolean {
    return this.#stream !== undefined
  }

  /**
   * A connection opened: its modern stream, if wanted, waits for its first request (`due()`);
   * its legacy `GET` stream is let go or held back.
   */
  connected(connection: ClientConnection): void {
    if (connection.era === 'modern') {
      if (this.active) this.#make(connection)
    } else if (this.active) {
      connection.standingStream?.resume()
    } else {
      connection.standingStream?.park()
    }
  }

  /**
   * The request that caused the connection settled: the stream held back for it opens once
   * its caller has the answer (in the next turn of the event loop), or with `openDue()`.
   */
  due(): void {
    if (!this.#pending || this.#dueTimer) return
    this.#dueTimer = setImmediate(() => this.openDue())
  }

  /** Opens the due stream now, if one is: a request of the connection is about to go out. */
  openDue(): void {
    if (this.#dueTimer) this.#openPending()
  }

  /** Opens the stream held back for a new connection, if any. */
  #openPending(): void {
    const pending = this.#pending
    this.#pending = undefined
    this.#clearDue()
    if (pending && pending === this.#stream) pending.start()
  }

  #clearDue(): void {
    if (this.#dueTimer) clearImmediate(this.#dueTimer)
    this.#dueTimer = undefined
  }

  /**
   * Opens the stream of the modern `connection` now, or replaces the open one with the current
   * subscriptions; resolves with what the server honours.
   */
  open(connection: ClientConnection): Promise<SubscriptionFilter> {
    this.#wanted = true
    this.#asked = true
    this.#parked = false
    const stream = this.#stream ?? this.#make(connection)
    if (this.#pending === stream) {
      this.#pending = undefined
      this.#clearDue()
    }
    return stream.open()
  }

  /** Something asked for notifications: from now on every connection has a stream. */
  want(connection: ClientConnection | undefined): void {
    if (this.#asked) return
    this.#asked = true
    const was = this.active
    this.#wanted = true
    this.#parked = false
    if (!was && connection) this.#hold(connection)
  }

  /**
   * The client idles: a stream nobody asked for closes, until `resume()`. Returns whether
   * the connection had one, or would have: its notifications go unheard from now on.
   */
  park(connection: ClientConnection | undefined): boolean {
    if (this.#asked || !this.active) return false
    this.#parked = true
    if (connection?.era === 'modern') void this.#closeStream()
    else connection?.standingStream?.park()
    return true
  }

  /** The client is in use again: a parked stream opens now. */
  resume(connection: ClientConnection | undefined): void {
    if (!this.#parked) return
    this.#parked = false
    if (this.#wanted && connection) this.#hold(connection)
  }

  /** The stream of `connection` opens now, if it has none. */
  #hold(connection: ClientConnection): void {
    if (connection.era !== 'modern') {
      connection.standingStream?.resume()
    } else if (!this.#stream) {
      this.#make(connection)
      this.#openPending()
    }
  }

  /** The connection ended, or the client closes: its stream closes. */
  close(): Promise<void> {
    return this.#closeStream()
  }

  #closeStream(): Promise<void> {
    const stream = this.#stream
    this.#stream = undefined
    this.#pending = undefined
    this.#clearDue()
    return stream ? stream.close() : Promise.resolve()
  }

  #make(connection: ClientConnection): ListenStream {
    const { subscriptions, timeout, log, onLost } = this.#options
    const stream = new ListenStream({
      client: connection.client,
      filter: () => listenFilterOf(connection.client.getServerCapabilities(), subscriptions),
      timeout,
      log,
      onOpen: (honored) => log('debug', 'subscriptions/listen stream open', { honored }),
      onLost,
    })
    this.#stream = stream
    this.#pending = stream
    return stream
  }
}

/** What a listen stream asks for: every list change the server announces, and `subscriptions`. */
export function listenFilterOf(
  capabilities: ServerCapabilities | undefined,
  subscriptions: ReadonlySet<string>,
): SubscriptionFilter {
  const filter: SubscriptionFilter = {}
  if (capabilities?.tools?.listChanged) filter.toolsListChanged = true
  if (capabilities?.prompts?.listChanged) filter.promptsListChanged = true
  if (capabilities?.resources?.listChanged) filter.resourcesListChanged = true
  if (capabilities?.resources?.subscribe && subscriptions.size > 0) {
    filter.resourceSubscriptions = [...subscriptions]
  }
  return filter
}

function isEmpty(filter: SubscriptionFilter): boolean {
  return (
    !filter.toolsListChanged &&
    !filter.promptsListChanged &&
    !filter.resourcesListChanged &&
    !(filter.resourceSubscriptions && filter.resourceSubscriptions.length > 0)
  )
}
