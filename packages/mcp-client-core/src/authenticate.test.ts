// MCPClient.authenticate() with a plain SDK OAuthClientProvider (no `state()` of its own)
// against a small authorization server on 127.0.0.1 that serves RFC 8414 metadata and a token
// endpoint recording what it was sent. The loopback callback server is the real one.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isMCPKitError } from '@mcpkit/types'
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js'
import type {
  OAuthClientInformationMixed,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MCPClient } from './mcp-client.js'

interface TokenRequest {
  [key: string]: string
}

let origin = ''
const tokenRequests: TokenRequest[] = []
let tokenStatus = 200
const authorizationServer = createServer((req: IncomingMessage, res: ServerResponse) => {
  const path = new URL(req.url ?? '/', origin).pathname
  if (path === '/.well-known/oauth-authorization-server') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        issuer: origin,
        authorization_endpoint: `${origin}/authorize`,
        token_endpoint: `${origin}/token`,
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
      tokenRequests.push(Object.fromEntries(new URLSearchParams(body)))
      res.writeHead(tokenStatus, { 'content-type': 'application/json' })
      res.end(
        tokenStatus === 200
          ? JSON.stringify({ access_token: 'issued-token', token_type: 'Bearer', expires_in: 600 })
          : JSON.stringify({ error: 'invalid_grant', error_description: 'code already used' }),
      )
    })
    return
  }
  res.writeHead(404).end()
})

beforeAll(async () => {
  await new Promise<void>((resolve) => authorizationServer.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(authorizationServer.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise<void>((resolve) => {
    authorizationServer.close(() => resolve())
    authorizationServer.closeAllConnections()
  })
})

/** A minimal SDK provider: pre-registered public client, tokens in memory, no `state()`. */
function plainProvider(onRedirect: (url: URL) => Promise<void>) {
  const saved: { tokens?: OAuthTokens; verifier?: string } = {}
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
async function callBack(authorizationUrl: URL, params: Record<string, string>) {
  const callback = new URL(authorizationUrl.searchParams.get('redirect_uri') ?? '')
  for (const [key, value] of Object.entries(params)) callback.searchParams.set(key, value)
  const response = await fetch(callback)
  return { status: response.status, text: await response.text(), url: callback }
}

async function isListening(url: URL): Promise<boolean> {
  try {
    await (await fetch(url, { signal: AbortSignal.timeout(2000) })).body?.cancel()
    return true
  } catch {
    return false
  }
}

function clientWith(provider: OAuthClientProvider): MCPClient {
  return new MCPClient({
    id: `authenticate-unit-${Math.random()}`,
    servers: { api: { url: `${origin}/mcp`, authProvider: provider } },
  })
}

describe('authenticate() with a plain SDK provider', () => {
  it('adds a state, answers a wrong one 400, exchanges only the matching code', async () => {
    const answers: number[] = []
    let loopback: URL | undefined
    const { provider, saved } = plainProvider(async (authorizationUrl) => {
      const state = authorizationUrl.searchParams.get('state')
      expect(state).toMatch(/^[\w-]{43}$/)
      answers.push((await callBack(authorizationUrl, { code: 'stolen', state: 'nope' })).status)
      answers.push((await callBack(authorizationUrl, { code: 'stolen' })).status)
      const genuine = await callBack(authorizationUrl, { code: 'genuine', state: state ?? '' })
      answers.push(genuine.status)
      loopback = genuine.url
    })
    const client = clientWith(provider)
    const before = tokenRequests.length
    await client.authenticate('api')
    expect(answers).toEqual([400, 400, 200])
    const sent = tokenRequests.slice(before)
    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatchObject({
      grant_type: 'authorization_code',
      code: 'genuine',
      code_verifier: saved.verifier,
      redirect_uri: `${loopback?.origin}${loopback?.pathname}`,
    })
    expect(saved.tokens?.access_token).toBe('issued-token')
    expect(await isListening(loopback!)).toBe(false)
    await client.disconnect()
  })

  it('fails when the hook fails, and closes the loopback server', async () => {
    let loopback: URL | undefined
    const { provider } = plainProvider(async (authorizationUrl) => {
      loopback = new URL(authorizationUrl.searchParams.get('redirect_uri') ?? '')
      throw new Error('no browser on this machine')
    })
    const client = clientWith(provider)
    const error = await client.authenticate('api').catch((caught: unknown) => caught)
    expect(isMCPKitError(error, 'UNAUTHORIZED')).toBe(true)
    expect((error as Error).message).toMatch(/no browser on this machine/)
    expect(await isListening(loopback!)).toBe(false)
    await client.disconnect()
  })

  it('reports a refused code exchange to the caller and to the browser', async () => {
    tokenStatus = 400
    try {
      let browser: { status: number; text: string } | undefined
      const { provider, saved } = plainProvider(async (authorizationUrl) => {
        browser = await callBack(authorizationUrl, {
          code: 'expired',
          state: authorizationUrl.searchParams.get('state') ?? '',
        })
      })
      const client = clientWith(provider)
      const error = await client.authenticate('api').catch((caught: unknown) => caught)
      expect(isMCPKitError(error, 'UNAUTHORIZED')).toBe(true)
      expect((error as Error).message).toMatch(/invalid_grant/)
      expect(browser?.status).toBe(500)
      expect(saved.tokens).toBeUndefined()
      await client.disconnect()
    } finally {
      tokenStatus = 200
    }
  })

  it('refuses to run on a disconnected client', async () => {
    const client = clientWith(plainProvider(async () => {}).provider)
    await client.disconnect()
    const error = await client.authenticate('api').catch((caught: unknown) => caught)
    expect(isMCPKitError(error, 'DISCONNECTED')).toBe(true)
  })
})
