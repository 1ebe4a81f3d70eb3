import type { StoredOAuthClientInformation } from '@modelcontextprotocol/client'
import type { ProviderStore } from './provider-store.js'

/**
 * The `client-information` entry: the client this provider presents to each authorization
 * server, by issuer (the MCP authorization spec: client credentials are bound to the server
 * that issued them, and a client registers again when the resource moves to another one).
 * Earlier versions stored one registration as the whole entry; `readRegistrations` reads that
 * as the registration of the issuer it is stamped with (or of none, unstamped), and the next
 * save writes this format. The key does not change.
 */
interface StoredRegistrations {
  /** Marks this format. */
  registrations: 1
  byIssuer: Record<string, StoredOAuthClientInformation>
  /** The issuer saved last: what is returned when no issuer is asked for. */
  latest?: string
}

/** An entry written before registrations were kept by issuer (and not stamped yet). */
const UNBOUND = ''

/** The registrations of one (server, principal), as read from its storage. */
export class ClientRegistrations {
  readonly #stored: StoredRegistrations

  private constructor(stored: StoredRegistrations) {
    this.#stored = stored
  }

  /** The entry in storage, in either format; none when it is missing or unreadable. */
  static async read(store: ProviderStore): Promise<ClientRegistrations> {
    const value = await store.getJson<unknown>('client-information')
    if (isRegistrations(value)) return new ClientRegistrations(value)
    if (isClientInformation(value)) {
      const issuer = typeof value.issuer === 'string' ? value.issuer : UNBOUND
      return new ClientRegistrations({
        registrations: 1,
        byIssuer: { [issuer]: value },
        latest: issuer,
      })
    }
    return new ClientRegistrations({ registrations: 1, byIssuer: {} })
  }

  /**
   * The client registered with `issuer` (an issuer differing by one trailing slash is the
   * same, as the SDK compares stamps); else a registration stored unstamped by an earlier
   * version, which the SDK stamps with `issuer` on first use.
   */
  forIssuer(issuer: string): StoredOAuthClientInformation | undefined {
    const { byIssuer } = this.#stored
    const match = Object.keys(byIssuer).find((key) => key !== UNBOUND && sameIssuer(key, issuer))
    return byIssuer[match ?? UNBOUND]
  }

  /** The registration saved last. */
  latest(): StoredOAuthClientInformation | undefined {
    const { byIssuer, latest } = this.#stored
    return latest === undefined ? undefined : byIssuer[latest]
  }

  /** The issuer a client id is bound to by a stamped registration, if any. */
  issuerOf(clientId: string): string | undefined {
    return Object.entries(this.#stored.byIssuer).find(
      ([issuer, client]) => issuer !== UNBOUND && client.client_id === clientId,
    )?.[0]
  }

  /** Stores `client` as the registration with its issuer stamp (or `issuer`). */
  async save(
    store: ProviderStore,
    client: StoredOAuthClientInformation,
    issuer: string | undefined,
  ): Promise<void> {
    const key = client.issuer ?? issuer ?? UNBOUND
    const byIssuer = { ...this.#stored.byIssuer }
    const match = Object.keys(byIssuer).find((known) => known !== UNBOUND && sameIssuer(known, key))
    if (match !== undefined) delete byIssuer[match]
    // The unstamped registration of an earlier version, now stamped: keep one copy.
    if (key !== UNBOUND && byIssuer[UNBOUND]?.client_id === client.client_id) {
      delete byIssuer[UNBOUND]
    }
    byIssuer[key] = client
    const next: StoredRegistrations = { registrations: 1, byIssuer, latest: key }
    await store.setJson('client-information', next)
  }
}

/**
 * Whether two issuer identifiers name the same authorization server when comparing credential
 * stamps: equal, or differing by one trailing slash (the SDK's rule for SEP-2352 stamps). The
 * callback's `iss` is compared by the SDK without any such tolerance (RFC 9207).
 */
export function sameIssuer(a: string, b: string): boolean {
  return a === b || `${a}/` === b || a === `${b}/`
}

function isRegistrations(value: unknown): value is StoredRegistrations {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { registrations?: unknown }).registrations === 1 &&
    typeof (value as { byIssuer?: unknown }).byIssuer === 'object' &&
    (value as { byIssuer?: unknown }).byIssuer !== null
  )
}

function isClientInformation(value: unknown): value is StoredOAuthClientInformation {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { client_id?: unknown }).client_id === 'string'
  )
}
