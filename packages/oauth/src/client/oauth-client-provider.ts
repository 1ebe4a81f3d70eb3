import { MCPClientError } from '@mcpkit/types'
import type {
  AddClientAuthentication,
  OAuthClientInformationContext,
  OAuthClientProvider,
  OAuthDiscoveryState,
  StoredOAuthClientInformation,
  StoredOAuthTokens,
} from '@modelcontextprotocol/client'
import { beginAuthRun, vetDiscoveryState } from '../sdk-contract.js'
import { canonicalUrl, sameUrlUpToTrailingSlash } from '../shared/canonical-url.js'
import { type AuthorizationCallback, finishAuthorization } from './authorization-callback.js'
import { authorizationUrlFor } from './authorization-url.js'
import { ClientRegistrations, sameIssuer } from './client-registrations.js'
import { assertSafeDiscoveryState } from './discovery-check.js'
import { discoveryForNewRun, recordPendingAuthorization, settleTokens } from './discovery-record.js'
import { type ProviderContext, registerProviderContext } from './provider-context.js'
import type {
  ClientCredentialsOptions,
  ClientCredentialsProviderOptions,
  ClientMetadata,
  MCPOAuthClientProviderOptions,
} from './provider-options.js'
import { type ProviderSettings, providerSettings } from './provider-settings.js'
import { type CredentialScope, ProviderStore, unattached } from './provider-store.js'
import { randomToken } from './random-token.js'
import { currentTokens } from './token-renewal.js'

/**
 * An SDK `OAuthClientProvider` for one MCP server and one principal. The SDK's `auth()` and
 * its transports do the protocol (discovery from `WWW-Authenticate` and RFC 9728 metadata,
 * RFC 8414 / OpenID discovery, registration, PKCE S256, the RFC 8707 `resource` parameter,
 * retry on 401, the `issuer` binding of credentials); this provider supplies what they need,
 * keeps it in an `OAuthStorage` under keys of this server and principal, refreshes access
 * tokens before they expire, refuses authorization servers that are not on https, keeps no
 * discovery result that did not lead to tokens, and keeps client registrations per
 * authorization server. A 403 `insufficient_scope` is handed to `MCPClient`, which steps up
 * through this package (`onInsufficientScope: 'throw'`).
 *
 * In a server definition it needs no `serverUrl`: `MCPClient` gives it the definition's `url`.
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
  /** Whose tokens these are. */
  readonly principal: string
  readonly clientMetadataUrl?: string
  readonly addClientAuthentication?: AddClientAuthentication
  /**
   * Tells `MCPClient`'s transport to pass a 403 `insufficient_scope` up rather than run the
   * SDK's own re-authorization: `MCPClient` then steps up through this package (a new loopback
   * authorization for a command-line program, a new token for a machine client, otherwise an
   * `InsufficientScopeClientError` carrying the scope). Used with an SDK transport directly,
   * the transport's own `onInsufficientScope` option decides.
   */
  readonly onInsufficientScope = 'throw' as const
  readonly #settings: ProviderSettings
  readonly #store: ProviderStore
  readonly #context: ProviderContext

  constructor(options: MCPOAuthClientProviderOptions | ClientCredentialsProviderOptions) {
    const settings = providerSettings(options)
    this.#settings = settings
    this.#store = new ProviderStore(settings)
    this.#context = { settings, store: this.#store, provider: this, flow: {} }
    registerProviderContext(this, this.#context)
    this.principal = settings.principal
    if (settings.clientMetadataUrl !== undefined) {
      this.clientMetadataUrl = settings.clientMetadataUrl
    }
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

  /**
   * The MCP server's URL, as storage keys use it: the `serverUrl` option, or the `url` of the
   * server definition the provider was put in. Reading it before either fails with
   * `INVALID_CONFIGURATION`.
   */
  get serverUrl(): string {
    const serverUrl = this.#settings.serverUrl
    if (serverUrl === undefined) throw unattached()
    return serverUrl
  }

  /**
   * Binds the provider to the server definition it was put in; `MCPClient` calls it at
   * construction. A provider is for one server: attaching it to another URL than the one it
   * has fails with `INVALID_CONFIGURATION`.
   */
  attachToServer(server: { serverName: string; url: URL | string }): void {
    const url = canonicalUrl(server.url)
    const current = this.#settings.serverUrl
    if (current === undefined) {
      this.#settings.serverUrl = url
      this.#store.bind(url)
      return
    }
    if (!sameUrlUpToTrailingSlash(current, url)) {
      throw new MCPClientError(
        'INVALID_CONFIGURATION',
        `Server "${server.serverName}": its authProvider is the MCPOAuthClientProvider of ${current}, not of ${url}. A provider keeps the tokens of one server: give each server definition its own provider.`,
        { serverName: server.serverName },
      )
    }
  }

  /** Whether this provider uses the `client_credentials` grant (no user, no redirect). */
  get isClientCredentials(): boolean {
    return this.#settings.clientCredentials
  }

  /** Where the authorization server sends the browser back; `undefined` for a machine client. */
  get redirectUrl(): string | undefined {
    return this.#settings.redirectUrl
  }

  /** The document dynamic client registration sends (see the `clientMetadata` option). */
  get clientMetadata(): ClientMetadata {
    return this.#settings.clientMetadata
  }

  /** A fresh random `state` for each authorization request, remembered until it is used. */
  async state(): Promise<string> {
    const state = randomToken()
    await this.#store.set('state', state)
    return state
  }

  /**
   * The client to present to the authorization server `context.issuer`: the one registered
   * with it (registrations are kept per issuer, so a server that moves to another
   * authorization server gets a new registration there, and no client id is shown to a server
   * that did not issue it), or the configured `clientInformation`. Configured credentials
   * belong to one authorization server (its `issuer`, else the first one they are used with):
   * asked by another, the provider refuses with `UNAUTHORIZED` rather than send them.
   */
  async clientInformation(
    context?: OAuthClientInformationContext,
  ): Promise<StoredOAuthClientInformation | undefined> {
    const issuer = context?.issuer
    const registrations = await ClientRegistrations.read(this.#store)
    const configured = this.#settings.clientInformation
    if (configured) {
      const bound = configured.issuer ?? registrations.issuerOf(configured.client_id)
      if (issuer !== undefined && bound !== undefined && !sameIssuer(bound, issuer)) {
        throw new MCPClientError(
          'UNAUTHORIZED',
          `MCP server ${this.serverUrl} sends its clients to authorization server ${issuer}, but this provider's ${this.#settings.clientCredentials ? 'client_credentials client' : 'pre-registered client'} belongs to ${bound}: its credentials were not sent. Register the client with ${issuer} and configure it, or fix the server's authorization_servers.`,
        )
      }
      const stored = issuer === undefined ? registrations.latest() : registrations.forIssuer(issuer)
      const sameClient =
        stored?.client_id === configured.client_id &&
        stored.client_secret === configured.client_secret
      return sameClient ? stored : configured
    }
    const stored = issuer === undefined ? registrations.latest() : registrations.forIssuer(issuer)
    if (!stored) return undefined
    // A registered secret that expired is useless: registering again is the way out.
    const expiresAt = (stored as { client_secret_expires_at?: number }).client_secret_expires_at
    if (expiresAt && expiresAt * 1000 <= Date.now()) return undefined
    return stored
  }

  /** Stores the client verbatim (the SDK's `issuer` stamp included), under its issuer. */
  async saveClientInformation(
    clientInformation: StoredOAuthClientInformation,
    context?: OAuthClientInformationContext,
  ): Promise<void> {
    const registrations = await ClientRegistrations.read(this.#store)
    await registrations.save(this.#store, clientInformation, context?.issuer)
  }

  /**
   * The stored tokens (the SDK's `issuer` stamp included), or `undefined`. An access token
   * that expires within `refreshBeforeExpiry` is renewed first (refresh token, or a new
   * `client_credentials` token), once even when several providers share the storage; an
   * expired one is never returned. When the SDK names the authorization server it resolved
   * (`context.issuer`), a storage that keeps issuers apart gives that issuer's tokens only.
   */
  tokens(context?: OAuthClientInformationContext): Promise<StoredOAuthTokens | undefined> {
    return currentTokens(this.#context, context?.issuer)
  }

  /**
   * Stores the tokens verbatim (the SDK's `issuer` stamp included) with their expiry time and
   * the scope asked for, as the tokens of their issuer; the discovery result that led to them
   * is kept for their renewal.
   */
  async saveTokens(
    tokens: StoredOAuthTokens,
    context?: OAuthClientInformationContext,
  ): Promise<void> {
    await settleTokens(this.#context, tokens, context?.issuer)
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

  /**
   * Records the authorization it starts (the discovery result its code must be exchanged with,
   * the scope asked for), then hands the URL to `onRedirectToAuthorization`, or fails naming it.
   */
  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    const hook = this.#settings.onRedirectToAuthorization
    if (this.#settings.clientCredentials) {
      throw new MCPClientError(
        'UNAUTHORIZED',
        `MCP server ${this.serverUrl} asked for a user authorization, which a client_credentials provider cannot give.`,
      )
    }
    await recordPendingAuthorization(this.#context, authorizationUrl)
    if (!hook) {
      throw new MCPClientError(
        'UNAUTHORIZED',
        `MCP server ${this.serverUrl} needs authorization: open ${authorizationUrl.href} and pass the callback URL to finishAuthorization(). Set onRedirectToAuthorization to handle this (or, in MCPClient.authenticate(), onAuthorizationUrl).`,
      )
    }
    await hook(authorizationUrl)
  }

  /** Keeps the PKCE verifier of the authorization in progress. */
  async saveCodeVerifier(codeVerifier: string): Promise<void> {
    await this.#store.set('code-verifier', codeVerifier)
  }

  /** The PKCE verifier of the authorization in progress; fails when none was started here. */
  async codeVerifier(): Promise<string> {
    const verifier = await this.#store.get('code-verifier')
    if (!verifier) {
      throw new MCPClientError(
        'UNAUTHORIZED',
        `No PKCE code verifier is stored for MCP server ${this.serverUrl} and principal "${this.principal}": the authorization was not started with this storage, or was already finished. Start it again.`,
      )
    }
    return verifier
  }

  /**
   * Refuses authorization servers outside https (loopback excepted), then keeps the result for
   * the flow in progress: it is stored when the user is sent to the authorization server (for
   * the code exchange), and kept with the tokens it leads to. A discovery that leads nowhere
   * (the flow fails before either) is forgotten.
   */
  saveDiscoveryState(state: OAuthDiscoveryState): Promise<void> {
    return vetDiscoveryState(
      state,
      (result) => assertSafeDiscoveryState(result, this.serverUrl),
      async (result) => {
        this.#context.flow.discovery = result
      },
    )
  }

  /**
   * The discovery result for the SDK's `auth()` run that asks: the pending authorization's,
   * while the user has not come back; the one the stored tokens came from, when they are due
   * for renewal; otherwise none, so discovery runs afresh from the server's challenge (see the
   * package README, "Discovery and recovery").
   */
  discoveryState(): Promise<OAuthDiscoveryState | undefined> {
    return beginAuthRun(
      () => discoveryForNewRun(this.#context),
      (discovery) => {
        this.#context.flow = { discovery }
      },
    )
  }

  /**
   * Forgets what the SDK (or you) found invalid: `'all'` of it, or one kind of entry
   * (`'discovery'` and `'verifier'` also end the pending authorization).
   */
  async invalidateCredentials(scope: CredentialScope): Promise<void> {
    await this.#store.forget(scope)
    if (scope === 'all' || scope === 'discovery') this.#context.flow = {}
  }

  /**
   * The `client_credentials` grant for machine clients (the SDK's default code grant
   * otherwise), with the scope the SDK passes; without one, the scopes the server's metadata
   * lists, as the authorization code flow asks for.
   */
  async prepareTokenRequest(scope?: string): Promise<URLSearchParams | undefined> {
    if (!this.#settings.clientCredentials) return undefined
    const params = new URLSearchParams({ grant_type: 'client_credentials' })
    const requested =
      scope || this.#context.flow.discovery?.resourceMetadata?.scopes_supported?.join(' ')
    if (requested) params.set('scope', requested)
    this.#context.flow.scope = requested || undefined
    return params
  }

  /**
   * Starts an authorization without sending the user anywhere: runs discovery (and
   * registration if needed), records the pending authorization and returns its URL, for an app
   * that redirects the user itself, e.g. to grant the wider `scope` of an
   * `InsufficientScopeClientError`. The user comes back to `redirectUrl`: finish with
   * `finishAuthorization()`. `scope` defaults to what the server asks for.
   */
  authorizationUrl(options: { scope?: string } = {}): Promise<URL> {
    return authorizationUrlFor(this.#context, options)
  }

  /**
   * Finishes an authorization after the user came back to `redirectUrl`: checks that the
   * callback's `state` is the one this provider sent (a callback with another `state` is
   * refused and its code never used), then exchanges the code for tokens (with PKCE, the
   * `resource` parameter and the RFC 9207 `iss` check) through the SDK's `auth()`, with the
   * discovery result the authorization was started with. Pass the callback URL as received (so
   * its `iss` is checked), or its `code` and `state`.
   */
  finishAuthorization(callback: AuthorizationCallback): Promise<void> {
    return finishAuthorization(this.#context, callback)
  }

  /** Forgets everything stored for this server and principal (sign out). */
  async clear(): Promise<void> {
    await this.invalidateCredentials('all')
  }
}
