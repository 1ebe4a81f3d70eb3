// ── client: OAuth client providers for MCPClient ──
export {
  type AuthorizationCallback,
  type ClientCredentialsOptions,
  type ClientCredentialsProviderOptions,
  type ClientMetadata,
  MCPOAuthClientProvider,
  type MCPOAuthClientProviderOptions,
} from './client/oauth-client-provider.js'
export {
  MemoryOAuthStorage,
  type OAuthStorage,
  type OAuthStorageEntry,
  oauthStorageKey,
} from './client/oauth-storage.js'
export {
  createSimpleTokenProvider,
  type SimpleTokenProviderOptions,
} from './client/simple-token-provider.js'
// ── end client ──

// ── server: protected resource (RFC 9728 metadata, bearer verification, scopes) ──
export {
  InsufficientScopeError,
  InvalidTokenError,
  TemporarilyUnavailableError,
} from '@modelcontextprotocol/sdk/server/auth/errors.js'
export {
  type IntrospectionVerifierOptions,
  introspectionVerifier,
} from './server/introspection-verifier.js'
export {
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  DEFAULT_JWT_ALGORITHMS,
  type JwtVerifierOptions,
  jwtVerifier,
} from './server/jwt-verifier.js'
export {
  createProtectedResource,
  ProtectedResource,
  type ProtectedResourceMetadata,
  type ProtectedResourceOptions,
} from './server/protected-resource.js'
export type {
  SdkTokenVerifier,
  TokenVerificationContext,
  TokenVerifier,
} from './server/token-verifier.js'
// ── end server ──
