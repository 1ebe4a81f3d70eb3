import { type Log, safeLog } from '@mcpkit/types'
import { Redis, type RedisOptions } from 'ioredis'
import { RedisStoreError } from './redis-error.js'

/** Options of `RedisConnection`. */
export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). Default `redis://127.0.0.1:6379`. */
  url?: string | undefined
  /** More ioredis options (TLS, Sentinel, username, …); mcpkit's own settings below win. */
  redis?: RedisOptions | undefined
  /**
   * Milliseconds one command may take, including waiting for a connection that is being
   * (re)established; then it fails with `RedisStoreError` `STORE_TIMEOUT`. Default 2000.
   */
  commandTimeout?: number | undefined
  /** Prefix of every key and channel, so several apps can share one Redis. Default `'mcpkit:'`. */
  keyPrefix?: string | undefined
  /** Log lines: Redis lost (error), back (info), each failed command (warning). */
  log?: Log | undefined
}

const DEFAULT_COMMAND_TIMEOUT = 2000

/**
 * One Redis connection for commands and, once something subscribes, a second one for pub/sub
 * (a subscribed Redis connection can run nothing else). Every store of this package runs its
 * commands through `run()`: bounded by `commandTimeout`, with failures turned into
 * `RedisStoreError`s and log lines. Commands are never queued while Redis is away (no offline
 * queue): they fail at the timeout, and work again as soon as the connection is back.
 * `close()` ends both connections.
 */
export class RedisConnection {
  readonly keyPrefix: string
  readonly commandTimeout: number
  readonly #log: Log
  readonly #client: Redis
  #subscriber: Redis | undefined
  readonly #channels = new Map<string, Set<(message: string) => void>>()
  /** Each channel's SUBSCRIBE, resolved once Redis acknowledged it. */
  readonly #subscribed = new Map<string, Promise<void>>()
  readonly #reconnectListeners = new Set<() => void>()
  #down = false
  #closed = false

  constructor(options: RedisConnectionOptions = {}) {
    const commandTimeout = options.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT
    if (!Number.isFinite(commandTimeout) || commandTimeout <= 0) {
      throw new TypeError(
        `RedisConnection commandTimeout must be a positive number of ms; got ${commandTimeout}`,
      )
    }
    this.commandTimeout = commandTimeout
    this.keyPrefix = options.keyPrefix ?? 'mcpkit:'
    this.#log = safeLog(options.log)
    // ioredis 6's overloads reject an options object whose optional fields may be undefined
    // under `exactOptionalPropertyTypes`; the object is a RedisOptions all the same.
    const settings: RedisOptions = { ...options.redis, ...this.#settings(false) }
    this.#client = new Redis(options.url ?? 'redis://127.0.0.1:6379', settings as never)
    this.#watch(this.#client, 'commands')
  }

  /** The ioredis client that runs commands (for health checks; do not close it yourself). */
  get client(): Redis {
    return this.#client
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed
  }

  /**
   * Runs `command` once the connection is ready, within `commandTimeout`. Rejects with
   * `RedisStoreError` (`STORE_TIMEOUT` or `STORE_UNAVAILABLE`) and logs a warning otherwise.
   */
  async run<Value>(operation: string, command: (client: Redis) => Promise<Value>): Promise<Value> {
    if (this.#closed) {
      throw new RedisStoreError({
        code: 'STORE_UNAVAILABLE',
        operation,
        message: `Redis store: ${operation} after close(); create a new RedisConnection.`,
      })
    }
    let timer: ReturnType<typeof setTimeout> | undefined
    let expired = false
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        expired = true
        reject(
          new RedisStoreError({
            code: 'STORE_TIMEOUT',
            operation,
            message: `Redis store: ${operation} got no answer within ${this.commandTimeout} ms (Redis down or slow). Nothing was decided in its place; retry later.`,
          }),
        )
      }, this.commandTimeout)
    })
    // Waits for a connection being (re)established: an event, bounded by the deadline.
    let onReady: (() => void) | undefined
    const ready =
      this.#client.status === 'ready'
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            onReady = resolve
            this.#client.once('ready', resolve)
          })
    try {
      return await Promise.race([
        // A command whose deadline passed while it waited for the connection is never sent.
        ready.then(() => (expired ? Promise.reject(new Error('expired')) : command(this.#client))),
        deadline,
      ])
    } catch (error) {
      const failure =
        error instanceof RedisStoreError
          ? error
          : new RedisStoreError({
              code: /timed out/i.test(String((error as Error)?.message))
                ? 'STORE_TIMEOUT'
                : 'STORE_UNAVAILABLE',
              operation,
              message: `Redis store: ${operation} failed: ${(error as Error)?.message ?? String(error)}. Nothing was decided in its place; retry later.`,
              cause: error,
            })
      this.#log('warning', failure.message, { code: failure.code, operation })
      throw failure
    } finally {
      clearTimeout(timer)
      if (onReady) this.#client.off('ready', onReady)
    }
  }

  /**
   * Listens to a channel (its name is prefixed with `keyPrefix`) on the pub/sub connection,
   * which resubscribes by itself after a reconnect. Returns the idempotent unsubscribe.
   */
  subscribe(channel: string, listener: (message: string) => void): () => void {
    if (this.#closed) return () => {}
    const name = this.keyPrefix + channel
    let listeners = this.#channels.get(name)
    if (!listeners) {
      listeners = new Set()
      this.#channels.set(name, listeners)
      this.#subscribed.set(
        name,
        this.#subscriberClient()
          .subscribe(name)
          .then(
            () => undefined,
            (error: unknown) => {
              this.#subscribed.delete(name)
              this.#log('warning', `Redis store: subscribing to ${name} failed: ${String(error)}`)
            },
          ),
      )
    }
    const own = listeners
    const entry = (message: string) => listener(message)
    own.add(entry)
    let live = true
    return () => {
      if (!live) return
      live = false
      own.delete(entry)
      if (own.size === 0 && this.#channels.get(name) === own) {
        this.#channels.delete(name)
        this.#subscribed.delete(name)
        this.#subscriber?.unsubscribe(name).catch(() => {})
      }
    }
  }

  /**
   * Resolves once Redis has acknowledged the subscription to `channel` (subscribed with
   * `subscribe()`); at once when nothing subscribed to it. Bound it with `run()`.
   */
  whenSubscribed(channel: string): Promise<void> {
    return this.#subscribed.get(this.keyPrefix + channel) ?? Promise.resolve()
  }

  /** Publishes `message` on a channel (prefixed), through `run()`. */
  async publish(channel: string, message: string): Promise<void> {
    await this.run(`publish ${channel}`, (client) =>
      client.publish(this.keyPrefix + channel, message),
    )
  }

  /** Called each time a lost connection is back (for stores that resynchronise then). */
  onReconnect(listener: () => void): () => void {
    this.#reconnectListeners.add(listener)
    return () => {
      this.#reconnectListeners.delete(listener)
    }
  }

  /**
   * Closes both connections (politely when Redis answers, at once otherwise) and stops
   * reconnecting; later commands fail with `STORE_UNAVAILABLE`. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#channels.clear()
    this.#subscribed.clear()
    this.#reconnectListeners.clear()
    await Promise.all([this.#client, this.#subscriber].map((client) => client && quit(client)))
  }

  #settings(subscriber: boolean): RedisOptions {
    return {
      lazyConnect: false,
      // Subscriptions may wait for the connection; commands never queue while Redis is away.
      enableOfflineQueue: subscriber,
      commandTimeout: this.commandTimeout,
      connectTimeout: Math.max(this.commandTimeout, 1000),
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 5), 1000),
    }
  }

  #subscriberClient(): Redis {
    if (!this.#subscriber) {
      const subscriber = this.#client.duplicate(this.#settings(true))
      subscriber.on('message', (channel: string, message: string) => {
        for (const listener of [...(this.#channels.get(channel) ?? [])]) {
          try {
            listener(message)
          } catch (error) {
            this.#log('warning', `Redis store: a ${channel} listener threw: ${String(error)}`)
          }
        }
      })
      this.#watch(subscriber, 'pub/sub')
      this.#subscriber = subscriber
    }
    return this.#subscriber
  }

  #watch(client: Redis, role: string): void {
    let lost = false
    const lose = (why: string) => {
      if (lost || this.#closed) return
      lost = true
      this.#down = true
      this.#log('error', `Redis store: the ${role} connection failed: ${why}`, { role })
    }
    client.on('error', (error: Error) => lose(error.message))
    // A connection the server closed (restart, CLIENT KILL) reconnects without an error event.
    client.on('close', () => lose('the connection was closed; reconnecting'))
    client.on('ready', () => {
      if (!lost) return
      lost = false
      this.#down = false
      this.#log('info', `Redis store: the ${role} connection is back`, { role })
      for (const listener of [...this.#reconnectListeners]) {
        try {
          listener()
        } catch {
          // A store's resync must not break the connection's events.
        }
      }
    })
  }

  /** `true` while a connection is known to be lost. */
  get down(): boolean {
    return this.#down
  }
}

async function quit(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await Promise.race([
        client.quit(),
        new Promise((resolve) => setTimeout(resolve, 1000).unref()),
      ])
    } catch {
      // Falls through to disconnect().
    }
  }
  client.disconnect(false)
}
