// MCPClient + MCPOAuthClientProvider against a real authorization server (oidc-provider) and
// protected MCP servers that verify every token: authorization code with PKCE completed
// headlessly through `onRedirectToAuthorization` + `finishAuthorization()`, the `resource`
// parameter, a callback with a wrong `state`, storage shared by users and servers, and
// refresh ahead of expiry and after a 401.
import { MCPClient } from '@mcpkit/mcp-client-core'
import {
  type ClientMetadata,
  MCPOAuthClientProvider,
  MemoryOAuthStorage,
  type OAuthStorage,
} from '@mcpkit/oauth'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { expectMCPError, textOf } from '../support/helpers.js'
import {
  type AuthorizationServer,
  browse,
  jwtClaims,
  type ProtectedServer,
  startAuthorizationServer,
  startProtectedServer,
} from './client-fixtures.js'

/** The app's callback route; the headless browser stops there instead of loading it. */
const REDIRECT_URL = 'http://127.0.0.1:9/oauth/callback'
const CLIENT_METADATA: ClientMetadata = {
  client_name: 'mcpkit oauth client tests',
  redirect_uris: [REDIRECT_URL],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
}

let authorizationServer: AuthorizationServer
let serverA: ProtectedServer
let serverB: ProtectedServer
const clients: MCPClient[] = []
let clientCount = 0

beforeAll(async () => {
  authorizationServer = await startAuthorizationServer()
  serverA = await startProtectedServer(authorizationServer)
  serverB = await startProtectedServer(authorizationServer)
})

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.disconnect()))
  authorizationServer.accessTokenTtl = 300
})

afterAll(async () => {
  await serverA?.close()
  await serverB?.close()
  await authorizationServer?.close()
})

/** A provider whose "browser" logs in as `user` and hands back the callback URL. */
function userProvider(options: {
  user: string
  server: ProtectedServer
  storage?: OAuthStorage
  refreshBeforeExpiry?: number
}) {
  const callbacks: URL[] = []
  const provider = new MCPOAuthClientProvider({
    serverUrl: options.server.url,
    redirectUrl: REDIRECT_URL,
    clientMetadata: CLIENT_METADATA,
    principal: options.user,
    ...(options.storage ? { storage: options.storage } : {}),
    ...(options.refreshBeforeExpiry === undefined
      ? {}
      : { refreshBeforeExpiry: options.refreshBeforeExpiry }),
    onRedirectToAuthorization: async (authorizationUrl) => {
      const landed = await browse(authorizationUrl, {
        user: options.user,
        stopAt: (url) => url.href.startsWith(REDIRECT_URL),
      })
      callbacks.push(landed.url)
    },
  })
  return { provider, callbacks }
}

function clientFor(server: ProtectedServer, provider: MCPOAuthClientProvider): MCPClient {
  const client = new MCPClient({
    id: `oauth-client-test-${++clientCount}`,
    timeout: 15_000,
    servers: { protected: { url: server.url, authProvider: provider } },
  })
  clients.push(client)
  return client
}

/** Connect → 401 → the browser logs in → the app finishes with the callback → connected. */
async function signIn(options: Parameters<typeof userProvider>[0]) {
  const { provider, callbacks } = userProvider(options)
  const client = clientFor(options.server, provider)
  await expectMCPError(client.listTools(), 'UNAUTHORIZED')
  expect(callbacks).toHaveLength(1)
  await provider.finishAuthorization(callbacks[0]!)
  return { provider, client, callbacks }
}

async function whoami(client: MCPClient) {
  const tools = await client.listTools()
  const tool = tools.protected_whoami
  if (!tool) throw new Error(`no whoami tool; got ${Object.keys(tools).join(', ')}`)
  return JSON.parse(textOf(await tool.execute({}))) as { subject: string | null; scopes: string[] }
}

describe('authorization code with PKCE, finished headlessly', () => {
  it('registers, authorizes with S256 and `resource`, exchanges the code, and calls a tool as the user', async () => {
    const before = authorizationServer.requests.length
    const { provider, client } = await signIn({ user: 'alice', server: serverA })

    expect(await whoami(client)).toMatchObject({ subject: 'alice', scopes: ['mcp:tools'] })

    const requests = authorizationServer.requests.slice(before)
    const routes = requests.map((request) => request.route)
    expect(routes).toContain('registration')
    const authorization = requests.find((request) => request.route === 'authorization')
    expect(authorization?.params).toMatchObject({
      response_type: 'code',
      code_challenge_method: 'S256',
      resource: serverA.url.href,
      redirect_uri: REDIRECT_URL,
    })
    expect(String(authorization?.params.code_challenge)).toMatch(/^[\w-]{43}$/)
    expect(String(authorization?.params.state)).toMatch(/^[\w-]{43}$/)
    const exchange = requests.find(
      (request) => request.route === 'token' && request.params.grant_type === 'authorization_code',
    )
    expect(exchange?.params).toMatchObject({ resource: serverA.url.href })
    expect(String(exchange?.params.code_verifier)).toMatch(/^[\w.~-]{43,128}$/)

    const tokens = await provider.tokens()
    expect(jwtClaims(tokens!.access_token)).toMatchObject({
      aud: serverA.url.href,
      iss: authorizationServer.issuer,
      sub: 'alice',
    })
    expect(tokens?.refresh_token).toBeTruthy()
    expect(await provider.hasValidTokens()).toBe(true)
  })

  it('refuses a callback whose state differs, without exchanging its code', async () => {
    const { provider, callbacks } = userProvider({ user: 'mallory-victim', server: serverA })
    const client = clientFor(serverA, provider)
    await expectMCPError(client.listTools(), 'UNAUTHORIZED')
    const genuine = callbacks[0]!
    const forged = new URL(genuine)
    forged.searchParams.set('state', 'attacker-chosen-state')
    const exchangesBefore = authorizationServer.requestsTo('token').length

    const refused = await expectMCPError(provider.finishAuthorization(forged), 'UNAUTHORIZED')
    expect(refused.message).toMatch(/state/)
    await expectMCPError(
      provider.finishAuthorization({ code: genuine.searchParams.get('code')!, state: null }),
      'UNAUTHORIZED',
    )
    expect(authorizationServer.requestsTo('token')).toHaveLength(exchangesBefore)
    expect(await provider.tokens()).toBeUndefined()

    // The genuine callback still works, once.
    await provider.finishAuthorization(genuine)
    expect((await whoami(client)).subject).toBe('mallory-victim')
    await expectMCPError(provider.finishAuthorization(genuine), 'UNAUTHORIZED')
  })

  it('reports an authorization the user denied', async () => {
    const { provider, callbacks } = userProvider({ user: 'dora', server: serverA })
    const client = clientFor(serverA, provider)
    await expectMCPError(client.listTools(), 'UNAUTHORIZED')
    const denied = new URL(REDIRECT_URL)
    denied.searchParams.set('error', 'access_denied')
    denied.searchParams.set('error_description', 'The user said no')
    denied.searchParams.set('state', callbacks[0]!.searchParams.get('state')!)
    // oidc-provider sends `iss` with every response (RFC 9207); without it the error is refused.
    denied.searchParams.set('iss', authorizationServer.issuer)
    const error = await expectMCPError(provider.finishAuthorization(denied), 'UNAUTHORIZED')
    expect(error.message).toMatch(/access_denied.*The user said no/)
  })
})

describe('one storage for many users and servers', () => {
  it('keys everything by server URL and principal: no collisions, even concurrently', async () => {
    const storage = new MemoryOAuthStorage()
    const alice = await signIn({ user: 'alice', server: serverA, storage })
    const bob = await signIn({ user: 'bob', server: serverA, storage })
    const aliceOnB = await signIn({ user: 'alice', server: serverB, storage })

    const calls = Array.from({ length: 10 }, (_, index) =>
      [alice.client, bob.client, aliceOnB.client].map(async (client) => ({
        index,
        client,
        seen: await whoami(client),
      })),
    ).flat()
    for (const { client, seen } of await Promise.all(calls)) {
      expect(seen.subject).toBe(client === bob.client ? 'bob' : 'alice')
    }

    const tokenKeys = storage.keys().filter((key) => key.endsWith(':tokens'))
    expect(tokenKeys).toHaveLength(3)
    for (const key of storage.keys()) {
      expect(key).toMatch(/^mcpkit-oauth:v1:http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fmcp:(alice|bob):/)
    }
    const [aliceTokens, bobTokens, aliceOnBTokens] = await Promise.all([
      alice.provider.tokens(),
      bob.provider.tokens(),
      aliceOnB.provider.tokens(),
    ])
    expect(new Set([aliceTokens, bobTokens, aliceOnBTokens].map((t) => t?.access_token)).size).toBe(
      3,
    )
    expect(jwtClaims(aliceOnBTokens!.access_token).aud).toBe(serverB.url.href)
    // Each server saw only tokens minted for it.
    expect(serverB.seen.every((entry) => jwtClaims(entry.token).aud === serverB.url.href)).toBe(
      true,
    )

    // A provider for a (server, principal) pair nobody signed in with finds nothing.
    const { provider: bobOnB } = userProvider({ user: 'bob', server: serverB, storage })
    expect(await bobOnB.tokens()).toBeUndefined()
    expect(await bobOnB.hasValidTokens()).toBe(false)

    // Signing out one pair leaves the others.
    await bob.provider.clear()
    expect(await bob.provider.tokens()).toBeUndefined()
    expect((await alice.provider.tokens())?.access_token).toBe(aliceTokens?.access_token)
  })
})

describe('refresh', () => {
  it('refreshes an access token before it expires, and never reports an expired one', async () => {
    authorizationServer.accessTokenTtl = 3
    const storage = new MemoryOAuthStorage()
    const { provider, client } = await signIn({
      user: 'erin',
      server: serverA,
      storage,
      refreshBeforeExpiry: 1000,
    })
    const first = (await provider.tokens())!.access_token
    expect((await whoami(client)).subject).toBe('erin')
    const refreshesBefore = refreshGrants().length

    // Another provider for the same server and user on the same storage, as an app that
    // builds one per request has.
    const { provider: twin } = userProvider({
      user: 'erin',
      server: serverA,
      storage,
      refreshBeforeExpiry: 1000,
    })

    // Inside the last second of its 3 s lifetime: the next use refreshes it first, once for
    // both providers (oidc-provider rotates refresh tokens: a second use would fail).
    await sleep(2200)
    const [seen, mine, theirs] = await Promise.all([
      whoami(client),
      provider.tokens(),
      twin.tokens(),
    ])
    expect(seen.subject).toBe('erin')
    expect(mine?.access_token).toBe(theirs?.access_token)
    expect(refreshGrants()).toHaveLength(refreshesBefore + 1)
    expect(refreshGrants().at(-1)?.params.resource).toBe(serverA.url.href)
    const second = (await provider.tokens())!.access_token
    expect(second).not.toBe(first)
    expect(serverA.seen.filter((entry) => entry.token === first && !entry.accepted)).toEqual([])

    // Without a refresh token an expiring access token is not handed out.
    const key = storage.keys().find((entry) => entry.endsWith(':tokens'))!
    const stored = JSON.parse(storage.get(key)!) as { tokens: Record<string, unknown> }
    delete stored.tokens.refresh_token
    storage.set(key, JSON.stringify(stored))
    await sleep(2200)
    expect(await provider.tokens()).toBeUndefined()
    expect(await provider.hasValidTokens()).toBe(false)
  })

  it('refreshes when the server answers 401 to a token it no longer accepts', async () => {
    const { provider, client } = await signIn({ user: 'frank', server: serverA })
    expect((await whoami(client)).subject).toBe('frank')
    const revoked = (await provider.tokens())!.access_token
    serverA.revoked.add(revoked)
    const refreshesBefore = refreshGrants().length

    expect((await whoami(client)).subject).toBe('frank')
    expect(refreshGrants()).toHaveLength(refreshesBefore + 1)
    expect((await provider.tokens())?.access_token).not.toBe(revoked)
    expect(serverA.seen.some((entry) => entry.token === revoked && !entry.accepted)).toBe(true)
  })
})

function refreshGrants() {
  return authorizationServer
    .requestsTo('token')
    .filter((request) => request.params.grant_type === 'refresh_token')
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
