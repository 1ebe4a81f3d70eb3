import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RequestAuthenticator } from '@mcpkit/transports/server'
import { MCPServerError, type ResourceAuth, type ResourceAuthInfo } from '@mcpkit/types'
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js'

/**
 * The `auth` option, checked at construction: a server that was meant to be protected must not
 * start unprotected because of a typo.
 */
export function validResourceAuth(auth: unknown): ResourceAuth | undefined {
  if (auth === undefined) return undefined
  const candidate = auth as Partial<ResourceAuth> | null
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    typeof candidate.metadataPath !== 'string' ||
    !candidate.metadataPath.startsWith('/') ||
    typeof candidate.metadataResponse !== 'function' ||
    typeof candidate.authenticate !== 'function' ||
    typeof candidate.authorizeToolCall !== 'function'
  ) {
    throw new MCPServerError(
      'INVALID_CONFIGURATION',
      'new MCPServer(config): `auth` must be a protected resource, e.g. createProtectedResource({ resource, authorizationServers, verifier }) from @mcpkit/oauth.',
    )
  }
  return candidate as ResourceAuth
}

/** The transports' `authenticate` hook for a protected resource. */
export function authenticatorOf(auth: ResourceAuth): RequestAuthenticator {
  return (request, body) => auth.authenticate(request, body)
}

/** Serves the metadata document on `node:http`. */
export async function writeMetadata(
  auth: ResourceAuth,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const method = req.method ?? 'GET'
  // Other methods only need their 405; a web Request cannot be built for every method name.
  const request = new Request(url, {
    method: ['GET', 'HEAD', 'OPTIONS'].includes(method) ? method : 'POST',
  })
  const response = await auth.metadataResponse(request)
  const body = response.body ? Buffer.from(await response.arrayBuffer()) : undefined
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    headers[name] = value
  })
  if (body) headers['content-length'] = String(body.byteLength)
  res.writeHead(response.status, headers)
  res.end(body)
}

/** Whether a web request is for the metadata document. */
export function isMetadataRequest(auth: ResourceAuth | undefined, request: Request): boolean {
  return auth !== undefined && new URL(request.url).pathname === auth.metadataPath
}

/** The MCP error that refuses a tool call the credentials may not make, if any. */
export function toolCallRefusal(
  auth: ResourceAuth | undefined,
  toolName: string,
  authInfo: ResourceAuthInfo | undefined,
): McpError | undefined {
  const denial = auth?.authorizeToolCall({ toolName, authInfo })
  if (!denial) return undefined
  return new McpError(ErrorCode.InvalidRequest, denial.message, {
    error: 'insufficient_scope',
    scope: denial.requiredScopes.join(' '),
  })
}
