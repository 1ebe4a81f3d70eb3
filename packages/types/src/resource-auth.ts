/**
 * The contract between an MCP server and whatever protects it with OAuth (`@mcpkit/oauth`'s
 * `createProtectedResource()`), so the server needs no OAuth library: it hands requests over and
 * acts on the answer. Web-standard `Request`/`Response`, so it runs on Node, Bun, Deno and workers.
 */

/**
 * The verified credentials of a request. Structurally the MCP SDK's `AuthInfo`, which tools
 * receive as `extra.authInfo`.
 */
export interface ResourceAuthInfo {
  /** The access token as the client sent it. */
  token: string
  /** The OAuth client the token was issued to. */
  clientId: string
  /** Scopes the token grants. */
  scopes: string[]
  /** Expiry, in seconds since the epoch. */
  expiresAt?: number
  /** The resource (RFC 8707) the token was issued for: this server. */
  resource?: URL
  /** Everything else the verifier learned; `sub` is the principal that sessions are bound to. */
  extra?: Record<string, unknown>
}

/** Why a tool call is refused inside the server: the scopes it needs and a message saying so. */
export interface ResourceAuthDenial {
  /** Sent to the client as the JSON-RPC error's message. */
  message: string
  /** Every scope the call needs (the client asks the user for these). */
  requiredScopes: string[]
}

/**
 * An OAuth-protected resource, as `MCPServer`'s `auth` option takes it. `authenticate` runs on
 * every HTTP request before any session sees it; `authorizeToolCall` runs again inside the
 * server for each tool call, whatever path the call took.
 */
export interface ResourceAuth {
  /** Path of the RFC 9728 metadata document, e.g. `/.well-known/oauth-protected-resource/mcp`. */
  readonly metadataPath: string
  /** Answers a request for the metadata document (GET, HEAD and CORS preflight). */
  metadataResponse(request: Request): Response | Promise<Response>
  /**
   * Verifies a request's bearer token and checks its scopes: the required scopes for any
   * request, and for a POST the scopes of the tools its JSON-RPC `body` calls. Resolves with the
   * verified credentials, or with the answer to send instead (401 or 403 with
   * `WWW-Authenticate`). Never rejects for a bad token.
   */
  authenticate(request: Request, body?: unknown): Promise<ResourceAuthInfo | Response>
  /**
   * The checks of a POST's parsed body for credentials `authenticate(request)` (called without
   * a body, from the headers alone, before the body is read) already verified: the scopes of
   * the tools it calls. `undefined` to go on, or the answer (403 with `WWW-Authenticate`).
   * Optional: without it the server calls `authenticate(request, body)` again once the body is
   * read.
   */
  authorizeBody?(
    request: Request,
    body: unknown,
    authInfo: ResourceAuthInfo,
  ): Response | undefined | Promise<Response | undefined>
  /** A refusal when `authInfo` may not call `toolName` (missing scopes, or no credentials). */
  authorizeToolCall(request: {
    toolName: string
    authInfo: ResourceAuthInfo | undefined
  }): ResourceAuthDenial | undefined
}
