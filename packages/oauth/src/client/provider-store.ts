import { MCPClientError } from '@mcpkit/types'
import {
  type OAuthStorage,
  type OAuthStorageContext,
  type OAuthStorageEntry,
  oauthStorageKey,
} from './oauth-storage.js'

/** What `invalidateCredentials(scope)` forgets, per scope the SDK passes. */
const ENTRIES_OF_SCOPE = {
  all: [
    'tokens',
    'client-information',
    'code-verifier',
    'state',
    'discovery',
    'pending-authorization',
  ],
  client: ['client-information'],
  tokens: ['tokens'],
  verifier: ['code-verifier', 'pending-authorization'],
  discovery: ['discovery', 'pending-authorization'],
} as const satisfies Record<string, readonly OAuthStorageEntry[]>

/** A scope of `OAuthClientProvider.invalidateCredentials()`. */
export type CredentialScope = keyof typeof ENTRIES_OF_SCOPE

/**
 * One (server, principal)'s entries in an `OAuthStorage`: the provider reads and writes only
 * through this, so no key is ever built any other way than `oauthStorageKey`. The server URL
 * may come later than the storage (from the server definition the provider is attached to);
 * until then every read and write fails with `INVALID_CONFIGURATION`, saying how to give it.
 */
export class ProviderStore {
  /** The storage underneath, shared with other providers. */
  readonly storage: OAuthStorage
  readonly #principal: string
  #serverUrl: string | undefined

  constructor(options: {
    storage: OAuthStorage
    serverUrl: string | undefined
    principal: string
  }) {
    this.storage = options.storage
    this.#serverUrl = options.serverUrl
    this.#principal = options.principal
  }

  /** The canonical server URL, once known. */
  get serverUrl(): string | undefined {
    return this.#serverUrl
  }

  /** Sets the server URL (canonical) the keys are made of. */
  bind(serverUrl: string): void {
    this.#serverUrl = serverUrl
  }

  key(entry: OAuthStorageEntry): string {
    if (this.#serverUrl === undefined) throw unattached()
    return oauthStorageKey({ serverUrl: this.#serverUrl, principal: this.#principal, entry })
  }

  /** What the key of `entry` is made of, with the issuer the value belongs to, if known. */
  context(entry: OAuthStorageEntry, issuer?: string | undefined): OAuthStorageContext {
    if (this.#serverUrl === undefined) throw unattached()
    const context: OAuthStorageContext = {
      serverUrl: this.#serverUrl,
      principal: this.#principal,
      entry,
    }
    if (issuer !== undefined) context.issuer = issuer
    return context
  }

  /**
   * The value of `entry`; with `issuer`, the one of that authorization server (in a storage
   * that keeps issuers apart), else the latest.
   */
  async get(entry: OAuthStorageEntry, issuer?: string | undefined): Promise<string | undefined> {
    return (await this.storage.get(this.key(entry), this.context(entry, issuer))) ?? undefined
  }

  /** The entry parsed as JSON; an unreadable value (written by something else) is absent. */
  async getJson<Value>(
    entry: OAuthStorageEntry,
    issuer?: string | undefined,
  ): Promise<Value | undefined> {
    const text = await this.get(entry, issuer)
    if (text === undefined) return undefined
    try {
      return JSON.parse(text) as Value
    } catch {
      return undefined
    }
  }

  /** Stores `value` as the value of `entry` (of `issuer`, when it belongs to one). */
  async set(entry: OAuthStorageEntry, value: string, issuer?: string | undefined): Promise<void> {
    await this.storage.set(this.key(entry), value, this.context(entry, issuer))
  }

  /** Stores `value` as JSON, every field as given (the SDK's `issuer` stamp included). */
  async setJson(
    entry: OAuthStorageEntry,
    value: unknown,
    issuer?: string | undefined,
  ): Promise<void> {
    await this.set(entry, JSON.stringify(value), issuer)
  }

  /** Removes `entry`: the value of `issuer` only, when given; else every issuer's. */
  async delete(entry: OAuthStorageEntry, issuer?: string | undefined): Promise<void> {
    await this.storage.delete(this.key(entry), this.context(entry, issuer))
  }

  async forget(scope: CredentialScope): Promise<void> {
    for (const entry of ENTRIES_OF_SCOPE[scope]) await this.delete(entry)
  }
}

/** A provider asked for its storage before anyone told it which server it is for. */
export function unattached(): MCPClientError {
  return new MCPClientError(
    'INVALID_CONFIGURATION',
    'MCPOAuthClientProvider does not know its MCP server yet: put it in a server definition (`authProvider` beside `url`) of an MCPClient, which gives it the URL, or pass `serverUrl` when you use the provider on its own (e.g. finishAuthorization() in a callback route, or tokens() outside a client).',
  )
}
