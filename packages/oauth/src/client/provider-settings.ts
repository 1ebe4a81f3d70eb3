import { MCPClientError } from '@mcpkit/types'
import {
  type AddClientAuthentication,
  type FetchLike,
  resolveClientMetadata,
  type StoredOAuthClientInformation,
} from '@modelcontextprotocol/client'
import { canonicalUrl } from '../shared/canonical-url.js'
import { MemoryOAuthStorage, type OAuthStorage } from './oauth-storage.js'
import type {
  ClientCredentialsProviderOptions,
  ClientMetadata,
  MCPOAuthClientProviderOptions,
} from './provider-options.js'

const DEFAULT_PRINCIPAL = 'default'
const DEFAULT_REFRESH_BEFORE_EXPIRY_MS = 60_000

/** A provider's options, checked and completed with their defaults. */
export interface ProviderSettings {
  /**
   * Canonical (see `canonicalUrl`); `undefined` until the provider is attached to a server
   * definition, when the options had none.
   */
  serverUrl: string | undefined
  principal: string
  storage: OAuthStorage
  redirectUrl: string | undefined
  clientMetadata: ClientMetadata
  onRedirectToAuthorization: ((authorizationUrl: URL) => void | Promise<void>) | undefined
  clientInformation: StoredOAuthClientInformation | undefined
  clientMetadataUrl: string | undefined
  refreshBeforeExpiry: number
  fetch: FetchLike | undefined
  addClientAuthentication: AddClientAuthentication | undefined
  clientCredentials: boolean
}

/**
 * Checks the options of `new MCPOAuthClientProvider()` (either grant) and fills in the
 * defaults. Throws `MCPClientError` code `INVALID_CONFIGURATION` naming the option at fault.
 */
export function providerSettings(
  options: MCPOAuthClientProviderOptions | ClientCredentialsProviderOptions,
): ProviderSettings {
  if (options === null || typeof options !== 'object') {
    throw invalidOption('options must be an object with `redirectUrl`.')
  }
  return 'grantType' in options && options.grantType === 'client_credentials'
    ? clientCredentialsSettings(options)
    : authorizationCodeSettings(options as MCPOAuthClientProviderOptions)
}

function authorizationCodeSettings(options: MCPOAuthClientProviderOptions): ProviderSettings {
  const redirectUrl = parseUrl(options.redirectUrl, 'redirectUrl')
  // Completed as the SDK completes the registration document (grant_types, application_type),
  // so the user sees the document that is actually registered. The provider renews tokens, so
  // it wants refresh tokens: `refresh_token` in grant_types is also what makes the SDK ask for
  // `offline_access` when the authorization server offers it (SEP-2207).
  const clientMetadata: ClientMetadata = resolveClientMetadata({
    redirectUrl,
    clientMetadata: options.clientMetadata
      ? { ...options.clientMetadata }
      : {
          client_name: 'mcpkit',
          redirect_uris: [redirectUrl],
          response_types: ['code'],
          token_endpoint_auth_method: 'none',
        },
  })
  const registered = (clientMetadata.redirect_uris ?? []).map(parsedOrAsGiven)
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
  const clientInformation: StoredOAuthClientInformation = { client_id: options.clientId }
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

type BaseSettings = Pick<
  ProviderSettings,
  | 'serverUrl'
  | 'principal'
  | 'storage'
  | 'refreshBeforeExpiry'
  | 'fetch'
  | 'addClientAuthentication'
>

function baseSettings(options: {
  serverUrl?: string | URL | undefined
  storage?: OAuthStorage
  principal?: string
  refreshBeforeExpiry?: number
  fetch?: FetchLike
  addClientAuthentication?: AddClientAuthentication
}): BaseSettings {
  const serverUrl =
    options.serverUrl === undefined
      ? undefined
      : canonicalUrl(parseUrl(options.serverUrl, 'serverUrl'))
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

/** `value` as an absolute URL's `href`; `INVALID_CONFIGURATION` naming `name` otherwise. */
function parseUrl(value: string | URL, name: string): string {
  try {
    return new URL(value).href
  } catch {
    throw invalidOption(
      `\`${name}\` must be an absolute URL; got ${JSON.stringify(String(value))}.`,
    )
  }
}

function parsedOrAsGiven(value: string): string {
  try {
    return new URL(value).href
  } catch {
    return value
  }
}

/** A provider option that cannot work (code `INVALID_CONFIGURATION`, as for client options). */
export function invalidOption(message: string): MCPClientError {
  return new MCPClientError('INVALID_CONFIGURATION', `MCPOAuthClientProvider: ${message}`)
}
