import { randomUUID } from 'node:crypto'
import type { OAuthStorage, OAuthStorageContext } from '@mcpkit/oauth'
import type { RedisConnection } from './redis-connection.js'
import { RedisStoreError } from './redis-error.js'
import { SecretBox } from './secret-box.js'

/** Options of `RedisOAuthStorage`. */
export interface RedisOAuthStorageOptions {
  connection: RedisConnection
  /**
   * Encrypts every value at rest (AES-256-GCM, bound to its key): 32 bytes, or a string of at
   * least 16 characters (hashed to 32 bytes). Keep it in your secrets, the same in every
   * process. Without it values are stored as the provider gives them (JSON with tokens).
   */
  encryptionKey?: string | Uint8Array | undefined
  /**
   * Milliseconds a refresh lock is held at most when its holder dies mid-refresh; then another
   * process may take it. Default 30000.
   */
  lockLease?: number | undefined
  /**
   * Milliseconds a process waits for another one's refresh before giving up with
   * `RedisStoreError` `STORE_TIMEOUT`. Default: `lockLease` plus the command timeout.
   */
  lockWait?: number | undefined
}

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`

/**
 * The value of the latest issuer (KEYS[2] names it), else the issuer-less one (KEYS[1]).
 * Returns the issuer's encoded name ('' for none) and the value. ARGV[1]: the issuer key
 * prefix.
 */
const GET_LATEST = `
local latest = redis.call('GET', KEYS[2])
if latest then return { latest, redis.call('GET', ARGV[1] .. latest) } end
return { '', redis.call('GET', KEYS[1]) }
`

/**
 * Removes one issuer's value (KEYS[1]) and its name from the index (KEYS[3]), and the latest
 * pointer (KEYS[2]) when it names that issuer (ARGV[1]).
 */
const DELETE_ISSUER = `
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[3], ARGV[1])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1
`

/**
 * Removes every issuer's value (named in the index KEYS[3]), the index, the latest pointer
 * (KEYS[2]) and the issuer-less value (KEYS[1]). ARGV[1]: the issuer key prefix.
 */
const DELETE_ALL = `
for _, name in ipairs(redis.call('SMEMBERS', KEYS[3])) do redis.call('DEL', ARGV[1] .. name) end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 1
`

/** The Redis keys of one provider key. */
interface EntryKeys {
  /** The value written without an issuer. */
  plain: string
  /** Names the issuer written last (encoded). */
  latest: string
  /** The set of encoded issuers with a value. */
  issuers: string
  /** Prefix of each issuer's value: append the encoded issuer. */
  byIssuer: string
}

/**
 * `OAuthStorage` on Redis for `MCPOAuthClientProvider`s in several processes, keyed per
 * server, principal and, for what belongs to one authorization server, issuer. Every key is
 * the provider's (`mcpkit-oauth:v1:<server URL>:<principal>:<entry>`) under the connection's
 * prefix plus `oauth:`; a value the provider passes with an issuer (the `tokens` and
 * `discovery` entries) goes to `<key>@iss=<issuer, percent-encoded>`, so the tokens of two
 * authorization servers for the same server and principal never share a key, and instances that
 * resolve different issuers (a server moving to another authorization server while a rolling
 * deploy runs) each read their own. A read without an issuer (the token a transport presents)
 * gives the value written last. Values are optionally encrypted, each bound to its own Redis
 * key. `withLock` makes token renewal single-flight across processes: a `SET NX PX` lease
 * released by compare-and-delete, so a rotating refresh token is sent once.
 *
 * Redis down or slow: reads and writes reject with `RedisStoreError` within the connection's
 * `commandTimeout`; nothing falls back to another key. A value that does not decrypt (another
 * key, tampered, or copied from another user's or issuer's entry) reads as absent and logs
 * nothing secret.
 */
export class RedisOAuthStorage implements OAuthStorage {
  readonly #connection: RedisConnection
  readonly #box: SecretBox | undefined
  readonly #lease: number
  readonly #wait: number
  readonly #prefix: string

  constructor(options: RedisOAuthStorageOptions) {
    this.#connection = options.connection
    this.#box =
      options.encryptionKey === undefined ? undefined : new SecretBox(options.encryptionKey)
    this.#lease = options.lockLease ?? 30_000
    this.#wait = options.lockWait ?? this.#lease + options.connection.commandTimeout
    this.#prefix = `${options.connection.keyPrefix}oauth:`
  }

  /**
   * The value of `key`: with `context.issuer`, that issuer's only; without, the one written
   * last (by any issuer, or without one).
   */
  async get(key: string, context?: OAuthStorageContext): Promise<string | undefined> {
    const keys = this.#keys(key)
    const issuer = issuerName(context)
    let name: string | undefined = issuer
    let stored: string | null
    if (issuer !== undefined) {
      stored = await this.#connection.run('oauth get', (client) =>
        client.get(keys.byIssuer + issuer),
      )
    } else {
      const [latest, value] = (await this.#connection.run('oauth get', (client) =>
        client.eval(GET_LATEST, 2, keys.plain, keys.latest, keys.byIssuer),
      )) as [string, string | null]
      name = latest === '' ? undefined : latest
      stored = value
    }
    if (stored === null || stored === undefined) return undefined
    if (!this.#box) return stored
    try {
      return this.#box.open(stored, boundTo(key, name))
    } catch {
      return undefined
    }
  }

  /** Stores `value` under `key`, as `context.issuer`'s value when given (then the latest). */
  async set(key: string, value: string, context?: OAuthStorageContext): Promise<void> {
    const keys = this.#keys(key)
    const issuer = issuerName(context)
    const stored = this.#box ? this.#box.seal(value, boundTo(key, issuer)) : value
    await this.#connection.run('oauth set', async (client) => {
      const transaction = client.multi()
      if (issuer === undefined) {
        transaction.set(keys.plain, stored).del(keys.latest)
      } else {
        transaction
          .set(keys.byIssuer + issuer, stored)
          .sadd(keys.issuers, issuer)
          .set(keys.latest, issuer)
          .del(keys.plain)
      }
      await transaction.exec()
    })
  }

  /** Removes `context.issuer`'s value of `key` when given; without, every value of `key`. */
  async delete(key: string, context?: OAuthStorageContext): Promise<void> {
    const keys = this.#keys(key)
    const issuer = issuerName(context)
    await this.#connection.run('oauth delete', (client) =>
      issuer === undefined
        ? client.eval(DELETE_ALL, 3, keys.plain, keys.latest, keys.issuers, keys.byIssuer)
        : client.eval(DELETE_ISSUER, 3, keys.byIssuer + issuer, keys.latest, keys.issuers, issuer),
    )
  }

  #keys(key: string): EntryKeys {
    const base = this.#prefix + key
    return {
      plain: base,
      latest: `${base}@latest`,
      issuers: `${base}@issuers`,
      byIssuer: `${base}@iss=`,
    }
  }

  /**
   * Runs `task` holding the cross-process lock of `key`. Waits (bounded by `lockWait`) while
   * another process holds it; its lease frees it if that process dies.
   */
  async withLock<Value>(key: string, task: () => Promise<Value>): Promise<Value> {
    const lockKey = `${this.#prefix}lock:${key}`
    const token = randomUUID()
    const giveUpAt = Date.now() + this.#wait
    let pause = 10
    for (;;) {
      const taken = await this.#connection.run('oauth lock', (client) =>
        client.set(lockKey, token, 'PX', this.#lease, 'NX'),
      )
      if (taken === 'OK') break
      if (Date.now() >= giveUpAt) {
        throw new RedisStoreError({
          code: 'STORE_TIMEOUT',
          operation: 'oauth lock',
          message: `Redis store: another process held the token-renewal lock for more than ${this.#wait} ms; try again.`,
        })
      }
      await new Promise((resolve) => setTimeout(resolve, pause))
      pause = Math.min(pause * 2, 100)
    }
    try {
      return await task()
    } finally {
      await this.#connection
        .run('oauth unlock', (client) => client.eval(RELEASE, 1, lockKey, token))
        .catch(() => {
          // The lease frees it.
        })
    }
  }
}

/**
 * The issuer of a context as it appears in keys: percent-encoded, one trailing slash dropped (an
 * issuer differing by one trailing slash is the same authorization server, as the SDK compares
 * credential stamps). `undefined` without one.
 */
function issuerName(context: OAuthStorageContext | undefined): string | undefined {
  const issuer = context?.issuer
  if (issuer === undefined || issuer === '') return undefined
  return encodeURIComponent(issuer.endsWith('/') ? issuer.slice(0, -1) : issuer)
}

/** What a sealed value is bound to: its key, and its issuer when it has one. */
function boundTo(key: string, issuer: string | undefined): string {
  return issuer === undefined ? key : `${key}@iss=${issuer}`
}
