import { MCPClientError, MCPKitError } from '@mcpkit/types'
import { OAuthError } from '@modelcontextprotocol/sdk/server/auth/errors.js'
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js'

/** A fetch that remembers the last URL it was asked for, so errors can name the document. */
export interface TrackingFetch {
  fetch: FetchLike
  lastUrl(): string | undefined
}

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

/**
 * Turns what the SDK's `auth()` threw into an `MCPClientError` that says which server, which
 * document and what to do. The SDK validates discovery documents with zod and reports a bare
 * list of issues; the URL it was reading is what the user needs.
 */
export function authFlowError(
  error: unknown,
  context: { serverUrl: string; action: string; lastUrl: string | undefined },
): MCPKitError {
  if (error instanceof MCPKitError) return error
  const { serverUrl, action, lastUrl } = context
  const issues = zodIssues(error)
  if (issues) {
    return new MCPClientError(
      'UNAUTHORIZED',
      `${action} for MCP server ${serverUrl} failed: the OAuth document at ${lastUrl ?? '(unknown URL)'} is invalid (${issues}). Fix the server's or the authorization server's metadata.`,
      { cause: error },
    )
  }
  if (error instanceof OAuthError) {
    return new MCPClientError(
      'UNAUTHORIZED',
      `${action} for MCP server ${serverUrl} was refused by the authorization server: ${error.errorCode}${error.message ? ` (${error.message})` : ''}.`,
      { cause: error },
    )
  }
  const message = error instanceof Error ? error.message : String(error)
  if (error instanceof TypeError && lastUrl) {
    return new MCPClientError(
      'CONNECTION_FAILED',
      `${action} for MCP server ${serverUrl} could not reach ${lastUrl}: ${message}.`,
      { cause: error },
    )
  }
  return new MCPClientError(
    'UNAUTHORIZED',
    `${action} for MCP server ${serverUrl} failed: ${message}`,
    { cause: error },
  )
}

/** `path: message; …` for a zod error (checked by shape: the SDK bundles its own zod). */
function zodIssues(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined
  const issues = (error as { issues?: unknown }).issues
  if (!Array.isArray(issues) || issues.length === 0) return undefined
  return issues
    .slice(0, 5)
    .map((issue: { path?: unknown[]; message?: string }) => {
      const path = Array.isArray(issue.path) && issue.path.length ? issue.path.join('.') : '(root)'
      return `${path}: ${issue.message ?? 'invalid'}`
    })
    .join('; ')
}
