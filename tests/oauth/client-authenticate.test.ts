// MCPClient.authenticate(): the CLI flow (RFC 8252) against oidc-provider. The "browser" is the
// provider's onRedirectToAuthorization hook driving the real login and consent pages, and
// landing on the loopback server that authenticate() started on 127.0.0.1.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { MCPClient } from '@mcpkit/mcp-client-core'
import { type ClientMetadata, MCPOAuthClientProvider, MemoryOAuthStorage } from '@mcpkit/oauth'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { expectMCPError, textOf } from '../support/helpers.js'
import {
  type AuthorizationServer,
  browse,
  closeServer,
  listen,
  type ProtectedServer,
  startAuthorizationServer,
  startProtectedServer,
} from './client-fixtures.js'

let authorizationServer: AuthorizationServer
let server: ProtectedServer
const clients: MCPClient[] = []
let clientCount = 0

beforeAll(async () => {
  authorizationServer = await startAuthorizationServer()
  server = await startProtectedServer(authorizationServer)
})

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.disconnect()))
})

afterAll(async () => {
  await server?.close()
  await authorizationServer?.close()
})

/** A native (loopback) client, as a CLI registers itself. */
function nativeMetadata(redirectUrl: string): ClientMetadata {
  return {
    client_name: 'mcpkit cli test',
    application_type: 'native',
    redirect_uris: [redirectUrl],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  }
}

interface Visit {
  authorizationUrl: URL
  /** What the loopback server answered a forged callback (wrong `state`), when sent. */
  forgedStatus?: number
  /** What the loopback server answered the real callback. */
  finalStatus?: number | undefined
  finalText?: string | undefined
}

function cliClient(options: {
  user: string
  redirectUrl: string
  forgeFirst?: boolean
  browser?: 'login' | 'none'
}) {
  const visits: Visit[] = []
  const provider = new MCPOAuthClientProvider({
    serverUrl: server.url,
    redirectUrl: options.redirectUrl,
    clientMetadata: nativeMetadata(options.redirectUrl),
    principal: options.user,
    storage: new MemoryOAuthStorage(),
    onRedirectToAuthorization: async (authorizationUrl) => {
      const visit: Visit = { authorizationUrl }
      visits.push(visit)
      if (options.forgeFirst) {
        // Another page (or program) hits the loopback callback with a state of its own.
        const forged = new URL(authorizationUrl.searchParams.get('redirect_uri')!)
        forged.searchParams.set('code', 'forged-code')
        forged.searchParams.set('state', 'forged-state')
        const response = await fetch(forged)
        visit.forgedStatus = response.status
        await response.body?.cancel()
      }
      if (options.browser === 'none') return
      const landed = await browse(authorizationUrl, { user: options.user })
      visit.finalStatus = landed.status
      visit.finalText = landed.text
    },
  })
  const client = new MCPClient({
    id: `oauth-authenticate-test-${++clientCount}`,
    timeout: 15_000,
    servers: {
      protected: { url: server.url, authProvider: provider },
      local: { command: process.execPath, args: ['-e', ''] },
    },
  })
  clients.push(client)
  return { client, provider, visits }
}

async function whoami(client: MCPClient): Promise<string | null> {
  const tool = (await client.listToolsets()).protected?.whoami
  if (!tool) throw new Error('no whoami tool')
  return (JSON.parse(textOf(await tool.execute({}))) as { subject: string | null }).subject
}

async function isListening(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) })
    await response.body?.cancel()
    return true
  } catch {
    return false
  }
}

describe('MCPClient.authenticate()', () => {
  it('runs the loopback flow on an ephemeral port, refusing a callback with a wrong state', async () => {
    const { client, provider, visits } = cliClient({
      user: 'carol',
      redirectUrl: 'http://127.0.0.1/callback',
      forgeFirst: true,
    })
    const exchangesBefore = authorizationServer
      .requestsTo('token')
      .filter((request) => request.params.grant_type === 'authorization_code').length

    await client.authenticate('protected')

    expect(visits).toHaveLength(1)
    const visit = visits[0]!
    const redirectUri = new URL(visit.authorizationUrl.searchParams.get('redirect_uri')!)
    expect(redirectUri.hostname).toBe('127.0.0.1')
    expect(Number(redirectUri.port)).toBeGreaterThan(0)
    expect(redirectUri.pathname).toBe('/callback')
    expect(visit.forgedStatus).toBe(400)
    expect(visit.finalStatus).toBe(200)
    expect(visit.finalText).toMatch(/Authorization complete/)
    const exchanges = authorizationServer
      .requestsTo('token')
      .filter((request) => request.params.grant_type === 'authorization_code')
      .slice(exchangesBefore)
    expect(exchanges).toHaveLength(1)
    expect(exchanges[0]?.params.code).not.toBe('forged-code')
    expect(exchanges[0]?.params.redirect_uri).toBe(redirectUri.href)
    expect(await provider.hasValidTokens()).toBe(true)

    // The loopback server is gone; the client connects with the new token.
    expect(await isListening(redirectUri.href)).toBe(false)
    expect(await whoami(client)).toBe('carol')

    // Tokens in hand: nothing to do. `force` goes through the browser again (another account,
    // a wider scope), even with a refresh token at hand.
    await client.authenticate('protected')
    expect(visits).toHaveLength(1)
    const previous = (await provider.tokens())!.access_token
    await client.authenticate('protected', { force: true })
    expect(visits).toHaveLength(2)
    expect((await provider.tokens())!.access_token).not.toBe(previous)
    expect(await whoami(client)).toBe('carol')
  })

  it('listens on the redirect URL’s own port when it names one', async () => {
    const port = await freePort()
    const redirectUrl = `http://127.0.0.1:${port}/oauth/done`
    const { client, visits } = cliClient({ user: 'dave', redirectUrl })
    await client.authenticate('protected')
    expect(visits[0]?.authorizationUrl.searchParams.get('redirect_uri')).toBe(redirectUrl)
    expect(await whoami(client)).toBe('dave')
    expect(await isListening(redirectUrl)).toBe(false)
  })

  it('fails with REQUEST_TIMEOUT when no callback comes, and closes the loopback server', async () => {
    const { client, visits } = cliClient({
      user: 'idle',
      redirectUrl: 'http://127.0.0.1/callback',
      browser: 'none',
    })
    const started = Date.now()
    const error = await expectMCPError(
      client.authenticate('protected', { timeout: 800 }),
      'REQUEST_TIMEOUT',
    )
    expect(Date.now() - started).toBeLessThan(5000)
    expect(error.message).toMatch(
      /no authorization came back to http:\/\/127\.0\.0\.1:\d+\/callback/,
    )
    const loopback = visits[0]!.authorizationUrl.searchParams.get('redirect_uri')!
    expect(await isListening(loopback)).toBe(false)
  })

  it('fails with ABORTED when the signal aborts, and closes the loopback server', async () => {
    const { client, visits } = cliClient({
      user: 'quitter',
      redirectUrl: 'http://127.0.0.1/callback',
      browser: 'none',
    })
    const controller = new AbortController()
    const pending = client.authenticate('protected', { signal: controller.signal })
    while (visits.length === 0) await new Promise((resolve) => setTimeout(resolve, 20))
    const loopback = visits[0]!.authorizationUrl.searchParams.get('redirect_uri')!
    expect(await isListening(loopback)).toBe(true)
    controller.abort()
    await expectMCPError(pending, 'ABORTED')
    expect(await isListening(loopback)).toBe(false)
  })

  it('reports an authorization the user refused', async () => {
    const { client, provider } = cliClient({
      user: 'erin',
      redirectUrl: 'http://127.0.0.1/callback',
      browser: 'none',
    })
    const pending = client.authenticate('protected', {
      onAuthorizationUrl: async (authorizationUrl) => {
        const callback = new URL(authorizationUrl.searchParams.get('redirect_uri')!)
        callback.searchParams.set('error', 'access_denied')
        callback.searchParams.set('state', authorizationUrl.searchParams.get('state')!)
        // As oidc-provider sends it (RFC 9207); without it the error is refused.
        callback.searchParams.set('iss', authorizationServer.issuer)
        const response = await fetch(callback)
        await response.body?.cancel()
      },
    })
    const error = await expectMCPError(pending, 'UNAUTHORIZED')
    expect(error.message).toMatch(/access_denied/)
    expect(await provider.tokens()).toBeUndefined()
  })

  it('refuses servers it cannot authorize: stdio, no authProvider, a provider for another URL, a non-loopback redirect', async () => {
    const { client } = cliClient({ user: 'x', redirectUrl: 'http://127.0.0.1/callback' })
    const stdio = await expectMCPError(client.authenticate('local'), 'INVALID_CONFIGURATION')
    expect(stdio.message).toMatch(/stdio/)
    await expectMCPError(client.authenticate('missing'), 'SERVER_NOT_FOUND')

    const plain = new MCPClient({
      id: `oauth-authenticate-test-${++clientCount}`,
      servers: { open: { url: server.url } },
    })
    clients.push(plain)
    const noProvider = await expectMCPError(plain.authenticate('open'), 'INVALID_CONFIGURATION')
    expect(noProvider.message).toMatch(/authProvider/)

    // A provider for another URL is refused as soon as the client is built.
    const elsewhere = await expectMCPError(
      (async () =>
        new MCPClient({
          id: `oauth-authenticate-test-${++clientCount}`,
          servers: {
            other: {
              url: new URL('/other', server.url),
              authProvider: new MCPOAuthClientProvider({
                serverUrl: server.url,
                redirectUrl: 'http://127.0.0.1/callback',
              }),
            },
          },
        }))(),
      'INVALID_CONFIGURATION',
    )
    expect(elsewhere.message).toMatch(
      /Server "other": its authProvider is the MCPOAuthClientProvider of/,
    )

    const web = new MCPClient({
      id: `oauth-authenticate-test-${++clientCount}`,
      servers: {
        web: {
          url: server.url,
          authProvider: new MCPOAuthClientProvider({
            serverUrl: server.url,
            redirectUrl: 'https://app.example.com/callback',
          }),
        },
      },
    })
    clients.push(web)
    const notLoopback = await expectMCPError(web.authenticate('web'), 'INVALID_CONFIGURATION')
    expect(notLoopback.message).toMatch(/127\.0\.0\.1/)

    await web.disconnect()
    await expectMCPError(web.authenticate('web'), 'DISCONNECTED')
  })

  it('says so when the redirect port is taken', async () => {
    const blocker = createServer((_req, res) => res.end('taken'))
    await listen(blocker)
    const port = (blocker.address() as AddressInfo).port
    try {
      const { client } = cliClient({
        user: 'y',
        redirectUrl: `http://127.0.0.1:${port}/callback`,
      })
      const error = await expectMCPError(client.authenticate('protected'), 'INVALID_CONFIGURATION')
      expect(error.message).toMatch(/EADDRINUSE/)
    } finally {
      await closeServer(blocker)
    }
  })
})

async function freePort(): Promise<number> {
  const probe = createServer()
  await listen(probe)
  const { port } = probe.address() as AddressInfo
  await closeServer(probe)
  return port
}
