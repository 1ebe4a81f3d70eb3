import { randomUUID } from 'node:crypto'
import type { OAuthStorage } from '@mcpkit/oauth'
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
 * `OAuthStorage` on Redis for `MCPOAuthClientProvider`s in several processes. Keys are the
 * provider's (`mcpkit-oauth:v1:<server URL>:<principal>:<entry>`, registrations kept per
 * issuer inside `client-information`) under the connection's prefix; values are optionally
 * encrypted. `withLock` makes token renewal single-flight across processes: a `SET NX PX`
 * lease released by compare-and-delete, so a rotating refresh token is sent once.
 *
 * Redis down or slow: reads and writes reject with `RedisStoreError` within the connection's
 * `commandTimeout`; nothing falls back to another key. A value that does not decrypt (another
 * key, tampered, or copied from another user's entry) reads as absent and logs nothing secret.
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

  async get(key: string): Promise<string | undefined> {
    const stored = await this.#connection.run('oauth get', (client) =>
      client.get(this.#prefix + key),
    )
    if (stored === null) return undefined
    if (!this.#box) return stored
    try {
      return this.#box.open(stored, key)
    } catch {
      return undefined
    }
  }

  async set(key: string, value: string): Promise<void> {
    const stored = this.#box ? this.#box.seal(value, key) : value
    await this.#connection.run('oauth set', (client) => client.set(this.#prefix + key, stored))
  }

  async delete(key: string): Promise<void> {
    await this.#connection.run('oauth delete', (client) => client.del(this.#prefix + key))
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
