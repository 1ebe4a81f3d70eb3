// The public API of @mcpkit/oauth: every runtime export, by name. A name that disappears here
// is a breaking change and needs a changeset saying so.
import { describe, expect, it } from 'vitest'
import * as oauth from './index.js'

describe('@mcpkit/oauth exports', () => {
  it('exports the client, the loopback and step-up flows and the server API', () => {
    expect(Object.keys(oauth).sort()).toEqual([
      'DEFAULT_CLOCK_TOLERANCE_SECONDS',
      'DEFAULT_JWT_ALGORITHMS',
      'InsufficientScopeError',
      'InvalidTokenError',
      'MCPOAuthClientProvider',
      'MemoryOAuthStorage',
      'ProtectedResource',
      'TemporarilyUnavailableError',
      'authorizeServer',
      'createProtectedResource',
      'createSimpleTokenProvider',
      'introspectionVerifier',
      'jwtVerifier',
      'oauthStorageKey',
      'stepUpServer',
    ])
  })
})
