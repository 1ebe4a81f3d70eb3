import { canonicalUrl } from '../shared/canonical-url.js'

/**
 * Where an OAuth client provider keeps what it must remember between requests and between
 * runs: tokens, the client registration, the PKCE verifier, the pending `state`, the discovery
 * result. Values are strings (JSON); each method may be synchronous or return a promise, so a
 * database, a key-value store or an encrypted cookie can back it.
 *
 * The provider builds every key from the MCP server URL and the principal (see
 * `oauthStorageKey`), so one storage can serve many servers and many users. With each call it
 * also passes what the key is made of (`OAuthStorageContext`), including the authorization
 * server a value belongs to when it knows it: a storage may ignore that (the key alone is
 * enough, as for `MemoryOAuthStorage`), or keep each issuer's value apart.
 */
export interface OAuthStorage {
  /**
   * The value stored under `key`, or `undefined` / `null` when there is none. With
   * `context.issuer`, a storage that keeps issuers apart returns that issuer's value only.
   */
  get(
    key: string,
    context?: OAuthStorageContext,
  ): string | undefined | null | Promise<string | undefined | null>
  /** Stores `value` under `key` (as the value of `context.issuer`, when given). */
  set(key: string, value: string, context?: OAuthStorageContext): void | Promise<void>
  /**
   * Removes `key`; removing a missing key is not an error. With `context.issuer`, a storage
   * that keeps issuers apart may remove that issuer's value only; without it, every issuer's.
   */
  delete(key: string, context?: OAuthStorageContext): void | Promise<void>
  /**
   * Optional, for storages shared by several processes: runs `task` while holding a lock on
   * `key` that no other process holds at the same time (a lease that expires if its holder
   * dies), and resolves with its result. Providers renew tokens inside it, re-reading the
   * tokens first, so a refresh token is used once across processes. Without it, renewals are
   * single-flight within a process only.
   */
  withLock?<Value>(key: string, task: () => Promise<Value>): Promise<Value>
}

/**
 * What a storage key is made of, passed with each `OAuthStorage` call (the key itself stays the
 * one `oauthStorageKey` builds from the first three). Optional for storages: one that only
 * needs the key ignores it.
 */
export interface OAuthStorageContext {
  /** The MCP server URL, canonical. */
  serverUrl: string
  /** Whose value it is. */
  principal: string
  /** Which of the provider's entries. */
  entry: OAuthStorageEntry
  /**
   * The authorization server (its issuer identifier) the value belongs to, when it is
   * issuer-specific and the provider knows which: set for `tokens` (the issuer they are
   * stamped with, or the one the SDK resolved when it asks for them) and `discovery` (the one
   * the stored tokens came from). Absent for other entries, for a read of the tokens the
   * transport presents (the latest ones, whatever their issuer), and for a removal of every
   * issuer's value. `client-information` holds the registrations of every issuer in one value,
   * keyed by issuer inside it, and is passed without one.
   */
  issuer?: string
}

/** An `OAuthStorage` in a `Map`: the default. Everything is lost when the process ends. */
export class MemoryOAuthStorage implements OAuthStorage {
  readonly #values = new Map<string, string>()

  get(key: string): string | undefined {
    return this.#values.get(key)
  }

  set(key: string, value: string): void {
    this.#values.set(key, value)
  }

  delete(key: string): void {
    this.#values.delete(key)
  }

  /** The stored keys, for inspection and tests. */
  keys(): string[] {
    return [...this.#values.keys()]
  }

  /** How many values are stored. */
  get size(): number {
    return this.#values.size
  }
}

/**
 * What a provider stores, one key each: the tokens (with the scope asked for), the client
 * registrations (one per authorization server, by issuer), the PKCE verifier and `state` of the
 * authorization in progress, the discovery result that led to the stored tokens, and the one
 * the authorization in progress was started with (`pending-authorization`).
 */
export type OAuthStorageEntry =
  | 'tokens'
  | 'client-information'
  | 'code-verifier'
  | 'state'
  | 'discovery'
  | 'pending-authorization'

/**
 * The storage key of one entry: `mcpkit-oauth:v1:<server URL>:<principal>:<entry>`, the server
 * URL and the principal percent-encoded so that no two (server, principal) pairs share a key,
 * whatever characters they contain.
 */
export function oauthStorageKey(parts: {
  serverUrl: string | URL
  principal: string
  entry: OAuthStorageEntry
}): string {
  return `${oauthStorageKeyPrefix(parts)}${parts.entry}`
}

/**
 * The part of `oauthStorageKey` shared by every entry of one server and principal. The server
 * URL is in its canonical form, so two spellings of one URL share their keys.
 */
export function oauthStorageKeyPrefix(parts: {
  serverUrl: string | URL
  principal: string
}): string {
  return `mcpkit-oauth:v1:${encodeURIComponent(canonicalUrl(parts.serverUrl))}:${encodeURIComponent(parts.principal)}:`
}
