/**
 * Stable error codes. Match on `error.code`, never on the message text: messages may be
 * reworded, codes are part of the public API.
 */
export type MCPErrorCode =
  /** A server definition is malformed (both/neither of `command` and `url`, a bad URL, …). */
  | 'INVALID_DEFINITION'
  /**
   * A configuration is malformed or unusable for the call: an `MCPServer` agent without a
   * description, a bad tool, `MCPClient.authenticate()` on a server without an OAuth provider, …
   */
  | 'INVALID_CONFIGURATION'
  /** A server name that is not in `servers`; the message lists the configured names. */
  | 'SERVER_NOT_FOUND'
  /** A second live `MCPClient` with the same configuration and no `id`. */
  | 'DUPLICATE_INSTANCE'
  /** The stdio command could not be started (not found, not executable). */
  | 'COMMAND_NOT_FOUND'
  /** The server could not be reached or refused the handshake. */
  | 'CONNECTION_FAILED'
  /**
   * The server refused our credentials (HTTP 401, or 403 `insufficient_scope`) and the auth
   * provider could not obtain better ones (for OAuth: the user must authorize first).
   */
  | 'UNAUTHORIZED'
  /**
   * The server answered 403 `insufficient_scope`: the token lacks a scope this request needs,
   * and no new authorization could be run here (a service with no user at hand, a static
   * token). `InsufficientScopeClientError` carries the scope to ask for.
   */
  | 'INSUFFICIENT_SCOPE'
  /** Connecting took longer than the server's `timeout`. */
  | 'CONNECT_TIMEOUT'
  /** A request took longer than its timeout. */
  | 'REQUEST_TIMEOUT'
  /** The connection closed while the call was in flight; the call may or may not have run. */
  | 'CONNECTION_CLOSED'
  /** The client was disconnected by `disconnect()`. */
  | 'DISCONNECTED'
  /** The server does not offer this capability (resources, prompts, subscribe, …). */
  | 'CAPABILITY_NOT_SUPPORTED'
  /**
   * The request cannot be expressed in the protocol era the server speaks (e.g. a 2025-only
   * request on a 2026-07-28 connection); the message names the era and what to use instead.
   */
  | 'NOT_SUPPORTED_BY_PROTOCOL'
  /** The server does not have a tool of that name. */
  | 'TOOL_NOT_FOUND'
  /** Tool arguments do not match the tool's input schema; `issues` names the fields. */
  | 'INVALID_TOOL_INPUT'
  /** The tool ran and reported an error (`isError: true`); `result` holds what it returned. */
  | 'TOOL_EXECUTION_ERROR'
  /** The server answered a request with a JSON-RPC error. */
  | 'SERVER_ERROR'
  /** The server sent more than the server's `maxResponseBytes` for one message or request. */
  | 'RESPONSE_TOO_LARGE'
  /** The caller aborted the request through its `signal`. */
  | 'ABORTED'
  /** No pending approval has that id (never existed, or already settled). */
  | 'APPROVAL_NOT_FOUND'
  /** The approval request expired before anyone answered it; the call was denied. */
  | 'APPROVAL_EXPIRED'
  /** The approval request belongs to another principal, who alone may settle it. */
  | 'APPROVAL_FORBIDDEN'
  /** `MCPClientPool.close()` was called; the pool hands out no more clients. */
  | 'POOL_CLOSED'
  /**
   * A shared store (Redis, …) is unreachable or refused the command; nothing was read or
   * decided in its place. Retry once it is back.
   */
  | 'STORE_UNAVAILABLE'
  /** A shared store did not answer within its command timeout. */
  | 'STORE_TIMEOUT'

/** Base class of every error mcpkit throws on purpose. */
export class MCPKitError extends Error {
  readonly code: MCPErrorCode
  /** The server the error is about, when there is one. */
  readonly serverName: string | undefined

  constructor(
    code: MCPErrorCode,
    message: string,
    options: { serverName?: string | undefined; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.serverName = options.serverName
  }
}

/** Errors of `MCPClient`: configuration, connection and request failures. */
export class MCPClientError extends MCPKitError {}

/** Errors of `MCPServer`: configuration and transport misuse. */
export class MCPServerError extends MCPKitError {}

/** One problem with a tool's arguments: where it is (`path`) and what is wrong. */
export interface ToolInputIssue {
  /** JSON Pointer-like path to the field, e.g. `/items/0/name`; `''` for the whole input. */
  path: string
  message: string
}

/** Tool arguments failed the tool's input schema. Thrown before anything is sent. */
export class ToolInputValidationError extends MCPKitError {
  readonly toolName: string
  readonly issues: readonly ToolInputIssue[]

  constructor(options: {
    toolName: string
    serverName?: string | undefined
    issues: readonly ToolInputIssue[]
  }) {
    const detail = options.issues
      .map((issue) => `${issue.path === '' ? '(input)' : issue.path}: ${issue.message}`)
      .join('; ')
    super('INVALID_TOOL_INPUT', `Invalid arguments for tool "${options.toolName}": ${detail}`, {
      serverName: options.serverName,
    })
    this.toolName = options.toolName
    this.issues = options.issues
  }
}

/** The tool ran and reported failure (`isError: true` in its result). */
export class ToolExecutionError extends MCPKitError {
  readonly toolName: string
  /** The tool's result as the server sent it. */
  readonly result: unknown

  constructor(options: {
    toolName: string
    serverName?: string | undefined
    message: string
    result: unknown
  }) {
    super('TOOL_EXECUTION_ERROR', options.message, { serverName: options.serverName })
    this.toolName = options.toolName
    this.result = options.result
  }
}

/**
 * A server refused a request with 403 `insufficient_scope` and the client could not widen its
 * authorization by itself (code `INSUFFICIENT_SCOPE`). Nothing was run on the server. Show the
 * user what `scope` adds and start an authorization for it (for `MCPOAuthClientProvider`:
 * `provider.authorizationUrl({ scope: error.scope })`), then send the request again.
 */
export class InsufficientScopeClientError extends MCPClientError {
  /** What the server's challenge says the request needs (its `scope`), when it said. */
  readonly requiredScope: string | undefined
  /**
   * The scope to ask for: the scopes already granted plus `requiredScope`, so the new token
   * keeps working for everything the old one did.
   */
  readonly scope: string | undefined

  constructor(
    message: string,
    options: {
      requiredScope?: string | undefined
      scope?: string | undefined
      serverName?: string | undefined
      cause?: unknown
    } = {},
  ) {
    super('INSUFFICIENT_SCOPE', message, { serverName: options.serverName, cause: options.cause })
    this.requiredScope = options.requiredScope
    this.scope = options.scope
  }
}

/** Whether `error` is an mcpkit error, optionally with the given code. */
export function isMCPKitError(error: unknown, code?: MCPErrorCode): error is MCPKitError {
  return error instanceof MCPKitError && (code === undefined || error.code === code)
}
