import type { IncomingMessage } from 'node:http'
import type { BodyAuthorizer, RequestAuthenticator } from '@mcpkit/transports/server'
import { MCPServerError, type ResourceAuth, type ResourceAuthInfo } from '@mcpkit/types'
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server'

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

/**
 * The transports' `authenticate` and `authorizeBody` hooks for a protected resource: the token
 * is verified from the headers before the body is read, the body's tool scopes after. A
 * resource without `authorizeBody` is asked `authenticate(request, body)` again for that.
 */
export function authenticatorOf(auth: ResourceAuth): {
  authenticate: RequestAuthenticator
  authorizeBody: BodyAuthorizer
} {
  return {
    authenticate: (request) => auth.authenticate(request),
    authorizeBody: async (request, body, authInfo) => {
      if (typeof auth.authorizeBody === 'function') {
        return auth.authorizeBody(request, body, authInfo)
      }
      const decided = await auth.authenticate(request, body)
      return decided instanceof Response ? decided : undefined
    },
  }
}

/** The metadata document's answer to a `node:http` request. */
export function metadataResponse(
  auth: ResourceAuth,
  url: URL,
  req: IncomingMessage,
): Response | Promise<Response> {
  const method = req.method ?? 'GET'
  // Other methods only need their 405; a web Request cannot be built for every method name.
  const request = new Request(url, {
    method: ['GET', 'HEAD', 'OPTIONS'].includes(method) ? method : 'POST',
  })
  return auth.metadataResponse(request)
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
): ProtocolError | undefined {
  const denial = auth?.authorizeToolCall({ toolName, authInfo })
  if (!denial) return undefined
  return new ProtocolError(ProtocolErrorCode.InvalidRequest, denial.message, {
    error: 'insufficient_scope',
    scope: denial.requiredScopes.join(' '),
  })
}
