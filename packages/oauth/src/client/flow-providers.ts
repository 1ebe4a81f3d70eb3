import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/client'
import { callbackDiscovery, recordPendingAuthorization } from './discovery-record.js'
import { providerContextOf } from './provider-context.js'
import { randomToken } from './random-token.js'

/** The two legs of one authorization, as the SDK's `auth()` sees the provider in each. */
export interface FlowProviders {
  /**
   * Starting it: discovery always runs afresh (from the challenge's `resource_metadata` the
   * caller passes to `auth()`), the authorization URL goes to `onAuthorizationUrl`, and a
   * `state` goes on every request (the provider's own, or a random one).
   */
  start: OAuthClientProvider
  /** Exchanging its code: with the discovery result it was started with. */
  exchange: OAuthClientProvider
}

/**
 * The provider as `auth()` sees it during an authorization this package drives (the loopback
 * flow of `MCPClient.authenticate()`, `authorizationUrl()`, `finishAuthorization()`), with
 * `redirectUrl` replaced when given. For an `MCPOAuthClientProvider`, the pending
 * authorization is recorded before the URL is handed out, and the exchange uses it. Another
 * provider keeps its discovery result itself, or, if it keeps none, gets one for the length of
 * the flow, so the SDK can check on the code exchange that the code goes to the authorization
 * server the user was sent to (SEP-2352). Everything else is the provider's own, called on the
 * provider itself.
 */
export function flowProviders(
  provider: OAuthClientProvider,
  overrides: { redirectUrl?: string; onAuthorizationUrl?: (url: URL) => Promise<void> },
): FlowProviders {
  const context = providerContextOf(provider)
  const state = async () => (provider.state ? provider.state() : randomToken())
  const keepsDiscovery =
    provider.discoveryState !== undefined || provider.saveDiscoveryState !== undefined
  let remembered: OAuthDiscoveryState | undefined
  const saveDiscoveryState = (saved: OAuthDiscoveryState) => {
    remembered = saved
  }
  const onAuthorizationUrl = async (url: URL) => {
    if (context) await recordPendingAuthorization(context, url)
    if (overrides.onAuthorizationUrl) await overrides.onAuthorizationUrl(url)
    else await provider.redirectToAuthorization(url)
  }

  const view = (members: Partial<Record<keyof OAuthClientProvider, unknown>>) =>
    new Proxy(provider, {
      get(target, key) {
        if (key === 'redirectUrl' && overrides.redirectUrl !== undefined) {
          return overrides.redirectUrl
        }
        if (key === 'state') return state
        if (Object.hasOwn(members, key)) return members[key as keyof OAuthClientProvider]
        const value = Reflect.get(target, key, target) as unknown
        return typeof value === 'function' ? value.bind(target) : value
      },
    })

  const start = view({
    redirectToAuthorization: onAuthorizationUrl,
    discoveryState: () => {
      if (context) context.flow = {}
      return undefined
    },
    ...(keepsDiscovery ? {} : { saveDiscoveryState }),
  })
  const exchange = view({
    redirectToAuthorization: onAuthorizationUrl,
    discoveryState: context
      ? async () => {
          const discovery = await callbackDiscovery(context.store)
          context.flow = { discovery }
          return discovery
        }
      : keepsDiscovery
        ? () => provider.discoveryState?.()
        : () => remembered,
    ...(keepsDiscovery ? {} : { saveDiscoveryState }),
  })
  return { start, exchange }
}
