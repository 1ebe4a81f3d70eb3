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

/**
 * An auth provider that learns its server's URL from the server definition it is put in
 * (`@mcpkit/oauth`'s `MCPOAuthClientProvider`), so the definition's `url` is the only place it
 * is written. `MCPClient` calls `attachToServer` for each HTTP server definition when it is
 * constructed; it throws an `MCPClientError` when the provider belongs to another URL.
 */
export interface ServerAttachableAuthProvider {
  /** Binds the provider to the server `serverName`, reached at `url`. */
  attachToServer(server: { serverName: string; url: URL }): void
}

/**
 * Hands an HTTP server definition's `url` to its `authProvider` when the provider takes it
 * (`ServerAttachableAuthProvider`); does nothing for other definitions and providers.
 */
export function attachAuthProvider(serverName: string, definition: object): void {
  const { url, authProvider } = definition as { url?: unknown; authProvider?: unknown }
  if (url === undefined || authProvider === null || typeof authProvider !== 'object') return
  const attach = (authProvider as Partial<ServerAttachableAuthProvider>).attachToServer
  if (typeof attach !== 'function') return
  attach.call(authProvider, { serverName, url: new URL(url as string | URL) })
}

/** The `WWW-Authenticate` challenge of a 403 `insufficient_scope` answer (RFC 6750 §3.1). */
export interface ScopeChallenge {
  /** The scopes the request needs (`scope`), when the server named them. */
  requiredScope?: string | undefined
  /** The protected-resource metadata URL (`resource_metadata`), when given. */
  resourceMetadataUrl?: string | undefined
  /** `error_description`, when given. */
  errorDescription?: string | undefined
}

/**
 * What `MCPClient` hands to `@mcpkit/oauth` when a server answered a request 403
 * `insufficient_scope` (its transport passes such answers up when the `authProvider` says
 * `onInsufficientScope: 'throw'`). `stepUpServer()` resolves once the provider holds a token
 * with the wider scope (the request is then sent once more), or rejects, typically with an
 * `InsufficientScopeClientError`.
 */
export interface ScopeStepUpRequest {
  /** The server's key in `servers`; named in every error. */
  serverName: string
  /** Its definition, with the `authProvider` to widen. */
  definition: HttpServerDefinition
  /** What the server's 403 said. */
  challenge: ScopeChallenge
  /** The server's log. */
  log: (level: LoggingLevel, message: string) => void
}
