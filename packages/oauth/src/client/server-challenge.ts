import { extractWWWAuthenticateParams, type FetchLike } from '@modelcontextprotocol/client'

/** What an MCP server said when asked without credentials. */
export interface ServerChallenge {
  /** The HTTP status of its answer. */
  status: number
  /** `resource_metadata` of its `WWW-Authenticate` challenge (RFC 9728 §5.1). */
  resourceMetadataUrl?: URL
  /** `scope` of the challenge: what to ask for first (the spec's scope selection, step 1). */
  scope?: string
}

/**
 * Asks the MCP server something without credentials, as the spec's discovery starts ("MCP
 * request without token"), and reads its challenge: a JSON-RPC `ping`, which changes nothing
 * on any server (a legacy server without a session refuses it, a stateless one answers it).
 * A protected server answers 401 with `WWW-Authenticate: Bearer resource_metadata=…, scope=…`;
 * any other answer is no challenge, and discovery falls back to the well-known URLs.
 */
export async function probeServerChallenge(
  serverUrl: URL,
  fetchFn: FetchLike,
): Promise<ServerChallenge> {
  const response = await fetchFn(serverUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 'mcpkit-authorization-probe', method: 'ping' }),
  })
  await response.body?.cancel().catch(() => {})
  const challenge: ServerChallenge = { status: response.status }
  if (response.status !== 401 && response.status !== 403) return challenge
  const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(response)
  if (resourceMetadataUrl) challenge.resourceMetadataUrl = resourceMetadataUrl
  if (scope) challenge.scope = scope
  return challenge
}
