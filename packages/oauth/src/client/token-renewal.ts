import type { OAuthDiscoveryState } from '@modelcontextprotocol/client'
import {
  OAuthErrorCode,
  refreshAuthorization,
  type StoredOAuthTokens,
  selectResourceURL,
} from '@modelcontextprotocol/client'
import { fetchTokenWithoutReadingTokens, isOAuthError } from '../sdk-contract.js'
import { describeAuthFailure, trackingFetch } from './auth-failure.js'
import { sameIssuer } from './client-registrations.js'
import type { OAuthStorage } from './oauth-storage.js'
import type { ProviderContext } from './provider-context.js'
import { type ProviderStore, unattached } from './provider-store.js'

/** The `tokens` entry: the tokens exactly as the SDK saved them, and when they expire. */
export interface StoredTokens {
  /** As given to `saveTokens()`, the SDK's `issuer` stamp included. */
  tokens: StoredOAuthTokens
  /** Epoch ms when the access token expires; absent when the server did not say. */
  expiresAt?: number
  /** Epoch ms when it was saved. */
  savedAt: number
  /**
   * The scope asked for when they were issued: what they hold when the authorization server
   * left `scope` out of its answer (RFC 6749 §5.1: it may, when it granted what was asked).
   */
  requestedScope?: string
}

/**
 * Renewals in flight, per storage and tokens key. Apps often build a provider per request over
 * one shared storage; two of them refreshing the same (server, principal) at once would send
 * the same refresh token twice, and an authorization server that rotates refresh tokens
 * revokes the grant on the second use. Keyed by the storage object, so nothing outlives it.
 */
const renewals = new WeakMap<OAuthStorage, Map<string, Promise<StoredOAuthTokens | undefined>>>()

/**
 * Stores `tokens` (verbatim) with their expiry time and the scope that was asked for, as the
 * tokens of the issuer they are stamped with (else `issuer`).
 */
export async function storeTokens(
  store: ProviderStore,
  tokens: StoredOAuthTokens,
  requestedScope?: string | undefined,
  issuer?: string | undefined,
): Promise<void> {
  const now = Date.now()
  const stored: StoredTokens = { tokens, savedAt: now }
  if (typeof tokens.expires_in === 'number' && Number.isFinite(tokens.expires_in)) {
    stored.expiresAt = now + tokens.expires_in * 1000
  }
  if (requestedScope) stored.requestedScope = requestedScope
  await store.setJson('tokens', stored, tokens.issuer ?? issuer)
}

/**
 * The scope the stored tokens hold: their `scope`, else the scope asked for when they were
 * issued; `undefined` without tokens.
 */
export async function heldScope(store: ProviderStore): Promise<string | undefined> {
  const stored = await readTokens(store)
  if (!stored) return undefined
  return stored.tokens.scope || stored.requestedScope
}

/**
 * The stored tokens when they are due for renewal (an access token within its margin, or
 * expired): the only time a stored discovery result is worth reusing. `undefined` otherwise.
 */
export async function tokensDueForRenewal(
  context: ProviderContext,
): Promise<StoredTokens | undefined> {
  const stored = await readTokens(context.store)
  return stored !== undefined && isExpiring(stored, context.settings.refreshBeforeExpiry)
    ? stored
    : undefined
}

/**
 * The stored tokens (of `issuer`, when the SDK names the authorization server it resolved and
 * the storage keeps issuers apart; else the latest), or `undefined`. An access token that
 * expires within `refreshBeforeExpiry` is renewed first (refresh token, or a new
 * `client_credentials` token), once per storage even when several providers ask at the same
 * time; an expired one is never returned.
 */
export async function currentTokens(
  context: ProviderContext,
  issuer?: string | undefined,
): Promise<StoredOAuthTokens | undefined> {
  const stored = await readTokens(context.store, issuer)
  if (!stored) return undefined
  if (!isExpiring(stored, context.settings.refreshBeforeExpiry)) return presentTokens(stored)
  const { storage } = context.store
  const key = context.store.key('tokens')
  const flightKey = `${key} ${issuer ?? ''}`
  let inFlight = renewals.get(storage)
  if (!inFlight) {
    inFlight = new Map()
    renewals.set(storage, inFlight)
  }
  const pending = inFlight.get(flightKey)
  if (pending) return pending
  const renewal = (
    storage.withLock
      ? storage.withLock(key, async () => {
          // Another process may have renewed them while this one waited for the lock.
          const latest = await readTokens(context.store, issuer)
          if (!latest) return undefined
          if (!isExpiring(latest, context.settings.refreshBeforeExpiry)) {
            return presentTokens(latest)
          }
          return renew(context, latest)
        })
      : renew(context, stored)
  ).finally(() => inFlight.delete(flightKey))
  inFlight.set(flightKey, renewal)
  return renewal
}

/** The stored tokens (of `issuer`, in a storage that keeps issuers apart), or `undefined`. */
export async function readTokens(
  store: ProviderStore,
  issuer?: string | undefined,
): Promise<StoredTokens | undefined> {
  const stored = await store.getJson<StoredTokens>('tokens', issuer)
  if (!stored || typeof stored !== 'object' || typeof stored.tokens?.access_token !== 'string') {
    return undefined
  }
  return stored
}

/** Whether the access token is within its renewal margin (never more than half its lifetime). */
function isExpiring(stored: StoredTokens, refreshBeforeExpiry: number): boolean {
  if (stored.expiresAt === undefined) return false
  const lifetime = stored.expiresAt - stored.savedAt
  const margin = Math.min(refreshBeforeExpiry, Math.max(0, lifetime / 2))
  return Date.now() >= stored.expiresAt - margin
}

function isExpired(stored: StoredTokens): boolean {
  return stored.expiresAt !== undefined && Date.now() >= stored.expiresAt
}

/** The tokens as stored, with `expires_in` counting from now. */
function presentTokens(stored: StoredTokens): StoredOAuthTokens {
  if (stored.expiresAt === undefined) return stored.tokens
  const remaining = Math.max(0, Math.floor((stored.expiresAt - Date.now()) / 1000))
  return { ...stored.tokens, expires_in: remaining }
}

/** A new access token for one that is about to expire, or `undefined` when none can be had. */
async function renew(
  context: ProviderContext,
  stored: StoredTokens,
): Promise<StoredOAuthTokens | undefined> {
  const { settings, store, provider } = context
  const serverUrl = settings.serverUrl
  if (serverUrl === undefined) throw unattached()
  const tracking = trackingFetch(settings.fetch)
  const failure = (cause: unknown, action: string) =>
    describeAuthFailure(cause, {
      subject: `${action} for MCP server ${serverUrl}`,
      lastUrl: tracking.lastUrl(),
    })
  if (settings.clientCredentials) {
    try {
      await fetchTokenWithoutReadingTokens(provider, { serverUrl, fetchFn: tracking.fetch })
    } catch (cause) {
      throw failure(cause, 'Renewing the client_credentials token')
    }
    const renewed = await readTokens(store)
    return renewed && !isExpired(renewed) ? presentTokens(renewed) : undefined
  }

  const refreshToken = stored.tokens.refresh_token
  // The issuer the tokens are stamped with: their discovery, refresh and removal are its own.
  const stamped = stored.tokens.issuer
  // Where the stored tokens came from (never the discovery of a flow in progress).
  const discovery = await store.getJson<OAuthDiscoveryState>('discovery', stamped)
  if (!refreshToken || !discovery?.authorizationServerUrl) return undefined
  // The identity the SDK stamps credentials with (SEP-2352): a refresh token, like the client
  // credentials, is only ever sent back to the authorization server that issued it.
  const issuer = discovery.authorizationServerMetadata?.issuer ?? discovery.authorizationServerUrl
  const boundElsewhere = (stamp: string | undefined) =>
    stamp !== undefined && !sameIssuer(stamp, issuer)
  const clientInformation = await provider.clientInformation({ issuer })
  if (!clientInformation || boundElsewhere(stored.tokens.issuer)) return undefined
  if (boundElsewhere(clientInformation.issuer)) return undefined
  // Not `auth()`: it would read `tokens()` again from inside `tokens()`. These are the SDK
  // steps `auth()` takes for a refresh: the resource indicator chosen and checked by
  // `selectResourceURL` (sent as the metadata spells it), then `refreshAuthorization`.
  try {
    const selected = await selectResourceURL(serverUrl, provider, discovery.resourceMetadata)
    const resource =
      selected && discovery.resourceMetadata ? discovery.resourceMetadata.resource : selected
    const fresh = await refreshAuthorization(discovery.authorizationServerUrl, {
      ...(discovery.authorizationServerMetadata
        ? { metadata: discovery.authorizationServerMetadata }
        : {}),
      clientInformation,
      refreshToken,
      ...(resource ? { resource } : {}),
      ...(settings.addClientAuthentication
        ? { addClientAuthentication: settings.addClientAuthentication }
        : {}),
      fetchFn: tracking.fetch,
    })
    await storeTokens(
      store,
      { ...fresh, issuer: stored.tokens.issuer ?? issuer },
      stored.requestedScope,
    )
  } catch (cause) {
    if (isOAuthError(cause) && cause.code !== OAuthErrorCode.ServerError) {
      // Another process may have used (and rotated) this refresh token first.
      const current = await readTokens(store, stamped)
      if (current && current.tokens.refresh_token !== refreshToken) {
        return isExpiring(current, settings.refreshBeforeExpiry)
          ? undefined
          : presentTokens(current)
      }
      // The refresh token was refused for good (revoked, expired): a new authorization is due.
      await store.delete('tokens', stamped)
      return undefined
    }
    throw failure(cause, 'Refreshing the access token')
  }
  const renewed = await readTokens(store, stamped)
  return renewed ? presentTokens(renewed) : undefined
}
