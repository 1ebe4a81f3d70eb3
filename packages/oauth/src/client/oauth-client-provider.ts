import { MCPClientError } from '@mcpkit/types'
import {
  type AddClientAuthentication,
  auth,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  refreshAuthorization,
  selectResourceURL,
} from '@modelcontextprotocol/sdk/client/auth.js'
import { OAuthError, ServerError } from '@modelcontextprotocol/sdk/server/auth/errors.js'
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js'
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js'
import { authFlowError, trackingFetch } from './auth-errors.js'
import { assertSafeDiscoveryState, isLoopbackHost } from './discovery-check.js'
import {
  MemoryOAuthStorage,
  normalizeServerUrl,
  type OAuthStorage,
  type OAuthStorageEntry,
  oauthStorageKey,
} from './oauth-storage.js'

const DEFAULT_PRINCIPAL = 'default'

/**
 * Renewals in flight, per storage and tokens key. Apps often build a provider per request over
 * one shared storage; two of them refreshing the same (server, principal) at once would send
 * the same refresh token twice, and an authorization server that rotates refresh tokens
 * revokes the grant on the second use. Keyed by the storage object, so nothing outlives it.
 */
const renewals = new WeakMap<OAuthStorage, Map<string, Promise<OAuthTokens | undefined>>>()
const DEFAULT_REFRESH_BEFORE_EXPIRY_MS = 60_000

/** RFC 7591 client metadata, extension fields (e.g. OpenID's `application_type`) allowed. */
export type ClientMetadata = OAuthClientMetadata & { [field: string]: unknown }

/** Options of `new MCPOAuthClientProvider()`: authorization code with PKCE, for users. */
export interface MCPOAuthClientProviderOptions {
  /**
   * The MCP server this provider authorizes against (the protected resource), as in the
   * server definition's `url`. Every storage key includes it.
   */
  serverUrl: string | URL
  /** Where the authorization server sends the browser back with the code. */
  redirectUrl: string | URL
  /**
   * Metadata for dynamic client registration (RFC 7591; extension fields such as OpenID's
   * `application_type` are sent as given). Default: a public client
   * (`token_endpoint_auth_method: 'none'`) named `mcpkit` with `redirect_uris: [redirectUrl]`,
   * and `application_type: 'native'` when `redirectUrl` is a loopback http URL (RFC 8252).
   */
  clientMetadata?: ClientMetadata
  /**
   * Sends the user to the authorization server: redirect the browser, open it, or print the
   * URL. When the user comes back to `redirectUrl`, call `finishAuthorization(callbackUrl)`.
   * Without it, an authorization the server asks for fails with `UNAUTHORIZED`, naming the URL.
   */
  onRedirectToAuthorization?: (authorizationUrl: URL) => void | Promise<void>
  /** Where tokens and the registration are kept. Default: a new `MemoryOAuthStorage`. */
  storage?: OAuthStorage
  /** Whose tokens these are (a user id). Part of every storage key. Default `'default'`. */
  principal?: string
  /**
   * A client registered with the authorization server beforehand (`client_id`, and
   * `client_secret` for a confidential client). Add `issuer` (the authorization server's URL)
   * so these credentials are never presented to another one.
   */
  clientInformation?: OAuthClientInformationMixed
  /**
   * An https URL where this client's metadata document is published (Client ID Metadata
   * Document). Used as the `client_id` when the authorization server supports it, before
   * falling back to dynamic registration.
   */
  clientMetadataUrl?: string
  /**
   * The scope to ask for when the server names none (neither in `WWW-Authenticate` nor in its
   * protected-resource metadata). Sets `clientMetadata.scope`.
   */
  scope?: string
  /**
   * Refresh an access token this many milliseconds before it expires (never more than half of
   * its lifetime before). Default `60000`.
   */
  refreshBeforeExpiry?: number
  /** Used for the provider's own requests (code exchange, refresh). Default: global `fetch`. */
  fetch?: FetchLike
  /** Custom client authentication for token requests (e.g. the SDK's `createPrivateKeyJwtAuth`). */
  addClientAuthentication?: AddClientAuthentication
}

/** Options of `MCPOAuthClientProvider.clientCredentials()`: a machine client, no user. */
export interface ClientCredentialsOptions {
  /** The MCP server this provider authorizes against. Every storage key includes it. */
  serverUrl: string | URL
  clientId: string
  /** The client secret (`client_secret_basic` or `_post`, as the server supports). */
  clientSecret?: string
  /** The scope to request; the server's `WWW-Authenticate` or metadata scope wins. */
  scope?: string
  /**
   * The authorization server's issuer URL. When set, the credentials are sent to no other
   * authorization server, whatever the MCP server's metadata says. Recommended.
   */
  expectedIssuer?: string
  storage?: OAuthStorage
  /** Part of every storage key. Default `'default'`. */
  principal?: string
  /** Renew the token this many milliseconds before it expires. Default `60000`. */
  refreshBeforeExpiry?: number
  fetch?: FetchLike
  /** Custom client authentication, e.g. `createPrivateKeyJwtAuth` from the SDK. */
  addClientAuthentication?: AddClientAuthentication
  /** Client name in `clientMetadata`. */
  clientName?: string
}

/** `ClientCredentialsOptions` as the constructor takes them (what `clientCredentials()` passes). */
export interface ClientCredentialsProviderOptions extends ClientCredentialsOptions {
  grantType: 'client_credentials'
}

/** What finishes an authorization: the callback URL, or its `code` and `state` parameters. */
export type AuthorizationCallback =
  | string
  | URL
  | URLSearchParams
  | { code: string; state: string | null | undefined; iss?: string | null | undefined }

interface StoredTokens {
  tokens: OAuthTokens
  /** Epoch ms when the access token expires; absent when the server did not say. */
  expiresAt?: number
  /** Epoch ms when it was saved. */
  savedAt: number
}

interface ProviderSettings {
  serverUrl: string
  principal: string
  storage: OAuthStorage
  redirectUrl: string | undefined
  clientMetadata: ClientMetadata
  onRedirectToAuthorization: ((authorizationUrl: URL) => void | Promise<void>) | undefined
  clientInformation: OAuthClientInformationMixed | undefined
  clientMetadataUrl: string | undefined
  refreshBeforeExpiry: number
  fetch: FetchLike | undefined
  addClientAuthentication: AddClientAuthentication | undefined
  clientCredentials: boolean
}

/**
 * An SDK `OAuthClientProvider` for one MCP server and one principal. The SDK's `auth()` and
 * its transports do the protocol (discovery from `WWW-Authenticate` and RFC 9728 metadata,
 * RFC 8414 / OpenID discovery, registration, PKCE S256, the RFC 8707 `resource` parameter,
 * retry on 401, scope step-up on 403); this provider supplies what they need, keeps it in an
 * `OAuthStorage` under keys of this server and principal, refreshes access tokens before they
 * expire, and refuses authorization servers that are not on https.
 *
 * @example
 * const provider = new MCPOAuthClientProvider({
 *   serverUrl: 'https://mcp.example.com/mcp',
 *   redirectUrl: 'https://app.example.com/oauth/callback',
 *   principal: user.id,
 *   storage,
 *   onRedirectToAuthorization: (url) => res.redirect(url.href),
 * })
 * // in the callback route:
 * await provider.finishAuthorization(request.url)
 */
export class MCPOAuthClientProvider implements OAuthClientProvider {
  /** The MCP server's URL, as storage keys use it. */
  readonly serverUrl: string
  /** Whose tokens these are. */
  readonly principal: string
  readonly clientMetadataUrl?: string
  readonly addClientAuthentication?: AddClientAuthentication
  readonly #settings: ProviderSettings

  constructor(options: MCPOAuthClientProviderOptions | ClientCredentialsProviderOptions) {
    if (options === null || typeof options !== 'object') {
      throw invalidOption('options must be an object with `serverUrl` and `redirectUrl`.')
    }
    const settings =
      'grantType' in options && options.grantType === 'client_credentials'
        ? clientCredentialsSettings(options)
        : authorizationCodeSettings(options as MCPOAuthClientProviderOptions)
    this.#settings = settings
    this.serverUrl = settings.serverUrl
    this.principal = settings.principal
    if (settings.clientMetadataUrl !== undefined)
      this.clientMetadataUrl = settings.clientMetadataUrl
    if (settings.addClientAuthentication) {
      this.addClientAuthentication = settings.addClientAuthentication
    }
  }

  /**
   * A provider for machine-to-machine access with the `client_credentials` grant: no user, no
   * browser. The token is fetched on the first 401 (or by `MCPClient.authenticate()`) and
   * fetched again before it expires.
   */
  static clientCredentials(options: ClientCredentialsOptions): MCPOAuthClientProvider {
    return new MCPOAuthClientProvider({ ...options, grantType: 'client_credentials' })
  }

  /** Whether this provider uses the `client_credentials` grant (no user, no redirect). */
  get isClientCredentials(): boolean {
    return this.#settings.clientCredentials
  }

  get redirectUrl(): string | undefined {
    return this.#settings.redirectUrl
  }

  get clientMetadata(): ClientMetadata {
    return this.#settings.clientMetadata
  }

  /** A fresh random `state` for each authorization request, remembered until it is used. */
  async state(): Promise<string> {
    const state = randomToken()
    await this.#set('state', state)
    return state
  }

  async clientInformation(): Promise<OAuthClientInformationMixed | undefined> {
    const configured = this.#settings.clientInformation
    const stored = await this.#getJson<OAuthClientInformationMixed>('client-information')
    // A stored copy of the configured client (stamped with `issuer` by the SDK) wins only while
    // it is the same client: a new configured client_id or secret replaces it.
    if (configured) {
      if (
        stored &&
        stored.client_id === configured.client_id &&
        stored.client_secret === configured.client_secret
      ) {
        return stored
      }
      return configured
    }
    if (!stored) return undefined
    // A registered secret that expired is useless: registering again is the way out.
    const expiresAt = (stored as { client_secret_expires_at?: number }).client_secret_expires_at
    if (expiresAt && expiresAt * 1000 <= Date.now()) return undefined
    return stored
  }

  async saveClientInformation(clientInformation: OAuthClientInformationMixed): Promise<void> {
    await this.#set('client-information', JSON.stringify(clientInformation))
  }

  /**
   * The stored tokens, or `undefined`. An access token that expires within
   * `refreshBeforeExpiry` is renewed first (refresh token, or a new `client_credentials`
   * token); an expired one is never returned.
   */
  async tokens(): Promise<OAuthTokens | undefined> {
    const stored = await this.#readTokens()
    if (!stored) return undefined
    if (!this.#isExpiring(stored)) return present(stored)
    const { storage } = this.#settings
    const key = this.#key('tokens')
    let inFlight = renewals.get(storage)
    if (!inFlight) {
      inFlight = new Map()
      renewals.set(storage, inFlight)
    }
    const pending = inFlight.get(key)
    if (pending) return pending
    const renewal = this.#renew(stored).finally(() => inFlight.delete(key))
    inFlight.set(key, renewal)
    return renewal
  }

  async saveTokens(tokens: OAuthTokens): Promise<void> {
    const now = Date.now()
    const stored: StoredTokens = { tokens, savedAt: now }
    if (typeof tokens.expires_in === 'number' && Number.isFinite(tokens.expires_in)) {
      stored.expiresAt = now + tokens.expires_in * 1000
    }
    await this.#set('tokens', JSON.stringify(stored))
  }

  /**
   * Whether an access token that is not about to expire is available (renewing one that is, as
   * `tokens()` does).
   */
  async hasValidTokens(): Promise<boolean> {
    try {
      return (await this.tokens()) !== undefined
    } catch {
      return false
    }
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    const hook = this.#settings.onRedirectToAuthorization
    if (this.#settings.clientCredentials) {
      throw new MCPClientError(
        'UNAUTHORIZED',
        `MCP server ${this.serverUrl} asked for a user authorization, which a client_credentials provider cannot give.`,
      )
    }
    if (!hook) {
      throw new MCPClientError(
        'UNAUTHORIZED',
        `MCP server ${this.serverUrl} needs authorization: open ${authorizationUrl.href} and pass the callback URL to finishAuthorization(). Set onRedirectToAuthorization to handle this (or, in MCPClient.authenticate(), onAuthorizationUrl).`,
      )
    }
    await hook(authorizationUrl)
  }

  async saveCodeVerifier(codeVerifier: string): Promise<void> {
    await this.#set('code-verifier', codeVerifier)
  }

  async codeVerifier(): Promise<string> {
    const verifier = await this.#get('code-verifier')
    if (!verifier) {
      throw new MCPClientError(
        'UNAUTHORIZED',
        `No PKCE code verifier is stored for MCP server ${this.serverUrl} and principal "${this.principal}": the authorization was not started with this storage, or was already finished. Start it again.`,
      )
    }
    return verifier
  }

  /** Refuses authorization servers outside https (loopback excepted), then stores the result. */
  async saveDiscoveryState(state: OAuthDiscoveryState): Promise<void> {
    assertSafeDiscoveryState(state, this.serverUrl)
    await this.#set('discovery', JSON.stringify(state))
  }

  async discoveryState(): Promise<OAuthDiscoveryState | undefined> {
    return this.#getJson<OAuthDiscoveryState>('discovery')
  }

  async invalidateCredentials(
    scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery',
  ): Promise<void> {
    const entries: Record<typeof scope, OAuthStorageEntry[]> = {
      all: ['tokens', 'client-information', 'code-verifier', 'state', 'discovery'],
      client: ['client-information'],
      tokens: ['tokens'],
      verifier: ['code-verifier'],
      discovery: ['discovery'],
    }
    for (const entry of entries[scope]) await this.#delete(entry)
  }

  /**
   * The `client_credentials` grant for machine clients (the default code grant otherwise). The
   * SDK passes only the configured scope; without one, the scopes the server's metadata lists
   * are asked for, as the authorization code flow does.
   */
  async prepareTokenRequest(scope?: string): Promise<URLSearchParams | undefined> {
    if (!this.#settings.clientCredentials) return undefined
    const params = new URLSearchParams({ grant_type: 'client_credentials' })
    const requested =
      scope || (await this.discoveryState())?.resourceMetadata?.scopes_supported?.join(' ')
    if (requested) params.set('scope', requested)
    return params
  }

  /**
   * Finishes an authorization after the user came back to `redirectUrl`: checks that the
   * callback's `state` is the one this provider sent (a callback with another `state` is
   * refused and its code never used), then exchanges the code for tokens (with PKCE and the
   * `resource` parameter) through the SDK's `auth()`. Pass the callback URL as received, or
   * its `code` and `state`.
   */
  async finishAuthorization(callback: AuthorizationCallback): Promise<void> {
    const { code, state, error, errorDescription, iss } = parseCallback(callback)
    const expected = await this.#get('state')
    if (!expected) {
      throw new MCPClientError(
        'UNAUTHORIZED',
        `No authorization is pending for MCP server ${this.serverUrl} and principal "${this.principal}" (it was finished already, or started with another storage): the callback was not used.`,
      )
    }
    if (state !== expected) {
      throw new MCPClientError(
        'UNAUTHORIZED',
        `The authorization callback for MCP server ${this.serverUrl} has ${state ? 'a different' : 'no'} \`state\` than the request this provider sent: it was refused and its code not used.`,
      )
    }
    await this.#delete('state')
    if (error) {
      throw new MCPClientError(
        'UNAUTHORIZED',
        `The authorization server refused the authorization for MCP server ${this.serverUrl}: ${error}${errorDescription ? ` (${errorDescription})` : ''}.`,
      )
    }
    if (!code) {
      throw new MCPClientError(
        'UNAUTHORIZED',
        `The authorization callback for MCP server ${this.serverUrl} has no \`code\`.`,
      )
    }
    if (iss) {
      // RFC 9207: a response from another authorization server than the one we asked is a mix-up.
      const issuer = (await this.discoveryState())?.authorizationServerMetadata?.issuer
      if (issuer && !sameUrl(issuer, iss)) {
        throw new MCPClientError(
          'UNAUTHORIZED',
          `The authorization callback for MCP server ${this.serverUrl} comes from issuer ${iss}, not ${issuer}: refused.`,
        )
      }
    }
    const tracking = trackingFetch(this.#settings.fetch)
    let result: string
    try {
      result = await auth(this, {
        serverUrl: this.serverUrl,
        authorizationCode: code,
        fetchFn: tracking.fetch,
      })
    } catch (cause) {
      throw authFlowError(cause, {
        serverUrl: this.serverUrl,
        action: 'Exchanging the authorization code',
        lastUrl: tracking.lastUrl(),
      })
    } finally {
      await this.#delete('code-verifier')
    }
    if (result !== 'AUTHORIZED') {
      throw new MCPClientError(
        'UNAUTHORIZED',
        `Exchanging the authorization code for MCP server ${this.serverUrl} did not yield tokens.`,
      )
    }
  }

  /** Forgets everything stored for this server and principal (sign out). */
  clear(): Promise<void> {
    return this.invalidateCredentials('all')
  }

  // ── internals ───────────────────────────────────────────────────────────────

  #key(entry: OAuthStorageEntry): string {
    const { serverUrl, principal } = this.#settings
    return oauthStorageKey({ serverUrl, principal, entry })
  }

  async #get(entry: OAuthStorageEntry): Promise<string | undefined> {
    const value = await this.#settings.storage.get(this.#key(entry))
    return value ?? undefined
  }

  async #getJson<Value>(entry: OAuthStorageEntry): Promise<Value | undefined> {
    const text = await this.#get(entry)
    if (text === undefined) return undefined
    try {
      return JSON.parse(text) as Value
    } catch {
      // Unreadable (written by something else): as good as absent, and replaced on next save.
      return undefined
    }
  }

  async #set(entry: OAuthStorageEntry, value: string): Promise<void> {
    await this.#settings.storage.set(this.#key(entry), value)
  }

  async #delete(entry: OAuthStorageEntry): Promise<void> {
    await this.#settings.storage.delete(this.#key(entry))
  }

  async #readTokens(): Promise<StoredTokens | undefined> {
    const stored = await this.#getJson<StoredTokens>('tokens')
    if (!stored || typeof stored !== 'object' || typeof stored.tokens?.access_token !== 'string') {
      return undefined
    }
    return stored
  }

  #isExpiring(stored: StoredTokens): boolean {
    if (stored.expiresAt === undefined) return false
    const lifetime = stored.expiresAt - stored.savedAt
    const margin = Math.min(this.#settings.refreshBeforeExpiry, Math.max(0, lifetime / 2))
    return Date.now() >= stored.expiresAt - margin
  }

  /** A new access token for one that is about to expire, or `undefined` when none can be had. */
  async #renew(stored: StoredTokens): Promise<OAuthTokens | undefined> {
    const settings = this.#settings
    const tracking = trackingFetch(settings.fetch)
    if (settings.clientCredentials) {
      // The non-interactive path of `auth()` fetches a new token and never reads `tokens()`.
      try {
        await auth(this, { serverUrl: this.serverUrl, fetchFn: tracking.fetch })
      } catch (cause) {
        throw authFlowError(cause, {
          serverUrl: this.serverUrl,
          action: 'Renewing the client_credentials token',
          lastUrl: tracking.lastUrl(),
        })
      }
      const renewed = await this.#readTokens()
      return renewed && !this.#isExpiringNow(renewed) ? present(renewed) : undefined
    }
    const refreshToken = stored.tokens.refresh_token
    const discovery = await this.discoveryState()
    const clientInformation = await this.clientInformation()
    if (!refreshToken || !discovery?.authorizationServerUrl || !clientInformation) return undefined
    const issuer = discovery.authorizationServerUrl
    // The SDK stamps tokens with the authorization server that issued them; a refresh token is
    // only ever sent back there.
    if (stored.tokens.issuer && !sameUrl(stored.tokens.issuer, issuer)) return undefined
    // Not `auth()`: it would read `tokens()` again from inside `tokens()`. These are the same
    // SDK steps it takes for a refresh: the resource indicator chosen and checked by
    // `selectResourceURL` (sent as the metadata spells it), then `refreshAuthorization`.
    try {
      const selected = await selectResourceURL(this.serverUrl, this, discovery.resourceMetadata)
      const resource = selected && discovery.resourceMetadata?.resource
      const fresh = await refreshAuthorization(issuer, {
        ...(discovery.authorizationServerMetadata
          ? { metadata: discovery.authorizationServerMetadata }
          : {}),
        clientInformation,
        refreshToken,
        ...(resource ? { resource } : {}),
        ...(this.addClientAuthentication
          ? { addClientAuthentication: this.addClientAuthentication }
          : {}),
        fetchFn: tracking.fetch,
      })
      await this.saveTokens({ ...fresh, issuer: stored.tokens.issuer ?? issuer })
    } catch (cause) {
      if (cause instanceof OAuthError && !(cause instanceof ServerError)) {
        // Another process may have used (and rotated) this refresh token first.
        const current = await this.#readTokens()
        if (current && current.tokens.refresh_token !== refreshToken) {
          return this.#isExpiring(current) ? undefined : present(current)
        }
        // The refresh token was refused for good (revoked, expired): a new authorization is due.
        await this.#delete('tokens')
        return undefined
      }
      throw authFlowError(cause, {
        serverUrl: this.serverUrl,
        action: 'Refreshing the access token',
        lastUrl: tracking.lastUrl(),
      })
    }
    const renewed = await this.#readTokens()
    return renewed ? present(renewed) : undefined
  }

  #isExpiringNow(stored: StoredTokens): boolean {
    return stored.expiresAt !== undefined && Date.now() >= stored.expiresAt
  }
}

function authorizationCodeSettings(options: MCPOAuthClientProviderOptions): ProviderSettings {
  const redirectUrl = parseUrl(options.redirectUrl, 'redirectUrl')
  const clientMetadata: ClientMetadata = options.clientMetadata
    ? { ...options.clientMetadata }
    : {
        client_name: 'mcpkit',
        redirect_uris: [redirectUrl],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        ...(isLoopbackHttp(redirectUrl) ? { application_type: 'native' } : {}),
      }
  const registered = (clientMetadata.redirect_uris ?? []).map((uri) => normalizeUrl(uri))
  if (!registered.includes(redirectUrl)) {
    throw invalidOption(
      `clientMetadata.redirect_uris (${JSON.stringify(clientMetadata.redirect_uris)}) must include redirectUrl ${redirectUrl}.`,
    )
  }
  if (options.scope !== undefined) clientMetadata.scope = options.scope
  return {
    ...baseSettings(options),
    redirectUrl,
    clientMetadata,
    onRedirectToAuthorization: options.onRedirectToAuthorization,
    clientInformation: options.clientInformation,
    clientMetadataUrl: options.clientMetadataUrl,
    clientCredentials: false,
  }
}

function clientCredentialsSettings(options: ClientCredentialsProviderOptions): ProviderSettings {
  if (typeof options.clientId !== 'string' || options.clientId === '') {
    throw invalidOption('clientCredentials(options): `clientId` is required.')
  }
  const clientInformation: OAuthClientInformationMixed = { client_id: options.clientId }
  if (options.clientSecret !== undefined) clientInformation.client_secret = options.clientSecret
  if (options.expectedIssuer !== undefined) clientInformation.issuer = options.expectedIssuer
  return {
    ...baseSettings(options),
    redirectUrl: undefined,
    clientMetadata: {
      client_name: options.clientName ?? 'mcpkit-machine-client',
      redirect_uris: [],
      grant_types: ['client_credentials'],
      ...(options.scope === undefined ? {} : { scope: options.scope }),
    },
    onRedirectToAuthorization: undefined,
    clientInformation,
    clientMetadataUrl: undefined,
    clientCredentials: true,
  }
}

function baseSettings(options: {
  serverUrl: string | URL
  storage?: OAuthStorage
  principal?: string
  refreshBeforeExpiry?: number
  fetch?: FetchLike
  addClientAuthentication?: AddClientAuthentication
}): Pick<
  ProviderSettings,
  | 'serverUrl'
  | 'principal'
  | 'storage'
  | 'refreshBeforeExpiry'
  | 'fetch'
  | 'addClientAuthentication'
> {
  const serverUrl = normalizeServerUrl(parseUrl(options.serverUrl, 'serverUrl'))
  const principal = options.principal ?? DEFAULT_PRINCIPAL
  if (typeof principal !== 'string' || principal === '') {
    throw invalidOption('`principal` must be a non-empty string (a user id).')
  }
  const storage = options.storage ?? new MemoryOAuthStorage()
  for (const method of ['get', 'set', 'delete'] as const) {
    if (typeof storage[method] !== 'function') {
      throw invalidOption(
        `\`storage\` must have get, set and delete methods; ${method} is missing.`,
      )
    }
  }
  const refreshBeforeExpiry = options.refreshBeforeExpiry ?? DEFAULT_REFRESH_BEFORE_EXPIRY_MS
  if (typeof refreshBeforeExpiry !== 'number' || !(refreshBeforeExpiry >= 0)) {
    throw invalidOption('`refreshBeforeExpiry` must be a number of milliseconds, 0 or more.')
  }
  return {
    serverUrl,
    principal,
    storage,
    refreshBeforeExpiry,
    fetch: options.fetch,
    addClientAuthentication: options.addClientAuthentication,
  }
}

/** The tokens as stored, with `expires_in` counting from now. */
function present(stored: StoredTokens): OAuthTokens {
  if (stored.expiresAt === undefined) return stored.tokens
  const remaining = Math.max(0, Math.floor((stored.expiresAt - Date.now()) / 1000))
  return { ...stored.tokens, expires_in: remaining }
}

function parseCallback(callback: AuthorizationCallback): {
  code: string | undefined
  state: string | undefined
  error: string | undefined
  errorDescription: string | undefined
  iss: string | undefined
} {
  let params: URLSearchParams
  if (callback instanceof URLSearchParams) {
    params = callback
  } else if (callback instanceof URL) {
    params = callback.searchParams
  } else if (typeof callback === 'string') {
    let url: URL
    try {
      url = new URL(callback, 'http://callback.invalid')
    } catch {
      throw invalidCallback()
    }
    if (!url.searchParams.has('code') && !url.searchParams.has('error')) throw invalidCallback()
    params = url.searchParams
  } else if (callback && typeof callback === 'object' && typeof callback.code === 'string') {
    return {
      code: callback.code,
      state: callback.state ?? undefined,
      error: undefined,
      errorDescription: undefined,
      iss: callback.iss ?? undefined,
    }
  } else {
    throw invalidCallback()
  }
  return {
    code: params.get('code') ?? undefined,
    state: params.get('state') ?? undefined,
    error: params.get('error') ?? undefined,
    errorDescription: params.get('error_description') ?? undefined,
    iss: params.get('iss') ?? undefined,
  }
}

function invalidCallback(): MCPClientError {
  return new MCPClientError(
    'UNAUTHORIZED',
    'finishAuthorization() takes the callback URL (with `code` and `state`, or `error`), its query parameters, or `{ code, state }`.',
  )
}

function isLoopbackHttp(value: string): boolean {
  const url = new URL(value)
  return url.protocol === 'http:' && isLoopbackHost(url.hostname)
}

function parseUrl(value: string | URL, name: string): string {
  try {
    return new URL(value).href
  } catch {
    throw invalidOption(
      `\`${name}\` must be an absolute URL; got ${JSON.stringify(String(value))}.`,
    )
  }
}

function normalizeUrl(value: string): string {
  try {
    return new URL(value).href
  } catch {
    return value
  }
}

function sameUrl(a: string, b: string): boolean {
  const trim = (value: string) => normalizeUrl(value).replace(/\/$/, '')
  return trim(a) === trim(b)
}

function invalidOption(message: string): MCPClientError {
  return new MCPClientError('INVALID_DEFINITION', `MCPOAuthClientProvider: ${message}`)
}

function randomToken(): string {
  const bytes = new Uint8Array(32)
  globalThis.crypto.getRandomValues(bytes)
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
