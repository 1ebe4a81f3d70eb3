// Fixtures of authorize-server.test.ts: a small authorization server on 127.0.0.1 (RFC 8414
// metadata, a token endpoint recording what it was sent), a plain SDK provider, and "the
// browser" that comes back to the loopback callback.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type {
  OAuthClientInformationMixed,
  OAuthClientProvider,
  StoredOAuthTokens,
} from '@modelcontextprotocol/client'

/** What the token endpoint was sent, one form per request. */
export type TokenRequest = Record<string, string>

/**
 * Starts the authorization server: its `origin` is its issuer, `tokenRequests` what its token
 * endpoint received, and `tokenStatus` (200 or 400 `invalid_grant`) what it answers.
 */
export async function startAuthorizationServer() {
  const state = { origin: '', tokenStatus: 200, tokenRequests: [] as TokenRequest[] }
  const authorizationServer = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', state.origin).pathname
    if (path === '/.well-known/oauth-authorization-server') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          issuer: state.origin,
          authorization_endpoint: `${state.origin}/authorize`,
          token_endpoint: `${state.origin}/token`,
          response_types_supported: ['code'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['none'],
        }),
      )
      return
    }
    if (path === '/token' && req.method === 'POST') {
      let body = ''
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString()
      })
      req.on('end', () => {
        state.tokenRequests.push(Object.fromEntries(new URLSearchParams(body)))
        res.writeHead(state.tokenStatus, { 'content-type': 'application/json' })
        res.end(
          state.tokenStatus === 200
            ? JSON.stringify({
                access_token: 'issued-token',
                token_type: 'Bearer',
                expires_in: 600,
              })
            : JSON.stringify({ error: 'invalid_grant', error_description: 'code already used' }),
        )
      })
      return
    }
    res.writeHead(404).end()
  })

  await new Promise<void>((resolve) => authorizationServer.listen(0, '127.0.0.1', resolve))
  state.origin = `http://127.0.0.1:${(authorizationServer.address() as AddressInfo).port}`
  return Object.assign(state, {
    close: () =>
      new Promise<void>((resolve) => {
        authorizationServer.close(() => resolve())
        authorizationServer.closeAllConnections()
      }),
  })
}

/** A minimal SDK provider: pre-registered public client, tokens in memory, no `state()`. */
export function plainProvider(onRedirect: (url: URL) => Promise<void>) {
  const saved: { tokens?: StoredOAuthTokens; verifier?: string } = {}
  const provider: OAuthClientProvider = {
    redirectUrl: 'http://127.0.0.1/callback',
    clientMetadata: { redirect_uris: ['http://127.0.0.1/callback'] },
    clientInformation: (): OAuthClientInformationMixed => ({ client_id: 'cli' }),
    tokens: () => saved.tokens,
    saveTokens: (tokens) => {
      saved.tokens = tokens
    },
    redirectToAuthorization: onRedirect,
    saveCodeVerifier: (verifier) => {
      saved.verifier = verifier
    },
    codeVerifier: () => saved.verifier ?? '',
  }
  return { provider, saved }
}

/** "The browser": sends `state` and `code` to the loopback callback named in the URL. */
export async function callBack(authorizationUrl: URL, params: Record<string, string>) {
  const callback = new URL(authorizationUrl.searchParams.get('redirect_uri') ?? '')
  for (const [key, value] of Object.entries(params)) callback.searchParams.set(key, value)
  const response = await fetch(callback)
  return { status: response.status, text: await response.text(), url: callback }
}

/** Whether something still answers at `url`. */
export async function isListening(url: URL | string): Promise<boolean> {
  try {
    await (await fetch(url, { signal: AbortSignal.timeout(2000) })).body?.cancel()
    return true
  } catch {
    return false
  }
}
