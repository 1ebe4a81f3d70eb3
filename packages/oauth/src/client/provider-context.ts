import type { OAuthClientProvider } from '@modelcontextprotocol/client'
import type { ProviderSettings } from './provider-settings.js'
import type { ProviderStore } from './provider-store.js'

/**
 * What the parts of `MCPOAuthClientProvider` (token renewal, the authorization callback) work
 * with: its settings, its storage, and the provider itself, as the SDK's `auth()` takes it.
 */
export interface ProviderContext {
  settings: ProviderSettings
  store: ProviderStore
  provider: OAuthClientProvider
}
