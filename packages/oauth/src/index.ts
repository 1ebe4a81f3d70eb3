// ── client: OAuth client providers for MCPClient ──
export type { AuthorizationCallback } from './client/authorization-callback.js'
export { authorizeServer } from './client/authorize-server.js'
export { MCPOAuthClientProvider } from './client/oauth-client-provider.js'
export {
  MemoryOAuthStorage,
  type OAuthStorage,
  type OAuthStorageContext,
  type OAuthStorageEntry,
  oauthStorageKey,
} from './client/oauth-storage.js'
export type {
  ClientCredentialsOptions,
  ClientCredentialsProviderOptions,
  ClientMetadata,
  MCPOAuthClientProviderOptions,
} from './client/provider-options.js'
export {
  createSimpleTokenProvider,
  type SimpleTokenProviderOptions,
} from './client/simple-token-provider.js'
export { stepUpServer } from './client/step-up.js'
// ── end client ──

// ── server: protected resource (RFC 9728 metadata, bearer verification, scopes) ──
export {
  type IntrospectionVerifierOptions,
  introspectionVerifier,
} from './server/introspection-verifier.js'
export {
  DEFAULT_JWT_ALGORITHMS,
  type JwtVerifierOptions,
  jwtVerifier,
} from './server/jwt-verifier.js'
export {
  InsufficientScopeError,
  InvalidTokenError,
  TemporarilyUnavailableError,
} from './server/oauth-errors.js'
export {
  createProtectedResource,
  ProtectedResource,
  type ProtectedResourceOptions,
} from './server/protected-resource.js'
export type { ProtectedResourceMetadata } from './server/resource-metadata.js'
export {
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  type SdkTokenVerifier,
  type TokenVerificationContext,
  type TokenVerifier,
} from './server/token-verifier.js'
// ── end server ──
