import type { LoggingLevel } from './logging.js'
import type { HttpServerDefinition } from './server-definition.js'

/** Options of `MCPClient.authenticate()`. */
export interface AuthenticateOptions {
  /**
   * Milliseconds for the whole authorization, the user's login included. Default `300000`
   * (5 minutes); then it fails with `REQUEST_TIMEOUT`.
   */
  timeout?: number
  /** Abandons the authorization (it fails with `ABORTED`); the loopback server is closed. */
  signal?: AbortSignal
  /** The scope to request; default: what the server asks for, then `clientMetadata.scope`. */
  scope?: string
  /**
   * Run the browser authorization even when the provider has tokens: to sign in as someone
   * else, or to get a wider `scope` (a refresh token cannot widen it). Default `false`: a
   * provider that has an access token is left as it is.
   */
  force?: boolean
  /**
   * Receives the authorization URL: open the browser, or print it. Default: the provider's
   * own `redirectToAuthorization` (for `MCPOAuthClientProvider`, its `onRedirectToAuthorization`).
   */
  onAuthorizationUrl?: (authorizationUrl: URL) => void | Promise<void>
}

/**
 * What `MCPClient.authenticate()` hands to `@mcpkit/oauth`, which runs the authorization: the
 * contract between the two packages, so that the client holds no OAuth code.
 */
export interface ServerAuthorizationRequest {
  /** The server's key in `servers`; named in every error. */
  serverName: string
  /** Its definition, with the `authProvider` to authorize. */
  definition: HttpServerDefinition
  options: AuthenticateOptions
  log: (level: LoggingLevel, message: string) => void
}
