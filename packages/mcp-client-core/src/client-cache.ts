import type { ProtocolVerdict } from '@mcpkit/transports/client'
import {
  type CacheEntry,
  type CacheKey,
  type CacheScope,
  InMemoryResponseCacheStore,
  type MaybePromise,
  type ResponseCacheStore,
} from '@modelcontextprotocol/client'

const DEFAULT_ERA_TTL_MS = 60 * 60_000
const DEFAULT_ERA_MAX = 10_000

/**
 * What clients may share about servers, and with whom. `MCPClientPool` passes one to each
 * client it creates (`create({ cache })`); a client without one shares nothing.
 */
export interface MCPClientCacheOptions {
  /**
   * The authorization context of the client's credentials: a stable, non-secret identity of
   * the user and credentials (the pool uses its keyed fingerprint of `{ user, credentials }`).
   * Response-cache entries a server marks `private`, and what was learned about a server's
   * protocol era, are shared only between clients with the same `partition`. Default `''`.
   */
  partition?: string
  /**
   * The SDK response cache (SEP-2549) the client's connections use. Entries a server marks
   * `public` are shared by every client on this store; `private` ones only within `partition`;
   * each server has its own part of the store. Default: a store per client.
   */
  responses?: ResponseCacheStore
  /** Protocol-era verdicts, kept per `partition` and server. Default: one per client. */
  eras?: ProtocolEraCache
}

/** Options of `new ProtocolEraCache()`. */
export interface ProtocolEraCacheOptions {
  /**
   * How long a verdict is trusted, in milliseconds. A server upgraded to the 2026-07-28 era
   * would still be spoken to the legacy way until then. Default 3600000 (1 hour).
   */
  ttl?: number
  /** Most verdicts kept; the oldest goes first. Default 10000. */
  max?: number
}

/**
 * Which protocol era each server speaks, learned by a connection's probe and reused by the next
 * connection to the same server (a reconnect, or another pooled client) so it does not probe
 * again. Kept per authorization context (`partition`): a verdict learned with one user's token
 * is never used with another's. Per server: a stdio server is its command line and environment;
 * an HTTP server is its endpoint URL (origin and path, so two MCP endpoints on one origin do
 * not share a verdict).
 */
export class ProtocolEraCache {
  readonly #ttl: number
  readonly #max: number
  readonly #entries = new Map<string, { verdict: ProtocolVerdict; storedAt: number }>()

  constructor(options: ProtocolEraCacheOptions = {}) {
    this.#ttl = options.ttl ?? DEFAULT_ERA_TTL_MS
    this.#max = options.max ?? DEFAULT_ERA_MAX
  }

  /** The verdict for `server` in `partition`, while it is fresh. */
  get(partition: string, server: string): ProtocolVerdict | undefined {
    const key = entryKey(partition, server)
    const entry = this.#entries.get(key)
    if (!entry) return undefined
    if (Date.now() - entry.storedAt >= this.#ttl) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.verdict
  }

  /** Keeps what a connection to `server` learned in `partition`, replacing an older verdict. */
  set(partition: string, server: string, verdict: ProtocolVerdict): void {
    const key = entryKey(partition, server)
    this.#entries.delete(key)
    this.#entries.set(key, { verdict, storedAt: Date.now() })
    if (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value
      if (oldest !== undefined) this.#entries.delete(oldest)
    }
  }

  /** Forgets the verdict for `server` in `partition` (it did not work). */
  delete(partition: string, server: string): void {
    this.#entries.delete(entryKey(partition, server))
  }

  /** Forgets every verdict. */
  clear(): void {
    this.#entries.clear()
  }

  /** How many verdicts are held. */
  get size(): number {
    return this.#entries.size
  }
}

function entryKey(partition: string, server: string): string {
  return JSON.stringify([partition, server])
}

/** A fresh in-memory response store (the SDK's), for a client that was given none. */
export function defaultResponseStore(): ResponseCacheStore {
  return new InMemoryResponseCacheStore()
}

/** The methods whose answer the SDK keeps once per partition, never dropped by the store's cap. */
const LIST_METHODS = new Set([
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'server/discover',
])

/**
 * `MCPClientPool`'s own response store: the SDK's in-memory store, with two differences that
 * keep its size to what the pool's live clients use.
 *
 * - A pooled client's connections delete what they wrote here when the client disconnects
 *   (evicted, expired, deleted; see `ServerConnection`), so the entries of users the pool no
 *   longer holds do not stay (the SDK never drops a list answer by itself).
 * - Equal list answers are one string: every user of a server usually gets the same
 *   `tools/list`, kept once per user (its partition) but held in memory once. Strings cannot
 *   be changed, so this shares memory, not data: each entry still belongs to its partition.
 */
export class PoolResponseStore extends InMemoryResponseCacheStore {
  /** Each list answer held, by its text, with the number of entries holding it. */
  readonly #values = new Map<string, { readonly value: string; entries: number }>()

  override set(key: CacheKey, entry: { value: string; expiresAt?: number; scope?: CacheScope }) {
    if (!isListKey(key)) return super.set(key, entry)
    const previous = super.get(key)
    let held = this.#values.get(entry.value)
    if (held) held.entries += 1
    else {
      held = { value: entry.value, entries: 1 }
      this.#values.set(entry.value, held)
    }
    const stamp = super.set(key, { ...entry, value: held.value })
    if (previous) this.#release(previous.value)
    return stamp
  }

  override delete(key: CacheKey): void {
    const previous = isListKey(key) ? super.get(key) : undefined
    super.delete(key)
    if (previous) this.#release(previous.value)
  }

  override evict(method: string): void {
    super.evict(method)
    // Which values went is not known: count afresh from here (shares less, never leaks).
    if (LIST_METHODS.has(method)) this.#values.clear()
  }

  override clear(): void {
    super.clear()
    this.#values.clear()
  }

  #release(value: string): void {
    const held = this.#values.get(value)
    if (held && --held.entries === 0) this.#values.delete(value)
  }
}

function isListKey(key: CacheKey): boolean {
  return LIST_METHODS.has(key.method) && !key.params
}

/**
 * `store` as seen by one server's connections: every key's partition is moved under
 * `namespace`, so two servers that report the same `serverInfo` (two deployments of one
 * program, or one URL reached with two credentials in one client) never read each other's
 * entries. Public entries stay shared between clients of the same server; private ones stay
 * under the client's `cachePartition`, which the SDK puts in the partition it hands us.
 */
export function namespacedStore(store: ResponseCacheStore, namespace: string): ResponseCacheStore {
  return new NamespacedStore(store, namespace)
}

/** See `namespacedStore`. A class: one per server of every client, its methods shared. */
class NamespacedStore implements ResponseCacheStore {
  readonly #store: ResponseCacheStore
  /**
   * The list keys written through this view, for `evict`/`clear`: a few (a list method, in the
   * connection's own partition or its server's shared one), so an array.
   */
  readonly #lists: CacheKey[] = []
  /** The other keys written (`resources/read`, by URI), by id; bounded, made on the first. */
  #others: Map<string, CacheKey> | undefined
  // `JSON.stringify([namespace, partition])`, the namespace encoded once and the last two
  // partitions' encodings kept: a connection asks with its own partition and its server's
  // shared one, on every call (the SDK looks its tool list up for each `tools/call`).
  readonly #head: string
  #recent: string | undefined
  #recentEncoded = ''
  #previous: string | undefined
  #previousEncoded = ''

  constructor(store: ResponseCacheStore, namespace: string) {
    this.#store = store
    this.#head = `[${JSON.stringify(namespace)},`
  }

  get(key: CacheKey): MaybePromise<CacheEntry | undefined> {
    return this.#store.get(this.#move(key))
  }

  set(key: CacheKey, entry: { value: string; expiresAt?: number; scope?: CacheScope }) {
    const moved = this.#move(key)
    if (isListKey(moved)) {
      const lists = this.#lists
      if (!lists.some((kept) => kept.method === moved.method && kept.partition === moved.partition))
        lists.push(moved)
    } else {
      // The store caps these itself, and deleting a key it already dropped is a no-op: the
      // oldest goes from here too.
      this.#others ??= new Map()
      const others = this.#others
      const id = JSON.stringify([moved.method, moved.params, moved.partition])
      others.delete(id)
      others.set(id, moved)
      if (others.size > OTHER_KEYS_MAX) others.delete(others.keys().next().value as string)
    }
    return this.#store.set(moved, entry)
  }

  delete(key: CacheKey) {
    return this.#store.delete(this.#move(key))
  }

  /** Method-wide eviction would reach other servers' entries: drops only ours. */
  async evict(method: string): Promise<void> {
    const lists = this.#lists
    for (let index = lists.length - 1; index >= 0; index--) {
      const key = lists[index]!
      if (key.method !== method) continue
      lists.splice(index, 1)
      await this.#store.delete(key)
    }
    for (const [id, key] of this.#others ?? []) {
      if (key.method !== method) continue
      this.#others?.delete(id)
      await this.#store.delete(key)
    }
  }

  async clear(): Promise<void> {
    const keys = [...this.#lists, ...(this.#others?.values() ?? [])]
    this.#lists.length = 0
    this.#others = undefined
    for (const key of keys) await this.#store.delete(key)
  }

  #move(key: CacheKey): CacheKey {
    const partition = this.#movePartition(key.partition ?? '')
    return key.params === undefined
      ? { method: key.method, partition }
      : { method: key.method, params: key.params, partition }
  }

  #movePartition(partition: string): string {
    if (partition === this.#recent) return this.#recentEncoded
    if (partition === this.#previous) return this.#previousEncoded
    const encoded = `${this.#head}${JSON.stringify(partition)}]`
    this.#previous = this.#recent
    this.#previousEncoded = this.#recentEncoded
    this.#recent = partition
    this.#recentEncoded = encoded
    return encoded
  }
}

const OTHER_KEYS_MAX = 4096
