type Entries = Iterable<readonly [string, unknown]> | Record<string, unknown>

function isIterable(value: unknown): value is Iterable<readonly [string, unknown]> {
  return typeof (value as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] === 'function'
}

/**
 * Request-scoped values (a user id, a cookie, a bearer token) that travel with one tool call
 * or list call down to the transport's custom `fetch`. Map-like, with the method names of
 * Mastra's `RequestContext` (`size()` is a method there, so it is one here too).
 *
 * A context belongs to one incoming request: create a new one per request and never share one
 * between users.
 */
export class RequestContext<Values extends Record<string, unknown> = Record<string, unknown>> {
  readonly #values = new Map<string, unknown>()

  constructor(entries?: Entries) {
    if (!entries) return
    const pairs = isIterable(entries) ? entries : Object.entries(entries)
    for (const [key, value] of pairs) this.#values.set(key, value)
  }

  /** The value stored under `key`, or `undefined`. */
  get<Key extends keyof Values & string>(key: Key): Values[Key] | undefined
  get(key: string): unknown
  get(key: string): unknown {
    return this.#values.get(key)
  }

  /** Stores `value` under `key` and returns the context, so calls can be chained. */
  set<Key extends keyof Values & string>(key: Key, value: Values[Key]): this
  set(key: string, value: unknown): this
  set(key: string, value: unknown): this {
    this.#values.set(key, value)
    return this
  }

  has(key: string): boolean {
    return this.#values.has(key)
  }

  delete(key: string): boolean {
    return this.#values.delete(key)
  }

  clear(): void {
    this.#values.clear()
  }

  /** How many values the context holds. */
  size(): number {
    return this.#values.size
  }

  keys(): IterableIterator<string> {
    return this.#values.keys()
  }

  values(): IterableIterator<unknown> {
    return this.#values.values()
  }

  entries(): IterableIterator<[string, unknown]> {
    return this.#values.entries()
  }

  forEach(callback: (value: unknown, key: string, context: this) => void): void {
    for (const [key, value] of this.#values) callback(value, key, this)
  }

  [Symbol.iterator](): IterableIterator<[string, unknown]> {
    return this.#values.entries()
  }

  /** A plain object copy, for logs and serialisation. */
  toJSON(): Record<string, unknown> {
    return Object.fromEntries(this.#values)
  }
}

/**
 * What callers may pass where a request context is expected: a `RequestContext`, a map-like
 * object with `get` and `entries` (Mastra's `RequestContext`), or a plain object of values (what
 * Mastra hands to approval functions, and what many frameworks use).
 */
export type RequestContextInput = RequestContext | Readonly<Record<string, unknown>>

/**
 * A `RequestContext` for any accepted input: a `RequestContext` is returned as is; an object
 * with `get` and `entries` (Mastra's) or a plain object is copied into a new one, so policies
 * and principal resolution can always call `.get()`. `null`/`undefined` give `null`.
 */
export function toRequestContext(
  value: RequestContextInput | null | undefined,
): RequestContext | null {
  if (value === null || value === undefined) return null
  if (value instanceof RequestContext) return value
  if (typeof value !== 'object') return null
  const mapLike = value as { get?: unknown; entries?: unknown }
  if (typeof mapLike.get === 'function' && typeof mapLike.entries === 'function') {
    try {
      return new RequestContext(
        (mapLike.entries as () => Iterable<readonly [string, unknown]>).call(value),
      )
    } catch {
      // fall through to reading own properties
    }
  }
  return new RequestContext(value as Record<string, unknown>)
}
