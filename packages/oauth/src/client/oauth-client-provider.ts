import { MCPClientError } from '@mcpkit/types'
import type {
  AddClientAuthentication,
  OAuthClientInformationContext,
  OAuthClientProvider,
  OAuthDiscoveryState,
  StoredOAuthClientInformation,
  StoredOAuthTokens,
} from '@modelcontextprotocol/client'
import { vetDiscoveryState } from '../sdk-contract.js'
import { sameUrlUpToTrailingSlash } from '../shared/canonical-url.js'
import { type AuthorizationCallback, finishAuthorization } from './authorization-callback.js'
import { assertSafeDiscoveryState } from './discovery-check.js'
import type { ProviderContext } from './provider-context.js'
import type {
  ClientCredentialsOptions,
  ClientCredentialsProviderOptions,
  ClientMetadata,
  MCPOAuthClientProviderOptions,
} from './provider-options.js'
import { type ProviderSettings, providerSettings } from './provider-settings.js'
import { type CredentialScope, ProviderStore } from './provider-store.js'
import { randomToken } from './random-token.js'
import { currentTokens, storeTokens } from './token-renewal.js'

/**
 * An SDK `OAuthClientProvider` for one MCP server and one principal. The SDK's `auth()` and
 * its transports do the protocol (discovery from `WWW-Authenticate` and RFC 9728 metadata,
 * RFC 8414 / OpenID discovery, registration, PKCE S256, the RFC 8707 `resource` parameter,
 * retry on 401, scope step-up on 403, the `issuer` binding of credentials); this provider
 * supplies what they need, keeps it in an `OAuthStorage` under keys of this server and
 * principal, refreshes access tokens before they expire, and refuses authorization servers
 * that are not on https.
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
  readonly #store: ProviderStore
  readonly #context: ProviderContext

  constructor(options: MCPOAuthClientProviderOptions | ClientCredentialsProviderOptions) {
    const settings = providerSettings(options)
    this.#settings = settings
    this.#store = new ProviderStore(settings)
    this.#context = { settings, store: this.#store, provider: this }
    this.serverUrl = settings.serverUrl
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
   * The client to present to the authorization server `context.issuer`: the stored copy of
   * the configured client (stamped with its issuer by the SDK) while it is the same client,
   * else the configured one, else a registration that has not expired. A `clientCredentials()`
   * provider whose `expectedIssuer` is not `context.issuer` refuses: its secret is sent to no
   * other authorization server, and a machine client cannot register itself elsewhere.
   */
  async clientInformation(
    context?: OAuthClientInformationContext,
  ): Promise<StoredOAuthClientInformation | undefined> {
    const configured = this.#settings.clientInformation
    const stored = await this.#store.getJson<StoredOAuthClientInformation>('client-information')
    if (configured) {
      const expected = configured.issuer
      if (
        this.#settings.clientCredentials &&
        expected !== undefined &&
        context !== undefined &&
        !sameUrlUpToTrailingSlash(expected, context.issuer)
      ) {
        throw new MCPClientError(
          'UNAUTHORIZED',
          `MCP server ${this.serverUrl} sends its clients to authorization server ${context.issuer}, but this client_credentials provider expects ${expected}: its secret was not sent. Fix expectedIssuer, or the server's authorization_servers.`,
        )
      }
      const sameClient =
        stored?.client_id === configured.client_id &&
        stored.client_secret === configured.client_secret
      return sameClient ? stored : configured
    }
    if (!stored) return undefined
    // A registered secret that expired is useless: registering again is the way out.
    const expiresAt = (stored as { client_secret_expires_at?: number }).client_secret_expires_at
    if (expiresAt && expiresAt * 1000 <= Date.now()) return undefined
    return stored
  }

  /** Stores the client verbatim, the SDK's `issuer` stamp included. */
  async saveClientInformation(clientInformation: StoredOAuthClientInformation): Promise<void> {
    await this.#store.setJson('client-information', clientInformation)
  }

  /**
   * The stored tokens (the SDK's `issuer` stamp included), or `undefined`. An access token
   * that expires within `refreshBeforeExpiry` is renewed first (refresh token, or a new
   * `client_credentials` token), once even when several providers share the storage; an
   * expired one is never returned.
   */
  tokens(): Promise<StoredOAuthTokens | undefined> {
    return currentTokens(this.#context)
  }

  /** Stores the tokens verbatim (the SDK's `issuer` stamp included) with their expiry time. */
  async saveTokens(tokens: StoredOAuthTokens): Promise<void> {
    await storeTokens(this.#store, tokens)
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

  /** Hands the authorization URL to `onRedirectToAuthorization`, or fails naming it. */
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
   * Refuses authorization servers outside https (loopback excepted), then stores the result,
   * verbatim, as durably as the code verifier: the SDK checks on the callback leg that the
   * code goes to the authorization server the user was sent to.
   */
  saveDiscoveryState(state: OAuthDiscoveryState): Promise<void> {
    return vetDiscoveryState(
      state,
      (result) => assertSafeDiscoveryState(result, this.serverUrl),
      (result) => this.#store.setJson('discovery', result),
    )
  }

  /** The discovery result saved last (the SDK then skips discovery). */
  discoveryState(): Promise<OAuthDiscoveryState | undefined> {
    return this.#store.getJson<OAuthDiscoveryState>('discovery')
  }

  /** Forgets what the SDK (or you) found invalid: `'all'` of it, or one kind of entry. */
  async invalidateCredentials(scope: CredentialScope): Promise<void> {
    await this.#store.forget(scope)
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
      scope || (await this.discoveryState())?.resourceMetadata?.scopes_supported?.join(' ')
    if (requested) params.set('scope', requested)
    return params
  }

  /**
   * Finishes an authorization after the user came back to `redirectUrl`: checks that the
   * callback's `state` is the one this provider sent (a callback with another `state` is
   * refused and its code never used), then exchanges the code for tokens (with PKCE, the
   * `resource` parameter and the RFC 9207 `iss` check) through the SDK's `auth()`. Pass the
   * callback URL as received (so its `iss` is checked), or its `code` and `state`.
   */
  finishAuthorization(callback: AuthorizationCallback): Promise<void> {
    return finishAuthorization(this.#context, callback)
  }

  /** Forgets everything stored for this server and principal (sign out). */
  clear(): Promise<void> {
    return this.invalidateCredentials('all')
  }
}
