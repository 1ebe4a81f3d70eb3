// authorizeServer() (what MCPClient.authenticate() runs): the RFC 8252 loopback flow with a
// plain SDK OAuthClientProvider (no `state()` of its own) against a small authorization server
// on 127.0.0.1 that serves RFC 8414 metadata and a token endpoint recording what it was sent;
// the loopback callback server is the real one. Configuration errors, machine clients, time
// limits and the `fetch` of the definition use `fakeNetwork()` or no network at all. The flow
// against oidc-provider and a real MCP server is in tests/oauth/client-authenticate.test.ts.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type AuthenticateOptions,
  type HttpServerDefinition,
  isMCPKitError,
  type LoggingLevel,
  type RequestContext,
} from '@mcpkit/types'
import type { OAuthClientProvider } from '@modelcontextprotocol/client'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { errorOf, fakeNetwork, ISSUER, RESOURCE } from '../test-support.js'
import {
  callBack,
  isListening,
  plainProvider,
  startAuthorizationServer,
} from './authorize-server.fixtures.js'
import { authorizeServer } from './authorize-server.js'
import { MCPOAuthClientProvider } from './oauth-client-provider.js'

let authorizationServer: Awaited<ReturnType<typeof startAuthorizationServer>>

beforeAll(async () => {
  authorizationServer = await startAuthorizationServer()
})

afterAll(async () => {
  await authorizationServer?.close()
})

/** What `MCPClient.authenticate('api', options)` hands over, with the log lines kept. */
function authorize(
  definition: Partial<HttpServerDefinition>,
  options: AuthenticateOptions = {},
  logs: Array<[LoggingLevel, string]> = [],
) {
  return authorizeServer({
    serverName: 'api',
    definition: { url: `${authorizationServer.origin}/mcp`, ...definition } as HttpServerDefinition,
    options,
    log: (level, message) => logs.push([level, message]),
  })
}

describe('authorizeServer() with a plain SDK provider', () => {
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
    const before = authorizationServer.tokenRequests.length
    const logs: Array<[LoggingLevel, string]> = []
    await authorize({ authProvider: provider }, {}, logs)
    expect(answers).toEqual([400, 400, 200])
    const sent = authorizationServer.tokenRequests.slice(before)
    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatchObject({
      grant_type: 'authorization_code',
      code: 'genuine',
      code_verifier: saved.verifier,
      redirect_uri: `${loopback?.origin}${loopback?.pathname}`,
    })
    expect(saved.tokens?.access_token).toBe('issued-token')
    expect(await isListening(loopback!)).toBe(false)
    expect(logs.filter(([level]) => level === 'warning')).toHaveLength(2)
  })

  it('fails when the hook fails, and closes the loopback server', async () => {
    let loopback: URL | undefined
    const { provider } = plainProvider(async (authorizationUrl) => {
      loopback = new URL(authorizationUrl.searchParams.get('redirect_uri') ?? '')
      throw new Error('no browser on this machine')
    })
    const error = await errorOf(() => authorize({ authProvider: provider }))
    expect(isMCPKitError(error, 'UNAUTHORIZED')).toBe(true)
    expect(error.message).toMatch(/no browser on this machine/)
    expect(await isListening(loopback!)).toBe(false)
  })

  it('reports a refused code exchange to the caller and to the browser', async () => {
    authorizationServer.tokenStatus = 400
    try {
      let browser: { status: number; text: string } | undefined
      const { provider, saved } = plainProvider(async (authorizationUrl) => {
        browser = await callBack(authorizationUrl, {
          code: 'expired',
          state: authorizationUrl.searchParams.get('state') ?? '',
        })
      })
      const error = await errorOf(() => authorize({ authProvider: provider }))
      expect(isMCPKitError(error, 'UNAUTHORIZED')).toBe(true)
      expect(error.message).toMatch(/invalid_grant/)
      expect(browser?.status).toBe(500)
      expect(saved.tokens).toBeUndefined()
    } finally {
      authorizationServer.tokenStatus = 200
    }
  })

  it('reports an authorization the user refused, and answers the browser', async () => {
    let browser: { status: number; text: string } | undefined
    const { provider, saved } = plainProvider(async (authorizationUrl) => {
      browser = await callBack(authorizationUrl, {
        error: 'access_denied',
        state: authorizationUrl.searchParams.get('state') ?? '',
      })
    })
    const error = await errorOf(() => authorize({ authProvider: provider }))
    expect(isMCPKitError(error, 'UNAUTHORIZED')).toBe(true)
    expect(error.message).toMatch(/access_denied/)
    expect(error).toMatchObject({ serverName: 'api' })
    expect(browser).toMatchObject({ status: 200, text: expect.stringMatching(/access_denied/) })
    expect(saved.tokens).toBeUndefined()
  })

  it('listens on the redirect URL’s own port when it names one', async () => {
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const { port } = probe.address() as AddressInfo
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    const redirectUrl = `http://127.0.0.1:${port}/oauth/done`
    const sentTo: string[] = []
    const { provider } = plainProvider(async (authorizationUrl) => {
      sentTo.push(authorizationUrl.searchParams.get('redirect_uri') ?? '')
      await callBack(authorizationUrl, {
        code: 'c',
        state: authorizationUrl.searchParams.get('state') ?? '',
      })
    })
    await authorize({ authProvider: { ...provider, redirectUrl } as OAuthClientProvider })
    expect(sentTo).toEqual([redirectUrl])
    expect(await isListening(redirectUrl)).toBe(false)
  })
})

describe('authorizeServer() decides what to do', () => {
  it('leaves a provider with an access token alone, unless `force`', async () => {
    const { provider, saved } = plainProvider(async (authorizationUrl) => {
      await callBack(authorizationUrl, {
        code: 'again',
        state: authorizationUrl.searchParams.get('state') ?? '',
      })
    })
    saved.tokens = {
      access_token: 'have-one',
      token_type: 'Bearer',
      refresh_token: 'r',
      issuer: authorizationServer.origin,
    }
    const before = authorizationServer.tokenRequests.length
    const logs: Array<[LoggingLevel, string]> = []
    await authorize({ authProvider: provider }, {}, logs)
    expect(authorizationServer.tokenRequests.length).toBe(before)
    expect(logs).toContainEqual(['debug', expect.stringMatching(/already has an access token/)])
    // `force` goes through the browser even with a refresh token at hand.
    await authorize({ authProvider: provider }, { force: true, scope: 'wider' })
    const [exchange, ...rest] = authorizationServer.tokenRequests.slice(before)
    expect(rest).toEqual([])
    expect(exchange).toMatchObject({ grant_type: 'authorization_code', code: 'again' })
  })

  it('gets a machine client its token without a browser, through the definition’s fetch', async () => {
    const network = fakeNetwork()
    const contexts: Array<RequestContext | null> = []
    const headers: Array<string | null> = []
    const machine = MCPOAuthClientProvider.clientCredentials({
      serverUrl: RESOURCE,
      clientId: 'machine',
      clientSecret: 'secret',
      expectedIssuer: ISSUER,
    })
    await authorizeServer({
      serverName: 'api',
      definition: {
        url: RESOURCE,
        authProvider: machine,
        requestInit: { headers: { 'x-tenant': 'acme' } },
        fetch: (url, init, requestContext) => {
          contexts.push(requestContext)
          headers.push(new Headers(init?.headers).get('x-tenant'))
          return network.fetchFn(url, init)
        },
      },
      options: { scope: 'mcp:admin' },
      log: () => {},
    })
    expect((await machine.tokens())?.access_token).toBe('access-1')
    expect(network.tokenRequests()[0]?.params).toMatchObject({
      grant_type: 'client_credentials',
      scope: 'mcp:admin',
    })
    expect(new Set(contexts)).toEqual(new Set([null]))
    expect(new Set(headers)).toEqual(new Set(['acme']))
  })

  it('refuses servers it cannot authorize, with INVALID_CONFIGURATION', async () => {
    const { provider } = plainProvider(async () => {})
    const stdio = await errorOf(() =>
      authorizeServer({
        serverName: 'local',
        definition: { command: 'node' } as unknown as HttpServerDefinition,
        options: {},
        log: () => {},
      }),
    )
    expect(isMCPKitError(stdio, 'INVALID_CONFIGURATION')).toBe(true)
    expect(stdio.message).toMatch(/stdio/)
    const noProvider = await errorOf(() => authorize({}))
    expect(isMCPKitError(noProvider, 'INVALID_CONFIGURATION')).toBe(true)
    expect(noProvider.message).toMatch(/authProvider/)
    const elsewhere = await errorOf(() =>
      authorize({
        authProvider: new MCPOAuthClientProvider({
          serverUrl: 'https://other.example.com/mcp',
          redirectUrl: 'http://127.0.0.1/callback',
        }),
      }),
    )
    expect(isMCPKitError(elsewhere, 'INVALID_CONFIGURATION')).toBe(true)
    const web = await errorOf(() =>
      authorize({
        url: RESOURCE,
        authProvider: new MCPOAuthClientProvider({
          serverUrl: RESOURCE,
          redirectUrl: 'https://app.example.com/callback',
        }),
      }),
    )
    expect(isMCPKitError(web, 'INVALID_CONFIGURATION')).toBe(true)
    expect(web.message).toMatch(/127\.0\.0\.1/)
    const badTimeout = await errorOf(() => authorize({ authProvider: provider }, { timeout: 0 }))
    expect(isMCPKitError(badTimeout, 'INVALID_CONFIGURATION')).toBe(true)
  })

  it('says so when the redirect port is taken', async () => {
    const blocker = createServer((_req, res) => res.end('taken'))
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const { port } = blocker.address() as AddressInfo
    try {
      const { provider } = plainProvider(async () => {})
      const error = await errorOf(() =>
        authorize({
          authProvider: { ...provider, redirectUrl: `http://127.0.0.1:${port}/callback` },
        }),
      )
      expect(isMCPKitError(error, 'INVALID_CONFIGURATION')).toBe(true)
      expect(error.message).toMatch(/EADDRINUSE/)
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()))
    }
  })
})

describe('authorizeServer() is bounded', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('fails with REQUEST_TIMEOUT when no callback comes, and closes the loopback server', async () => {
    // The deadline's timer is fake; the loopback server and its sockets are real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    let loopback = ''
    let browserOpened = () => {}
    const opened = new Promise<void>((resolve) => {
      browserOpened = resolve
    })
    const { provider } = plainProvider(async (authorizationUrl) => {
      loopback = authorizationUrl.searchParams.get('redirect_uri') ?? ''
      browserOpened()
    })
    const failing = errorOf(() => authorize({ authProvider: provider }, { timeout: 800 }))
    await opened
    await vi.advanceTimersByTimeAsync(799)
    expect(await isListening(loopback), 'still waiting just before the timeout').toBe(true)
    await vi.advanceTimersByTimeAsync(1)
    const error = await failing
    expect(isMCPKitError(error, 'REQUEST_TIMEOUT')).toBe(true)
    expect(error.message).toMatch(
      /no authorization came back to http:\/\/127\.0\.0\.1:\d+\/callback/,
    )
    expect(await isListening(loopback)).toBe(false)
  })

  it('fails with ABORTED when the signal aborts, and closes the loopback server', async () => {
    let loopback = ''
    const { provider } = plainProvider(async (authorizationUrl) => {
      loopback = authorizationUrl.searchParams.get('redirect_uri') ?? ''
    })
    const controller = new AbortController()
    const pending = authorize({ authProvider: provider }, { signal: controller.signal })
    while (loopback === '') await new Promise((resolve) => setTimeout(resolve, 20))
    expect(await isListening(loopback)).toBe(true)
    controller.abort(new Error('user pressed ctrl-c'))
    const error = await errorOf(() => pending)
    expect(isMCPKitError(error, 'ABORTED')).toBe(true)
    expect(error.message).toMatch(/user pressed ctrl-c/)
    expect(await isListening(loopback)).toBe(false)
    // An already aborted signal never starts anything.
    const early = await errorOf(() =>
      authorize({ authProvider: provider }, { signal: AbortSignal.abort() }),
    )
    expect(isMCPKitError(early, 'ABORTED')).toBe(true)
  })
})
