import type {
  AddClientAuthentication,
  FetchLike,
  OAuthClientMetadata,
  StoredOAuthClientInformation,
} from '@modelcontextprotocol/client'
import type { OAuthStorage } from './oauth-storage.js'

/** RFC 7591 client metadata, extension fields (e.g. OpenID's `application_type`) allowed. */
export type ClientMetadata = OAuthClientMetadata & { [field: string]: unknown }

/** Options of `new MCPOAuthClientProvider()`: authorization code with PKCE, for users. */
export interface MCPOAuthClientProviderOptions {
  /**
   * The MCP server this provider authorizes against (the protected resource). Every storage key
   * includes it. Leave it out when the provider goes in a server definition: `MCPClient` gives
   * it the definition's `url`. Give it when the provider is used on its own (a callback route
   * calling `finishAuthorization()`, `tokens()` outside a client); it must then equal the
   * definition's `url` wherever the provider is also used.
   */
  serverUrl?: string | URL
  /** Where the authorization server sends the browser back with the code. */
  redirectUrl: string | URL
  /**
   * Metadata for dynamic client registration (RFC 7591; extension fields such as OpenID's
   * `application_type` are sent as given). Default: a public client
   * (`token_endpoint_auth_method: 'none'`) named `mcpkit` with `redirect_uris: [redirectUrl]`.
   * Either is completed as the SDK registers clients, fields you set kept as they are:
   * `grant_types` authorization code and refresh token, `application_type` `'native'` for
   * loopback or custom-scheme redirect URIs (RFC 8252), `'web'` otherwise.
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
   * `client_secret` for a confidential client). Add `issuer` (the authorization server's
   * issuer identifier) so these credentials are never presented to another one.
   */
  clientInformation?: StoredOAuthClientInformation
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
  /**
   * The MCP server this provider authorizes against. Every storage key includes it. Leave it
   * out when the provider goes in a server definition (`MCPClient` gives it the `url`).
   */
  serverUrl?: string | URL
  clientId: string
  /** The client secret (`client_secret_basic` or `_post`, as the server supports). */
  clientSecret?: string
  /** The scope to request; the server's `WWW-Authenticate` or metadata scope wins. */
  scope?: string
  /**
   * The authorization server's issuer identifier. When set, the credentials are sent to no
   * other authorization server, whatever the MCP server's metadata says. Recommended.
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
