import { MCPClientError } from '@mcpkit/types'
import type { OAuthDiscoveryState } from '@modelcontextprotocol/client'
import { isLoopbackHost } from '../shared/canonical-url.js'

/**
 * Whether an authorization server may be reached at `value`: the MCP authorization spec wants
 * every authorization server endpoint on https; plain http is accepted only on loopback, for
 * development and tests.
 */
function isAcceptableAuthorizationServerUrl(value: string): boolean {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return false
  }
  if (url.protocol === 'https:') return true
  return url.protocol === 'http:' && isLoopbackHost(url.hostname)
}

/**
 * Refuses a discovery result that would send the user, the client's credentials or the PKCE
 * verifier to an authorization server that is not on https (outside loopback). Run from
 * `saveDiscoveryState()` through `vetDiscoveryState()` (see `sdk-contract.ts`), so throwing
 * stops the flow before anything is sent.
 */
export function assertSafeDiscoveryState(state: OAuthDiscoveryState, serverUrl: string): void {
  const where = `the OAuth discovery for MCP server ${serverUrl}`
  const refuse = (what: string, value: string) =>
    new MCPClientError(
      'UNAUTHORIZED',
      `${where} found ${what} ${JSON.stringify(value)}, which is not an https URL. The MCP authorization spec requires https for authorization servers (plain http is accepted only for localhost and 127.0.0.1). Fix the authorization server's metadata or the resource's authorization_servers.`,
    )
  if (!isAcceptableAuthorizationServerUrl(state.authorizationServerUrl)) {
    throw refuse('the authorization server', state.authorizationServerUrl)
  }
  const metadata = state.authorizationServerMetadata
  if (!metadata) return
  const metadataUrl = `the metadata of authorization server ${state.authorizationServerUrl}`
  if (typeof metadata.issuer !== 'string' || !isAcceptableAuthorizationServerUrl(metadata.issuer)) {
    throw refuse(`the issuer in ${metadataUrl}:`, String(metadata.issuer))
  }
  const endpoints = {
    authorization_endpoint: metadata.authorization_endpoint,
    token_endpoint: metadata.token_endpoint,
    registration_endpoint: metadata.registration_endpoint,
  }
  for (const [name, value] of Object.entries(endpoints)) {
    if (value !== undefined && !isAcceptableAuthorizationServerUrl(value)) {
      throw refuse(`${name} in ${metadataUrl}:`, value)
    }
  }
}
