import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/client'
import { randomToken } from './random-token.js'

/**
 * The provider as the SDK's `auth()` sees it during a loopback authorization: the loopback
 * redirect URL (with its real port), a `state` on every request (the provider's own, or a
 * random one), and the authorization URL handed to `onAuthorizationUrl`. A provider that keeps
 * no discovery state gets one for the length of the flow, so the SDK can check on the code
 * exchange that the code goes to the authorization server the user was sent to (SEP-2352).
 * Everything else is the provider's own, called on the provider itself.
 */
export function loopbackFlowProvider(
  provider: OAuthClientProvider,
  overrides: { redirectUrl: string; onAuthorizationUrl: (url: URL) => Promise<void> },
): OAuthClientProvider {
  const state = async () => (provider.state ? provider.state() : randomToken())
  const keepsDiscovery =
    provider.discoveryState !== undefined || provider.saveDiscoveryState !== undefined
  let discovery: OAuthDiscoveryState | undefined
  const flowDiscovery: Pick<OAuthClientProvider, 'discoveryState' | 'saveDiscoveryState'> = {
    discoveryState: () => discovery,
    saveDiscoveryState: (saved) => {
      discovery = saved
    },
  }
  return new Proxy(provider, {
    get(target, key) {
      if (key === 'redirectUrl') return overrides.redirectUrl
      if (key === 'state') return state
      if (key === 'redirectToAuthorization') return overrides.onAuthorizationUrl
      if (!keepsDiscovery && (key === 'discoveryState' || key === 'saveDiscoveryState')) {
        return flowDiscovery[key]
      }
      const value = Reflect.get(target, key, target) as unknown
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
