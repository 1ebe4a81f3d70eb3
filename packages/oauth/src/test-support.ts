// Helpers of this package's unit tests (not exported by the package): an MCP server and its
// authorization server inside a `fetch`, a machine client of it, and a way to catch what a call
// throws.
import { MCPOAuthClientProvider } from './client/oauth-client-provider.js'

/** The protected MCP server of `fakeNetwork()`. */
export const RESOURCE = 'https://mcp.example.com/mcp'
/** The authorization server of `fakeNetwork()`: its issuer identifier and base URL. */
export const ISSUER = 'https://login.example.com'

/** A request `fakeNetwork()` received; `params` is the form body of a POST. */
export interface FakeRequest {
  method: string
  url: string
  params: Record<string, string>
}

/** What the fake token endpoint answers. */
export interface FakeTokenResponse {
  status?: number
  body: unknown
}

/**
 * An MCP server's RFC 9728 metadata naming one authorization server, that server's RFC 8414
 * metadata (`metadata` overrides fields), a token endpoint answering `token(params)` (default:
 * a new access token each time), and a registration endpoint — all in a `fetch`, no sockets.
 */
export function fakeNetwork(
  options: {
    metadata?: Record<string, unknown>
    token?: (params: URLSearchParams) => FakeTokenResponse
  } = {},
) {
  const requests: FakeRequest[] = []
  let issued = 0
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
  const fetchFn = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input))
    const method = init?.method ?? 'GET'
    const params = new URLSearchParams(
      typeof init?.body === 'string' || init?.body instanceof URLSearchParams ? init.body : '',
    )
    requests.push({ method, url: url.href, params: Object.fromEntries(params) })
    if (url.pathname === '/.well-known/oauth-protected-resource/mcp') {
      return json({
        resource: RESOURCE,
        authorization_servers: [ISSUER],
        scopes_supported: ['mcp'],
      })
    }
    if (url.pathname.startsWith('/.well-known/oauth-authorization-server')) {
      return json({
        issuer: ISSUER,
        authorization_endpoint: `${ISSUER}/authorize`,
        token_endpoint: `${ISSUER}/token`,
        registration_endpoint: `${ISSUER}/register`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        ...options.metadata,
      })
    }
    if (url.pathname === '/token' && method === 'POST') {
      const answer = options.token?.(params) ?? {
        body: {
          access_token: `access-${++issued}`,
          token_type: 'Bearer',
          expires_in: 3600,
          refresh_token: `refresh-${issued}`,
        },
      }
      return json(answer.body, answer.status ?? 200)
    }
    if (url.pathname === '/register' && method === 'POST') {
      return json({ client_id: 'registered', redirect_uris: [] }, 201)
    }
    return new Response(null, { status: 404 })
  }
  return {
    fetchFn,
    requests,
    /** The POSTs to the token endpoint. */
    tokenRequests: () => requests.filter((request) => request.url === `${ISSUER}/token`),
  }
}

/** A `client_credentials` provider of `fakeNetwork()`'s server, bound to its issuer. */
export function machineProvider(options: { fetch?: FakeFetch } = {}): MCPOAuthClientProvider {
  return MCPOAuthClientProvider.clientCredentials({
    serverUrl: RESOURCE,
    clientId: 'machine',
    clientSecret: 'secret',
    expectedIssuer: ISSUER,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  })
}

type FakeFetch = ReturnType<typeof fakeNetwork>['fetchFn']

/** What `action` threw (or rejected with); fails the test when it did not. */
export async function errorOf(action: () => unknown): Promise<Error & { code?: string }> {
  try {
    await action()
  } catch (error) {
    return error as Error & { code?: string }
  }
  throw new Error('expected an error')
}
