import { type OAuthStorage, type OAuthStorageEntry, oauthStorageKey } from './oauth-storage.js'

/** What `invalidateCredentials(scope)` forgets, per scope the SDK passes. */
const ENTRIES_OF_SCOPE = {
  all: ['tokens', 'client-information', 'code-verifier', 'state', 'discovery'],
  client: ['client-information'],
  tokens: ['tokens'],
  verifier: ['code-verifier'],
  discovery: ['discovery'],
} as const satisfies Record<string, readonly OAuthStorageEntry[]>

/** A scope of `OAuthClientProvider.invalidateCredentials()`. */
export type CredentialScope = keyof typeof ENTRIES_OF_SCOPE

/**
 * One (server, principal)'s entries in an `OAuthStorage`: the provider reads and writes only
 * through this, so no key is ever built any other way than `oauthStorageKey`.
 */
export class ProviderStore {
  /** The storage underneath, shared with other providers. */
  readonly storage: OAuthStorage
  readonly #serverUrl: string
  readonly #principal: string

  constructor(options: { storage: OAuthStorage; serverUrl: string; principal: string }) {
    this.storage = options.storage
    this.#serverUrl = options.serverUrl
    this.#principal = options.principal
  }

  key(entry: OAuthStorageEntry): string {
    return oauthStorageKey({ serverUrl: this.#serverUrl, principal: this.#principal, entry })
  }

  async get(entry: OAuthStorageEntry): Promise<string | undefined> {
    return (await this.storage.get(this.key(entry))) ?? undefined
  }

  /** The entry parsed as JSON; an unreadable value (written by something else) is absent. */
  async getJson<Value>(entry: OAuthStorageEntry): Promise<Value | undefined> {
    const text = await this.get(entry)
    if (text === undefined) return undefined
    try {
      return JSON.parse(text) as Value
    } catch {
      return undefined
    }
  }

  async set(entry: OAuthStorageEntry, value: string): Promise<void> {
    await this.storage.set(this.key(entry), value)
  }

  /** Stores `value` as JSON, every field as given (the SDK's `issuer` stamp included). */
  async setJson(entry: OAuthStorageEntry, value: unknown): Promise<void> {
    await this.set(entry, JSON.stringify(value))
  }

  async delete(entry: OAuthStorageEntry): Promise<void> {
    await this.storage.delete(this.key(entry))
  }

  async forget(scope: CredentialScope): Promise<void> {
    for (const entry of ENTRIES_OF_SCOPE[scope]) await this.delete(entry)
  }
}
