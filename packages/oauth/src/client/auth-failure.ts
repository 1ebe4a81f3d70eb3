import { MCPClientError, MCPKitError } from '@mcpkit/types'
import { type FetchLike, IssuerMismatchError } from '@modelcontextprotocol/client'
import { isOAuthError, schemaIssues } from '../sdk-contract.js'

/** A fetch that remembers the last URL it was asked for, so errors can name the document. */
export interface TrackingFetch {
  fetch: FetchLike
  lastUrl(): string | undefined
}

/** `base` (default: the global `fetch`), remembering the URL of each request. */
export function trackingFetch(base: FetchLike | undefined): TrackingFetch {
  let last: string | undefined
  return {
    fetch: (url, init) => {
      last = String(url)
      return base ? base(url, init) : fetch(url, init)
    },
    lastUrl: () => last,
  }
}

/** Who was doing what when an OAuth step failed, for the error message. */
export interface AuthFailureContext {
  /**
   * The step and its server, as the message starts: e.g. `Refreshing the access token for MCP
   * server https://…` or `Server "docs": Getting a token`.
   */
  subject: string
  /** The last URL the step requested: the document that was invalid, or unreachable. */
  lastUrl: string | undefined
  /** Set on the error, when the caller knows the server by name. */
  serverName?: string
}

/**
 * What an SDK OAuth step threw (`auth()`, `refreshAuthorization()`, …) as an `MCPClientError`
 * that says which server, which document, and what to do. Classified by the SDK's error classes
 * and codes, never by message text. An `MCPKitError` (thrown by a provider hook) is returned
 * as it is.
 */
export function describeAuthFailure(error: unknown, context: AuthFailureContext): MCPKitError {
  if (error instanceof MCPKitError) return error
  const { subject, lastUrl } = context
  const fail = (code: 'UNAUTHORIZED' | 'CONNECTION_FAILED', message: string) =>
    new MCPClientError(code, message, { serverName: context.serverName, cause: error })
  const issues = schemaIssues(error)
  if (issues) {
    return fail(
      'UNAUTHORIZED',
      `${subject} failed: the OAuth document at ${lastUrl ?? '(unknown URL)'} is invalid (${issues}). Fix the server's or the authorization server's metadata.`,
    )
  }
  if (IssuerMismatchError.isInstance(error)) {
    const expected = JSON.stringify(error.expected)
    if (error.kind === 'metadata') {
      return fail(
        'UNAUTHORIZED',
        `${subject} failed: the authorization server metadata at ${lastUrl ?? '(unknown URL)'} names issuer ${JSON.stringify(error.received)}, not ${expected} as RFC 8414 requires. Fix the authorization server's issuer, or the resource's authorization_servers.`,
      )
    }
    // RFC 9207 mix-up defense: the callback's other parameters are the attacker's, not shown.
    return fail(
      'UNAUTHORIZED',
      error.received === undefined
        ? `${subject} was refused: the authorization response has no \`iss\`, but authorization server ${expected} always sends one (RFC 9207). Its code was not used.`
        : `${subject} was refused: the authorization response comes from issuer ${JSON.stringify(error.received)}, not ${expected} (RFC 9207). Its code was not used.`,
    )
  }
  const message = error instanceof Error ? error.message : String(error)
  if (isOAuthError(error)) {
    return fail(
      'UNAUTHORIZED',
      `${subject} was refused by the authorization server: ${error.code}${message ? ` (${message})` : ''}.`,
    )
  }
  if (error instanceof TypeError && lastUrl) {
    return fail('CONNECTION_FAILED', `${subject} could not reach ${lastUrl}: ${message}.`)
  }
  return fail('UNAUTHORIZED', `${subject} failed: ${message}`)
}
