import type { OAuthDiscoveryState, StoredOAuthTokens } from '@modelcontextprotocol/client'
import type { ProviderContext } from './provider-context.js'
import type { ProviderStore } from './provider-store.js'
import { storeTokens, tokensDueForRenewal } from './token-renewal.js'

/**
 * The authorization a user was sent to and has not come back from yet (`pending-authorization`
 * entry): the discovery result it started from, which the code exchange must use (the issuer
 * its `iss` is checked against, the token endpoint), and the scope it asked for. Recorded when
 * the authorization URL is handed out, as the spec asks (with the same durability as the PKCE
 * verifier), and removed once the flow is over.
 */
export interface PendingAuthorization {
  discovery?: OAuthDiscoveryState | undefined
  scope?: string | undefined
  /** Epoch ms. */
  startedAt: number
}

/**
 * How long a pending authorization counts: an authorization code lives minutes. After this an
 * abandoned authorization no longer steers the next one.
 */
export const PENDING_AUTHORIZATION_TTL_MS = 10 * 60_000

/** Records the authorization `authorizationUrl` starts, before the user is sent there. */
export async function recordPendingAuthorization(
  context: ProviderContext,
  authorizationUrl: URL,
): Promise<void> {
  const scope = authorizationUrl.searchParams.get('scope') ?? undefined
  context.flow.scope = scope
  const pending: PendingAuthorization = {
    discovery: context.flow.discovery,
    scope,
    startedAt: Date.now(),
  }
  await context.store.setJson('pending-authorization', pending)
}

/** The pending authorization, unless it was abandoned long ago. */
export async function pendingAuthorization(
  store: ProviderStore,
): Promise<PendingAuthorization | undefined> {
  const pending = await store.getJson<PendingAuthorization>('pending-authorization')
  if (!pending || typeof pending.startedAt !== 'number') return undefined
  return Date.now() - pending.startedAt < PENDING_AUTHORIZATION_TTL_MS ? pending : undefined
}

/**
 * The discovery result of the pending authorization, for its code exchange (or its error
 * response's `iss` check). A callback started by a version that kept no pending record finds
 * the result that version saved as `discovery`.
 */
export async function callbackDiscovery(
  store: ProviderStore,
): Promise<OAuthDiscoveryState | undefined> {
  const pending = await pendingAuthorization(store)
  if (pending?.discovery) return pending.discovery
  return store.getJson<OAuthDiscoveryState>('discovery')
}

/** Ends the pending authorization (done, refused, or abandoned by this process). */
export async function endPendingAuthorization(store: ProviderStore): Promise<void> {
  await store.delete('pending-authorization')
  await store.delete('code-verifier')
  await store.delete('state')
}

/**
 * What `discoveryState()` hands the SDK's `auth()` at the start of a run, so that a failed flow
 * never steers the next one:
 * - the pending authorization's discovery, while one is pending (its callback may come through
 *   the SDK's own `finishAuth()`);
 * - the discovery that led to the stored tokens, when they are due for renewal (the refresh
 *   goes back to the server that issued them);
 * - otherwise nothing: `auth()` runs discovery afresh, from the `resource_metadata` of the
 *   challenge that started it. A server refusing a token we hold is exactly when its
 *   authorization server may have changed (RFC 9728 metadata updated), and a discovery that
 *   led nowhere must not be used again.
 */
export async function discoveryForNewRun(
  context: ProviderContext,
): Promise<OAuthDiscoveryState | undefined> {
  const { store } = context
  const pending = await pendingAuthorization(store)
  if (pending?.discovery) return pending.discovery
  const due = await tokensDueForRenewal(context)
  if (due) return store.getJson<OAuthDiscoveryState>('discovery', due.tokens.issuer)
  return undefined
}

/**
 * Stores tokens an authorization yielded, with the scope it asked for, and keeps its discovery
 * result as the one the tokens came from, both as the values of the tokens' issuer (their
 * stamp, else `issuer`, else the discovery's); the pending authorization is over.
 */
export async function settleTokens(
  context: ProviderContext,
  tokens: StoredOAuthTokens,
  issuer?: string | undefined,
): Promise<void> {
  const { store, flow } = context
  const pending = await pendingAuthorization(store)
  const discovery = flow.discovery ?? pending?.discovery
  // Kept as the tokens' own: under the issuer they are stamped with.
  const owner =
    tokens.issuer ??
    issuer ??
    discovery?.authorizationServerMetadata?.issuer ??
    discovery?.authorizationServerUrl
  await storeTokens(store, tokens, flow.scope ?? pending?.scope, owner)
  if (discovery) await store.setJson('discovery', discovery, owner)
  await store.delete('pending-authorization')
}
