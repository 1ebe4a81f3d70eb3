import { canonicalJson, type LogHandler, MCPClientError } from '@mcpkit/types'
import type { ResponseCacheStore } from '@modelcontextprotocol/client'
import { LRUCache } from 'lru-cache'
import { type MCPClientCacheOptions, PoolResponseStore, ProtocolEraCache } from './client-cache.js'
import { type MCPClient, setParked } from './mcp-client.js'
import { nodeCrypto } from './node-crypto.js'

const DEFAULT_MAX = 100
const DEFAULT_IDLE_TTL_MS = 5 * 60_000
const DEFAULT_DRAIN_TIMEOUT_MS = 10_000
const DEFAULT_STREAM_IDLE_TTL_MS = 30_000

/**
 * Whose client: a user, and the credentials the client is built with. Two keys share a client
 * only when both match, so a rotated credential never reuses a connection made with the old
 * one. A plain string is a user without credentials.
 */
export type PoolKey = string | { user: string; credentials?: unknown }

/** What the pool's `create` callback receives. */
export interface PoolEntryContext {
  user: string
  /**
   * An id unique to this pool entry, for `new MCPClient({ id })`: two clients of one user can
   * be alive at once (a rotated credential while the old client is still in use), and a fixed
   * per-user id would make the second one throw `DUPLICATE_INSTANCE`.
   */
  id: string
  /**
   * What the client may share with the pool's other clients: pass it as `new MCPClient({
   * cache })`. Its `partition` is this key's authorization context (the user and a keyed
   * fingerprint of the credentials): response-cache entries a server marks `private`, and the
   * protocol eras learned, are shared only with clients of the same key; `public` entries with
   * every client of the pool.
   */
  cache: MCPClientCacheOptions
}

/** Builds the client for a key; called once per pool entry. */
export type CreateClient = (context: PoolEntryContext) => MCPClient | Promise<MCPClient>

/** Options of `new MCPClientPool()`. */
export interface MCPClientPoolOptions {
  /** Most clients kept, in use or idle. The least recently used idle one goes first. Default 100. */
  max?: number
  /**
   * Milliseconds an unused client is kept before it is disconnected. One sweep for the pool
   * disconnects them, every `idleTtl / 8`; a client past `idleTtl` is never handed out again.
   * Default 300000 (5 min).
   */
  idleTtl?: number
  /**
   * Milliseconds an unused client keeps its standing notification stream (the Streamable HTTP
   * `GET` stream, or `subscriptions/listen` on 2026-07-28). Then the stream closes until the
   * client is acquired again, when it reopens: an idle client holds no socket and ~35–43 KiB
   * less heap. Meanwhile nothing tells the client the tool list changed, so from then on the
   * list is fresh for the definition's `toolListTtl` at most, as with `notificationStream: false`.
   * A stream that a notification handler or a resource subscription asked for stays open.
   * A 2026-07-28 connection over HTTP that holds no stream is stateless: it is let go too, once
   * its requests are done, and the next request opens a new one with no extra round trip
   * (the server's `server/discover` answer is kept). `false` keeps every stream and connection
   * open. Default 30000 (30 s).
   */
  streamIdleTtl?: number | false
  /**
   * Connect and list tools when a client is created, so the first request finds it warm and a
   * client that cannot connect to any server is not pooled. Default `true`.
   */
  warm?: boolean
  /** Receives the pool's own log lines (evictions, disconnect failures). */
  logger?: LogHandler
  /**
   * The response cache shared by the pool's clients (public entries for all, private ones per
   * key). Default: the pool's own in-memory store, which holds only what its live clients wrote
   * (a client's entries go when it is disconnected) and keeps equal list answers once. A store
   * you pass is left as it is: entries stay until it drops them.
   */
  responseCacheStore?: ResponseCacheStore
}

/** A client handed out by `acquire`; give it back with `release()`. */
export interface PooledClient {
  readonly client: MCPClient
  /** Returns the client to the pool. Idempotent. */
  release(): void
}

/** Counters for dashboards; `hits`/`misses`/`evictions`/`expirations`/`failures` only grow. */
export interface MCPClientPoolStats {
  /** Clients in the pool, connecting ones included. */
  size: number
  max: number
  /** Leases not yet released. */
  inUse: number
  /** Pooled clients nobody holds. */
  idle: number
  /** Idle clients whose standing streams are parked (`streamIdleTtl`). */
  parked: number
  /** Clients being created and warmed. */
  connecting: number
  /** Acquires that found a client (or joined one being created). */
  hits: number
  /** Acquires that created a client. */
  misses: number
  /** Clients pushed out by `max`. */
  evictions: number
  /** Clients disconnected after `idleTtl` without use. */
  expirations: number
  /** Creations that failed; nothing of them was kept. */
  failures: number
  /**
   * Entries in the pool's own response store (`undefined` with a `responseCacheStore` of yours):
   * what its live clients cached, at most a few per user and server.
   */
  cachedResponses: number | undefined
}

interface Entry {
  readonly key: string
  readonly user: string
  readonly ready: Promise<MCPClient>
  client: MCPClient | undefined
  leases: number
  /** Out of the cache: disconnect once the last lease is released. */
  retired: boolean
  /** Set when the disconnect starts. */
  closing: Promise<void> | undefined
  /** Parks the idle client's standing streams once `streamIdleTtl` passed. */
  parkTimer: NodeJS.Timeout | undefined
  /** Its standing streams are parked, until the next lease. */
  parked: boolean
  /** Resolves once the client is disconnected, or its creation failed. */
  readonly gone: Promise<void>
  markGone(): void
}

/**
 * Per-user `MCPClient`s kept warm between requests, on `lru-cache`. Nothing is shared between
 * keys: each key gets its own client, built by your `create` with that user's credentials.
 *
 * A client in use is never disconnected under its user: when it is evicted or expires while
 * leased, it leaves the pool and is disconnected when the last lease is released.
 */
export class MCPClientPool {
  readonly #cache: LRUCache<string, Entry>
  readonly #max: number
  readonly #idleTtl: number
  readonly #streamIdleTtl: number | false
  readonly #warm: boolean
  readonly #logger: LogHandler | undefined
  /** Keys the credentials' fingerprints, so pool keys reveal nothing about the credentials. */
  readonly #secret = nodeCrypto().randomBytes(32)
  /** Entries that left the cache and are not disconnected yet, by key. */
  readonly #leaving = new Map<string, Set<Entry>>()
  /**
   * Each user's key in the cache. One at most: a new key of a user (rotated credentials) drops
   * the old one from the cache first.
   */
  readonly #userKeys = new Map<string, string>()
  readonly #responses: ResponseCacheStore
  readonly #eras = new ProtocolEraCache()
  /** Whether `#responses` is the pool's own store (cleared on `close()`), not the app's. */
  readonly #ownsResponses: boolean
  #entryIds = 0
  #closed: Promise<void> | undefined
  /** The next sweep for idle clients past `idleTtl`; one for the pool, not one per client. */
  #sweep: NodeJS.Timeout | undefined
  #stats = { hits: 0, misses: 0, evictions: 0, expirations: 0, failures: 0, inUse: 0 }

  constructor(options: MCPClientPoolOptions = {}) {
    const {
      max = DEFAULT_MAX,
      idleTtl = DEFAULT_IDLE_TTL_MS,
      streamIdleTtl = DEFAULT_STREAM_IDLE_TTL_MS,
      warm = true,
      logger,
    } = options
    this.#responses = options.responseCacheStore ?? new PoolResponseStore()
    this.#ownsResponses = options.responseCacheStore === undefined
    if (!Number.isInteger(max) || max < 1) {
      throw new MCPClientError('INVALID_CONFIGURATION', '`max` must be a positive integer.')
    }
    if (typeof idleTtl !== 'number' || !(idleTtl > 0)) {
      throw new MCPClientError(
        'INVALID_CONFIGURATION',
        '`idleTtl` must be a positive number of milliseconds.',
      )
    }
    if (streamIdleTtl !== false && (typeof streamIdleTtl !== 'number' || !(streamIdleTtl >= 0))) {
      throw new MCPClientError(
        'INVALID_CONFIGURATION',
        '`streamIdleTtl` must be a number of milliseconds (0 or more), or false.',
      )
    }
    this.#max = max
    this.#idleTtl = Math.ceil(idleTtl)
    this.#streamIdleTtl = streamIdleTtl
    this.#warm = warm
    this.#logger = logger
    // No `ttlAutopurge`: that is a timer per entry. `#sweepLater()` purges for all of them.
    this.#cache = new LRUCache<string, Entry>({
      max,
      dispose: (entry, _key, reason) => this.#onLeave(entry, reason),
    })
  }

  /**
   * The client for `key`, created with `create` on first use. Concurrent acquires of one key
   * share one creation; a creation that fails is not kept, so the next acquire tries again.
   * Call `release()` on the result when the request is done (or use `withClient`).
   */
  async acquire(key: PoolKey, create: CreateClient): Promise<PooledClient> {
    this.#assertOpen()
    if (typeof create !== 'function') {
      throw new TypeError('MCPClientPool.acquire(key, create): `create` must be a function.')
    }
    const { user, cacheKey } = this.#resolveKey(key)
    let entry = this.#cache.get(cacheKey)
    if (entry) {
      this.#stats.hits += 1
    } else {
      this.#stats.misses += 1
      entry = this.#createEntry(user, cacheKey, create)
    }
    this.#lease(entry)
    let client: MCPClient
    try {
      client = await entry.ready
    } catch (error) {
      this.#unlease(entry)
      throw error
    }
    let released = false
    return {
      client,
      release: () => {
        if (released) return
        released = true
        this.#unlease(entry)
      },
    }
  }

  /** Runs `fn` with the key's client and releases it afterwards, whatever `fn` does. */
  async withClient<Result>(
    key: PoolKey,
    create: CreateClient,
    fn: (client: MCPClient) => Result | Promise<Result>,
  ): Promise<Result> {
    const lease = await this.acquire(key, create)
    try {
      return await fn(lease.client)
    } finally {
      lease.release()
    }
  }

  /**
   * Drops the clients of a key (with credentials), or of every credential of a user (a string,
   * or `{ user }` without credentials), e.g. at logout. Idle clients are disconnected now,
   * leased ones when released. Resolves when the idle ones are disconnected.
   */
  async delete(key: PoolKey): Promise<void> {
    const everyCredential = typeof key === 'string' || !('credentials' in key)
    const { user, cacheKey } = this.#resolveKey(key)
    const keys = everyCredential ? [this.#userKeys.get(user)] : [cacheKey]
    const closing: Promise<void>[] = []
    for (const each of keys) {
      if (each === undefined) continue
      const entry = this.#cache.peek(each)
      this.#cache.delete(each)
      if (entry && entry.leases === 0) closing.push(entry.gone)
    }
    await Promise.all(closing)
  }

  stats(): MCPClientPoolStats {
    let connecting = 0
    let idle = 0
    let parked = 0
    for (const entry of this.#cache.values()) {
      if (!entry.client) connecting += 1
      else if (entry.leases === 0) {
        idle += 1
        if (entry.parked) parked += 1
      }
    }
    const { hits, misses, evictions, expirations, failures, inUse } = this.#stats
    return {
      size: this.#cache.size,
      max: this.#max,
      inUse,
      idle,
      parked,
      connecting,
      hits,
      misses,
      evictions,
      expirations,
      failures,
      cachedResponses:
        this.#responses instanceof PoolResponseStore ? this.#responses.size : undefined,
    }
  }

  /**
   * Stops handing out clients (`POOL_CLOSED`), waits up to `drainTimeout` milliseconds (default
   * 10000) for leased clients to be released, then disconnects every client. Idempotent.
   */
  close(options: { drainTimeout?: number } = {}): Promise<void> {
    this.#closed ??= this.#close(options.drainTimeout ?? DEFAULT_DRAIN_TIMEOUT_MS)
    return this.#closed
  }

  async #close(drainTimeout: number): Promise<void> {
    clearTimeout(this.#sweep)
    this.#sweep = undefined
    this.#cache.clear()
    const leaving = [...this.#leaving.values()].flatMap((entries) => [...entries])
    const drained = Promise.all(leaving.map((entry) => entry.gone))
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, drainTimeout)
      timer.unref?.()
    })
    await Promise.race([drained, deadline])
    clearTimeout(timer)
    // Whoever still holds a lease after the drain time gets `DISCONNECTED` on their next call.
    await Promise.all(leaving.map((entry) => this.#disconnect(entry)))
    // What the clients learned goes with them: a closed pool holds no per-user entries.
    this.#eras.clear()
    if (this.#ownsResponses) await this.#responses.clear()
  }

  // ── entries ─────────────────────────────────────────────────────────────────

  #createEntry(user: string, cacheKey: string, create: CreateClient): Entry {
    const id = `${user}#${++this.#entryIds}`
    const previous = [...(this.#leaving.get(cacheKey) ?? [])]
    let markGone = (): void => {}
    const gone = new Promise<void>((resolve) => {
      markGone = resolve
    })
    const entry: Entry = {
      key: cacheKey,
      user,
      client: undefined,
      leases: 0,
      retired: false,
      closing: undefined,
      parkTimer: undefined,
      parked: false,
      gone,
      markGone,
      ready: (async () => {
        // The key's previous client (evicted or expired) finishes disconnecting first, so its
        // server sessions are gone before a new client opens more with the same credentials.
        await Promise.all(previous.map((old) => old.gone))
        const cache: MCPClientCacheOptions = {
          partition: nodeCrypto()
            .createHmac('sha256', this.#secret)
            .update(cacheKey)
            .digest('base64url'),
          responses: this.#responses,
          eras: this.#eras,
        }
        const client = await create({ user, id, cache })
        try {
          if (this.#warm) await client.listToolsets()
        } catch (error) {
          await client.disconnect().catch(() => undefined)
          throw error
        }
        return client
      })(),
    }
    entry.ready.then(
      (client) => {
        entry.client = client
        if (entry.retired && entry.leases === 0) void this.#disconnect(entry)
      },
      () => {
        this.#stats.failures += 1
        if (this.#cache.peek(cacheKey) === entry) this.#cache.delete(cacheKey)
        void this.#disconnect(entry)
      },
    )
    // A client of the same user with other credentials is stale from now on.
    const other = this.#userKeys.get(user)
    if (other !== undefined && other !== cacheKey) this.#cache.delete(other)
    this.#userKeys.set(user, cacheKey)
    // No TTL while connecting or leased: only idle clients expire.
    this.#cache.set(cacheKey, entry, { ttl: 0 })
    return entry
  }

  #lease(entry: Entry): void {
    entry.leases += 1
    this.#stats.inUse += 1
    if (entry.leases > 1) return
    if (!entry.retired) this.#cache.set(entry.key, entry, { ttl: 0 })
    clearTimeout(entry.parkTimer)
    entry.parkTimer = undefined
    if (entry.parked && entry.client) {
      entry.parked = false
      setParked(entry.client, false)
    }
  }

  #unlease(entry: Entry): void {
    entry.leases -= 1
    this.#stats.inUse -= 1
    if (entry.leases > 0) return
    if (entry.retired) {
      void this.#disconnect(entry)
    } else if (this.#cache.peek(entry.key) === entry) {
      this.#cache.set(entry.key, entry, { ttl: this.#idleTtl })
      this.#parkLater(entry)
      this.#sweepLater()
    }
  }

  /**
   * Disconnects the idle clients past `idleTtl`, checking every eighth of it while the pool
   * holds clients: a client goes at most `idleTtl / 8` late. (`acquire` never hands out one
   * past its TTL: the cache reads it as gone.)
   */
  #sweepLater(): void {
    if (this.#sweep || this.#closed) return
    this.#sweep = setTimeout(
      () => {
        this.#sweep = undefined
        this.#cache.purgeStale()
        if (this.#cache.size > 0) this.#sweepLater()
      },
      Math.max(1, Math.ceil(this.#idleTtl / 8)),
    )
    this.#sweep.unref()
  }

  /** Parks the idle client's standing streams once it stayed unused for `streamIdleTtl`. */
  #parkLater(entry: Entry): void {
    if (this.#streamIdleTtl === false || !entry.client || entry.parked) return
    entry.parkTimer = setTimeout(() => {
      entry.parkTimer = undefined
      if (entry.leases > 0 || entry.retired || !entry.client) return
      entry.parked = true
      setParked(entry.client, true)
    }, this.#streamIdleTtl)
    entry.parkTimer.unref()
  }

  /** `lru-cache`'s dispose hook: the entry left the cache (evicted, expired or deleted). */
  #onLeave(entry: Entry, reason: LRUCache.DisposeReason): void {
    // `set` with the same entry (a TTL change) is not a departure.
    if (reason === 'set' && this.#cache.peek(entry.key) === entry) return
    entry.retired = true
    clearTimeout(entry.parkTimer)
    entry.parkTimer = undefined
    if (reason === 'evict') this.#stats.evictions += 1
    if (reason === 'expire') this.#stats.expirations += 1
    if (this.#userKeys.get(entry.user) === entry.key) this.#userKeys.delete(entry.user)
    addTo(this.#leaving, entry.key, entry)
    if (reason === 'evict' || reason === 'expire') {
      this.#log('debug', `client of "${entry.user}" ${reason === 'evict' ? 'evicted' : 'expired'}`)
    }
    if (entry.leases === 0 && entry.client) void this.#disconnect(entry)
  }

  #disconnect(entry: Entry): Promise<void> {
    entry.closing ??= entry.ready
      .then(
        (client) => client.disconnect(),
        () => undefined,
      )
      .catch((error: unknown) => {
        this.#log('warning', `disconnecting the client of "${entry.user}" failed: ${error}`)
      })
      .finally(() => {
        const leaving = this.#leaving.get(entry.key)
        leaving?.delete(entry)
        if (leaving?.size === 0) this.#leaving.delete(entry.key)
        entry.markGone()
      })
    return entry.closing
  }

  #resolveKey(key: PoolKey): { user: string; cacheKey: string } {
    const user = typeof key === 'string' ? key : key?.user
    if (typeof user !== 'string' || user === '') {
      throw new TypeError(
        'A pool key is a user id (non-empty string) or `{ user, credentials }` with a non-empty `user`.',
      )
    }
    const credentials = typeof key === 'string' ? undefined : key.credentials
    let canonical: string
    try {
      canonical = canonicalJson(credentials, { strict: true })
    } catch (error) {
      throw new TypeError(
        `Pool credentials must be JSON data (strings, numbers, arrays, objects): ${(error as Error).message}.`,
      )
    }
    const fingerprint = nodeCrypto()
      .createHmac('sha256', this.#secret)
      .update(canonical)
      .digest('base64url')
    return { user, cacheKey: `${user}\u0000${fingerprint}` }
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new MCPClientError('POOL_CLOSED', 'The pool was closed; create a new MCPClientPool.')
    }
  }

  #log(level: 'debug' | 'warning', message: string): void {
    try {
      this.#logger?.({ level, message, timestamp: new Date(), serverName: 'MCPClientPool' })
    } catch {
      // A failing logger must not break the pool.
    }
  }
}

function addTo<Key, Item>(map: Map<Key, Set<Item>>, key: Key, item: Item): void {
  const set = map.get(key)
  if (set) set.add(item)
  else map.set(key, new Set([item]))
}
