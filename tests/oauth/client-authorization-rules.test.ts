// The 2026-07-28 authorization rules on the client, against oidc-provider on 127.0.0.1: `iss`
// compared with the recorded issuer without normalisation (RFC 9207), client registrations kept
// per authorization server and made again when the resource moves to another one, pre-registered
// credentials never shown to another server, a resource whose metadata names another resource
// refused, `offline_access` asked for only when the authorization server offers it, and storage
// written by earlier versions still working.
import {
  MCPOAuthClientProvider,
  MemoryOAuthStorage,
  type OAuthStorageEntry,
  oauthStorageKey,
} from '@mcpkit/oauth'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { expectMCPError } from '../support/helpers.js'
import {
  type AuthorizationServer,
  callProtected,
  cliProvider,
  type ProtectedServer,
  startAuthorizationServer,
  startProtectedServer,
  storedEntry,
  testClients,
  webProvider,
} from './client-fixtures.js'

let first: AuthorizationServer
let second: AuthorizationServer
const { clientFor, keep, cleanUp } = testClients('oauth-rules-test')

beforeAll(async () => {
  first = await startAuthorizationServer()
  second = await startAuthorizationServer()
})

afterEach(cleanUp)

afterAll(async () => {
  await first?.close()
  await second?.close()
})

async function serverOf(authorizationServer: AuthorizationServer, resource?: string) {
  return keep(
    await startProtectedServer(authorizationServer, {
      challengeScope: 'mcp:tools',
      ...(resource ? { resource } : {}),
    }),
  )
}

const read = storedEntry

function write(
  storage: MemoryOAuthStorage,
  server: ProtectedServer,
  user: string,
  entry: OAuthStorageEntry,
  value: unknown,
) {
  storage.set(
    oauthStorageKey({ serverUrl: server.url, principal: user, entry }),
    JSON.stringify(value),
  )
}

/** What an authorization server was sent since `from`, its public metadata aside. */
const sentTo = (authorizationServer: AuthorizationServer, from: number) =>
  authorizationServer.requests.slice(from).filter((request) => request.route !== 'discovery')

const codeExchanges = (authorizationServer: AuthorizationServer) =>
  authorizationServer
    .requestsTo('token')
    .filter((request) => request.params.grant_type === 'authorization_code').length

describe('iss (RFC 9207)', () => {
  it('is compared with the recorded issuer as a plain string: a trailing slash, or no iss, is refused before the code is used', async () => {
    const metadata = (await fetch(`${first.issuer}/.well-known/openid-configuration`).then(
      (response) => response.json(),
    )) as Record<string, unknown>
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true)
    const server = await serverOf(first)
    for (const tamper of [
      (callback: URL) => callback.searchParams.set('iss', `${first.issuer}/`),
      (callback: URL) => callback.searchParams.set('iss', first.issuer.toUpperCase()),
      (callback: URL) => callback.searchParams.delete('iss'),
    ]) {
      const web = webProvider({ user: 'kim' })
      const client = clientFor(server, web.provider)
      await expectMCPError(client.listTools(), 'UNAUTHORIZED')
      const callback = web.callbacks.shift()!
      expect(callback.searchParams.get('iss')).toBe(first.issuer)
      tamper(callback)
      const exchanges = codeExchanges(first)
      const error = await expectMCPError(web.provider.finishAuthorization(callback), 'UNAUTHORIZED')
      expect(error.message).toMatch(/RFC 9207/)
      expect(codeExchanges(first)).toBe(exchanges)
      expect(await web.provider.tokens()).toBeUndefined()
    }
  })
})

describe('client registrations by authorization server', () => {
  it('registers again when the resource moves, never shows the old client id to the new server, and keeps both', async () => {
    const server = await serverOf(first)
    const storage = new MemoryOAuthStorage()
    const web = webProvider({ user: 'lou', storage })
    const client = clientFor(server, web.provider)
    await expectMCPError(client.listTools(), 'UNAUTHORIZED')
    await web.finish()
    expect(await callProtected(client, 'whoami')).toMatchObject({ subject: 'lou' })
    const firstClientId = (await web.provider.clientInformation({ issuer: first.issuer }))!
      .client_id
    const registeredAtSecond = second.registrations.length

    // The resource now names the second authorization server (its metadata changed) and
    // refuses the first one's tokens: the next request's 401 leads there. (The server binds
    // its MCP session to the client id, which changes: each authorization gets a new client.)
    server.authorizationServer = second
    await expectMCPError(callProtected(client, 'whoami'), 'UNAUTHORIZED')
    expect(second.registrations.length).toBe(registeredAtSecond + 1)
    await web.finish()
    expect(await callProtected(clientFor(server, web.provider), 'whoami')).toMatchObject({
      subject: 'lou',
    })
    const clientIdsSeenBySecond = second.requests.map((request) => request.params.client_id)
    expect(clientIdsSeenBySecond).not.toContain(firstClientId)
    expect((await web.provider.tokens())?.issuer).toBe(second.issuer)

    // Both registrations are kept, each under its issuer; moving back reuses the first.
    const registrations = read(storage, server, 'lou', 'client-information') as {
      byIssuer: Record<string, { client_id: string }>
    }
    expect(Object.keys(registrations.byIssuer).sort()).toEqual([first.issuer, second.issuer].sort())
    const registeredAtFirst = first.registrations.length
    server.authorizationServer = first
    const back = clientFor(server, web.provider)
    await expectMCPError(callProtected(back, 'whoami'), 'UNAUTHORIZED')
    await web.finish()
    expect(await callProtected(clientFor(server, web.provider), 'whoami')).toMatchObject({
      subject: 'lou',
    })
    expect(first.registrations.length).toBe(registeredAtFirst)
    expect(first.requests.at(-1)?.params.client_id).toBe(firstClientId)
  })

  it('refuses to show pre-registered credentials to another authorization server', async () => {
    const server = await serverOf(second)
    const provider = MCPOAuthClientProvider.clientCredentials({
      clientId: first.machineClient.clientId,
      clientSecret: first.machineClient.clientSecret,
      expectedIssuer: first.issuer,
    })
    const client = clientFor(server, provider)
    const before = second.requests.length
    const error = await expectMCPError(client.listTools(), 'UNAUTHORIZED')
    expect(error.message).toContain(first.issuer)
    expect(error.message).toContain(second.issuer)
    expect(sentTo(second, before)).toEqual([])
  })
})

describe('the resource', () => {
  it('is refused when the metadata names another one, before anything goes to the authorization server', async () => {
    const server = await serverOf(first, 'https://evil.example.com/mcp')
    const { provider, visits } = cliProvider({ user: 'max' })
    const client = clientFor(server, provider)
    const before = first.requests.length
    const registrations = first.registrations.length
    const error = await expectMCPError(client.authenticate('protected'), 'UNAUTHORIZED')
    expect(error.message).toMatch(/evil\.example\.com/)
    expect(visits).toEqual([])
    expect(sentTo(first, before)).toEqual([])
    expect(first.registrations.length).toBe(registrations)
  })
})

describe('offline_access', () => {
  it('is asked for when the authorization server offers it and refresh tokens are wanted, and only then', async () => {
    const server = await serverOf(first)
    const { provider, visits } = cliProvider({ user: 'ned' })
    await clientFor(server, provider).authenticate('protected')
    const authorization = visits[0]!
    expect(authorization.searchParams.get('scope')?.split(' ')).toContain('offline_access')
    expect(authorization.searchParams.get('prompt')).toBe('consent')
    expect((await provider.tokens())?.refresh_token).toBeTruthy()

    // A client that does not want refresh tokens (no refresh_token grant) does not ask.
    const noRefresh = new MCPOAuthClientProvider({
      redirectUrl: 'http://127.0.0.1/callback',
      clientMetadata: {
        client_name: 'no refresh',
        redirect_uris: ['http://127.0.0.1/callback'],
        grant_types: ['authorization_code'],
      },
    })
    let scope: string | null = null
    await expectMCPError(
      clientFor(server, noRefresh).authenticate('protected', {
        timeout: 3000,
        onAuthorizationUrl: (url) => {
          scope = url.searchParams.get('scope')
          throw new Error('stop here')
        },
      }),
      'UNAUTHORIZED',
    )
    expect(scope).toBe('mcp:tools')
  })
})

describe('storage written by earlier versions', () => {
  it('keeps working: a registration stored whole, unstamped, and a discovery result without pending state', async () => {
    const server = await serverOf(first)
    const storage = new MemoryOAuthStorage()
    const { provider } = cliProvider({ user: 'oli', storage })
    const client = clientFor(server, provider)
    await client.authenticate('protected')
    expect(await callProtected(client, 'whoami')).toMatchObject({ subject: 'oli' })

    // Rewrite the entries as the previous version (one registration, no issuer stamp on it,
    // tokens about to expire) left them; keys are unchanged.
    const registrations = read(storage, server, 'oli', 'client-information') as {
      byIssuer: Record<string, Record<string, unknown>>
    }
    const { issuer: _stamp, ...unstamped } = registrations.byIssuer[first.issuer]!
    write(storage, server, 'oli', 'client-information', unstamped)
    const tokens = read(storage, server, 'oli', 'tokens') as { tokens: Record<string, unknown> }
    const { requestedScope: _scope, ...previous } = tokens as Record<string, unknown>
    write(storage, server, 'oli', 'tokens', {
      ...previous,
      savedAt: Date.now() - 290_000,
      expiresAt: Date.now() + 10_000,
    })
    const expiring = tokens.tokens.access_token

    // A new process: the token is renewed with the stored refresh token and registration.
    const restarted = cliProvider({ user: 'oli', storage, serverUrl: server.url })
    const renewed = await restarted.provider.tokens()
    expect(renewed?.access_token).toBeTruthy()
    expect(renewed?.access_token).not.toBe(expiring)
    expect(restarted.visits).toEqual([])
    const again = clientFor(server, restarted.provider)
    expect(await callProtected(again, 'whoami')).toMatchObject({ subject: 'oli' })
    // Its registration is the one stored, presented to its issuer.
    expect((await restarted.provider.clientInformation({ issuer: first.issuer }))?.client_id).toBe(
      unstamped.client_id,
    )
  })
})
