import { MCPClientError } from '@mcpkit/types'
import { auth } from '@modelcontextprotocol/client'
import { describeAuthFailure, trackingFetch } from './auth-failure.js'
import { flowProviders } from './flow-providers.js'
import type { ProviderContext } from './provider-context.js'
import { unattached } from './provider-store.js'
import { probeServerChallenge } from './server-challenge.js'

/**
 * `MCPOAuthClientProvider.authorizationUrl()`: the server's challenge first (for its
 * `resource_metadata`, and its scope when none is given), then the SDK's `auth()` with fresh
 * discovery and no refresh, the authorization URL captured instead of handed to the hook. The
 * pending authorization is recorded as for any redirect.
 */
export async function authorizationUrlFor(
  context: ProviderContext,
  options: { scope?: string },
): Promise<URL> {
  const { settings, provider } = context
  const serverUrl = settings.serverUrl
  if (serverUrl === undefined) throw unattached()
  if (settings.clientCredentials) {
    throw new MCPClientError(
      'INVALID_CONFIGURATION',
      `authorizationUrl(): a client_credentials provider (MCP server ${serverUrl}) has no user to send anywhere.`,
    )
  }
  const tracking = trackingFetch(settings.fetch)
  let authorizationUrl: URL | undefined
  const { start } = flowProviders(provider, {
    onAuthorizationUrl: async (url) => {
      authorizationUrl = url
    },
  })
  try {
    const challenge = await probeServerChallenge(new URL(serverUrl), tracking.fetch)
    const scope = options.scope ?? challenge.scope
    await auth(start, {
      serverUrl,
      fetchFn: tracking.fetch,
      forceReauthorization: true,
      ...(scope ? { scope } : {}),
      ...(challenge.resourceMetadataUrl
        ? { resourceMetadataUrl: challenge.resourceMetadataUrl }
        : {}),
    })
  } catch (cause) {
    throw describeAuthFailure(cause, {
      subject: `Starting an authorization for MCP server ${serverUrl}`,
      lastUrl: tracking.lastUrl(),
    })
  }
  if (!authorizationUrl) {
    throw new MCPClientError(
      'UNAUTHORIZED',
      `Starting an authorization for MCP server ${serverUrl} produced no authorization URL.`,
    )
  }
  return authorizationUrl
}
