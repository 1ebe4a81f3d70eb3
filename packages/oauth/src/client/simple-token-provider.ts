import { MCPClientError } from '@mcpkit/types'
import type {
  OAuthClientMetadata,
  OAuthClientProvider,
  OAuthTokens,
  StoredOAuthClientInformation,
} from '@modelcontextprotocol/client'
import { refusingDiscoveryState } from '../sdk-contract.js'

/** Options of `createSimpleTokenProvider()`. */
export interface SimpleTokenProviderOptions {
  /** Accepted for `@mastra/mcp` compatibility; a static token never redirects. */
  redirectUrl?: string | URL
  /** Accepted for `@mastra/mcp` compatibility; a static token never registers. */
  clientMetadata?: OAuthClientMetadata
  /** The token type sent in `Authorization`. Default `'Bearer'`. */
  tokenType?: string
  /** Named in the error when the server refuses the token (e.g. the MCP server's URL). */
  label?: string
}

const staticTokenProviders = new WeakSet<object>()

/** Whether `provider` was made by `createSimpleTokenProvider()`. */
export function isStaticTokenProvider(provider: object): boolean {
  return staticTokenProviders.has(provider)
}

/**
 * An auth provider for an access token you already have (from your own login, a vault, an
 * environment variable). Every request carries it. When the server refuses it with 401 the call
 * fails with `MCPClientError` code `UNAUTHORIZED`, with 403 `insufficient_scope` (through
 * `MCPClient`) with `InsufficientScopeClientError` (code `INSUFFICIENT_SCOPE`, the scope it
 * lacks in `requiredScope`): there is no discovery, registration or redirect, because a static
 * token cannot be refreshed or widened.
 */
export function createSimpleTokenProvider(
  token: string,
  options: SimpleTokenProviderOptions = {},
): OAuthClientProvider & { readonly onInsufficientScope: 'throw' } {
  if (typeof token !== 'string' || token === '') {
    throw new MCPClientError(
      'INVALID_CONFIGURATION',
      'createSimpleTokenProvider(token): the token must be a non-empty string.',
    )
  }
  const tokens: OAuthTokens = { access_token: token, token_type: options.tokenType ?? 'Bearer' }
  const redirectUrl = options.redirectUrl === undefined ? undefined : String(options.redirectUrl)
  const clientMetadata: OAuthClientMetadata = options.clientMetadata ?? {
    client_name: 'mcpkit',
    redirect_uris: redirectUrl ? [redirectUrl] : [],
  }
  const refused = () =>
    new MCPClientError(
      'UNAUTHORIZED',
      `The server refused the access token given to createSimpleTokenProvider${options.label ? ` for ${options.label}` : ''} (HTTP 401, or 403 insufficient_scope): it is invalid, expired, for another server, or lacks a scope. A static token cannot be refreshed; supply a new one, or use MCPOAuthClientProvider.`,
    )
  const provider = {
    get redirectUrl() {
      return redirectUrl
    },
    // A 403 goes up to MCPClient, which reports the missing scope without any OAuth flow.
    onInsufficientScope: 'throw' as const,
    get clientMetadata() {
      return clientMetadata
    },
    tokens: () => tokens,
    // Whether the transport runs `auth()` for a 401 or a 403, it fails here, before any
    // discovery, registration or redirect.
    ...refusingDiscoveryState(refused),
    clientInformation: (): StoredOAuthClientInformation | undefined => undefined,
    saveTokens: () => {
      throw refused()
    },
    redirectToAuthorization: () => {
      throw refused()
    },
    saveCodeVerifier: () => {
      throw refused()
    },
    codeVerifier: () => {
      throw refused()
    },
  }
  staticTokenProviders.add(provider)
  return provider
}
