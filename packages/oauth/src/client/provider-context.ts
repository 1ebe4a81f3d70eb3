import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/client'
import type { ProviderSettings } from './provider-settings.js'
import type { ProviderStore } from './provider-store.js'

/**
 * What one run of the SDK's `auth()` (or of this package's own flows) has seen so far, kept in
 * memory only: the discovery result it works with, and the scope it asked for. A flow that
 * fails leaves nothing of this in storage; one that yields tokens stores both with them.
 */
export interface FlowState {
  discovery?: OAuthDiscoveryState | undefined
  scope?: string | undefined
}

/**
 * What the parts of `MCPOAuthClientProvider` (token renewal, the authorization callback, the
 * loopback and step-up flows) work with: its settings, its storage, the provider itself, as the
 * SDK's `auth()` takes it, and the flow in progress.
 */
export interface ProviderContext {
  settings: ProviderSettings
  store: ProviderStore
  provider: OAuthClientProvider
  flow: FlowState
}

const contexts = new WeakMap<object, ProviderContext>()

/** Makes `context` reachable from its provider for this package's flows (not a public API). */
export function registerProviderContext(provider: object, context: ProviderContext): void {
  contexts.set(provider, context)
}

/** The context of an `MCPOAuthClientProvider`; `undefined` for any other provider. */
export function providerContextOf(provider: unknown): ProviderContext | undefined {
  return provider !== null && typeof provider === 'object' ? contexts.get(provider) : undefined
}
