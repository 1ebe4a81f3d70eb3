// OAuth storage on a real redis-server, against real authorization servers (oidc-provider,
// which rotates refresh tokens): 50 concurrent calls in two processes that all need a renewal
// make one refresh in total; values are encrypted at rest and bound to their key; the tokens
// of two authorization servers for one server and user are kept apart, each refreshed at its own.
import { join } from 'node:path'
import { MCPClient } from '@mcpkit/mcp-client-core'
import { type OAuthStorageContext, oauthStorageKey } from '@mcpkit/oauth'
import { RedisConnection, RedisOAuthStorage } from '@mcpkit/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildFixtures } from '../fixtures/build.mjs'
import {
  type AuthorizationServer,
  callProtected,
  jwtClaims,
  type ProtectedServer,
  startAuthorizationServer,
  startProtectedServer,
  WEB_REDIRECT_URL,
  webProvider,
} from '../oauth/client-fixtures.js'
import { expectMCPError } from '../support/helpers.js'
import { type LineChild, startLineChild } from '../support/line-child.js'
import { hasRedisServer, type RedisServer, startRedisServer } from '../support/redis.js'

const available = hasRedisServer()
const ENCRYPTION_KEY = 'an app secret of at least 32 characters!'
const KEY_PREFIX = 'test-oauth:'
let redis: RedisServer
let authorizationServer: AuthorizationServer
let otherAuthorizationServer: AuthorizationServer
let server: ProtectedServer
let fixtures: string
let connection: RedisConnection

beforeAll(async () => {
  if (!available) return
  fixtures = buildFixtures().dir
  ;[redis, authorizationServer, otherAuthorizationServer] = await Promise.all([
    startRedisServer(),
    startAuthorizationServer(),
    startAuthorizationServer(),
  ])
  server = await startProtectedServer(authorizationServer)
  connection = new RedisConnection({ url: redis.url, keyPrefix: KEY_PREFIX })
})

afterAll(async () => {
  await connection?.close()
  await server?.close()
  await authorizationServer?.close()
  await otherAuthorizationServer?.close()
  await redis?.stop()
})

function refreshGrants(of: AuthorizationServer = authorizationServer) {
  return of.requestsTo('token').filter((request) => request.params.grant_type === 'refresh_token')
}

/** The Redis key of `issuer`'s value of a provider key (see `RedisOAuthStorage`). */
function issuerKey(key: string, issuer: string): string {
  return `${KEY_PREFIX}oauth:${key}@iss=${encodeURIComponent(issuer.replace(/\/$/, ''))}`
}

interface StoredTokens {
  tokens: { access_token: string; refresh_token?: string; issuer?: string }
  savedAt: number
  expiresAt?: number
}

describe.skipIf(!available)('RedisOAuthStorage', () => {
  it('refreshes once for 50 concurrent calls in two processes, and keeps values encrypted', async () => {
    const storage = new RedisOAuthStorage({ connection, encryptionKey: ENCRYPTION_KEY })
    const web = webProvider({ user: 'erin', serverUrl: server.url, storage })
    const client = new MCPClient({
      id: 'redis-oauth-signin',
      servers: { protected: { url: server.url, authProvider: web.provider } },
    })
    const children: LineChild[] = []
    try {
      await expectMCPError(client.listTools(), 'UNAUTHORIZED')
      await web.finish()
      const tokensKey = oauthStorageKey({
        serverUrl: server.url,
        principal: 'erin',
        entry: 'tokens',
      })
      const stored = JSON.parse((await storage.get(tokensKey))!) as StoredTokens
      const first = stored.tokens.access_token
      expect(stored.tokens.refresh_token).toBeTruthy()
      expect(stored.tokens.issuer).toBe(authorizationServer.issuer)
      const context: OAuthStorageContext = {
        serverUrl: server.url.href,
        principal: 'erin',
        entry: 'tokens',
        issuer: authorizationServer.issuer,
      }

      // At rest: ciphertext, no token in it; copied under another user's key it does not open.
      const raw = (await connection.client.get(issuerKey(tokensKey, authorizationServer.issuer)))!
      expect(raw.startsWith('enc:v1:')).toBe(true)
      expect(raw).not.toContain(first)
      const otherKey = oauthStorageKey({
        serverUrl: server.url,
        principal: 'mallory',
        entry: 'tokens',
      })
      await connection.client.set(issuerKey(otherKey, authorizationServer.issuer), raw)
      expect(await storage.get(otherKey, { ...context, principal: 'mallory' })).toBeUndefined()
      expect(
        await new RedisOAuthStorage({
          connection,
          encryptionKey: 'another key, 32 characters long',
        }).get(tokensKey),
      ).toBeUndefined()

      // The access token is now within its renewal margin for everyone.
      const now = Date.now()
      await storage.set(
        tokensKey,
        JSON.stringify({ ...stored, savedAt: now - 10_000, expiresAt: now + 200 }),
        context,
      )
      const refreshesBefore = refreshGrants().length

      for (let index = 0; index < 2; index++) {
        children.push(
          startLineChild(join(fixtures, 'redis-oauth-refresher.js'), {
            REDIS_URL: redis.url,
            KEY_PREFIX,
            ENCRYPTION_KEY,
            SERVER_URL: server.url.href,
            PRINCIPAL: 'erin',
            REDIRECT_URL: WEB_REDIRECT_URL,
            COUNT: '25',
          }),
        )
      }
      await Promise.all(children.map((child) => child.line('READY')))
      for (const child of children) child.send('GO')
      const seen = (
        await Promise.all(
          children.map(async (child) => JSON.parse(await child.line('TOKENS')) as string[]),
        )
      ).flat()

      expect(seen).toHaveLength(50)
      expect(new Set(seen).size).toBe(1)
      expect(seen[0]).not.toBe(first)
      expect(refreshGrants()).toHaveLength(refreshesBefore + 1)
      expect(await Promise.all(children.map((child) => child.exited))).toEqual([0, 0])
    } finally {
      await Promise.all(children.map((child) => child.stop()))
      await client.disconnect()
    }
  })
})

describe.skipIf(!available)('RedisOAuthStorage per issuer', () => {
  it('keeps two authorization servers’ tokens for one server and user apart, across instances', async () => {
    const first = authorizationServer
    const second = otherAuthorizationServer
    const moving = await startProtectedServer(first)
    // Two instances of the app: each its own Redis connection, storage and provider.
    const instances = [0, 1].map((index) => {
      const own = new RedisConnection({ url: redis.url, keyPrefix: KEY_PREFIX })
      const storage = new RedisOAuthStorage({ connection: own, encryptionKey: ENCRYPTION_KEY })
      const web = webProvider({ user: 'fay', serverUrl: moving.url, storage })
      const client = new MCPClient({
        id: `redis-oauth-issuer-${index}`,
        servers: { protected: { url: moving.url, authProvider: web.provider } },
      })
      return { connection: own, storage, web, client }
    })
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]]
    const key = (entry: 'tokens' | 'discovery') =>
      oauthStorageKey({ serverUrl: moving.url, principal: 'fay', entry })
    const context = (entry: 'tokens' | 'discovery', issuer: string): OAuthStorageContext => ({
      serverUrl: moving.url.href,
      principal: 'fay',
      entry,
      issuer,
    })
    const readTokens = async (issuer: string) =>
      JSON.parse((await a.storage.get(key('tokens'), context('tokens', issuer)))!) as StoredTokens
    try {
      // Instance A signs fay in with the first authorization server.
      await expectMCPError(a.client.listTools(), 'UNAUTHORIZED')
      await a.web.finish()
      expect(await callProtected(a.client, 'whoami')).toMatchObject({ subject: 'fay' })
      const fromFirst = await readTokens(first.issuer)

      // The resource moves to the second one; instance B, sent there, signs fay in again.
      moving.authorizationServer = second
      await expectMCPError(b.client.listTools(), 'UNAUTHORIZED')
      await b.web.finish()
      expect(await callProtected(b.client, 'whoami')).toMatchObject({ subject: 'fay' })
      const fromSecond = await readTokens(second.issuer)

      // One key each, named by its issuer; the first one's tokens were not overwritten.
      for (const [issuer, tokens] of [
        [first.issuer, fromFirst],
        [second.issuer, fromSecond],
      ] as const) {
        expect(jwtClaims(tokens.tokens.access_token).iss).toBe(issuer)
        expect(tokens.tokens.issuer).toBe(issuer)
        const raw = await a.connection.client.get(issuerKey(key('tokens'), issuer))
        expect(raw?.startsWith('enc:v1:')).toBe(true)
        const discovery = JSON.parse(
          (await b.storage.get(key('discovery'), context('discovery', issuer)))!,
        ) as { authorizationServerUrl: string }
        expect(discovery.authorizationServerUrl.replace(/\/$/, '')).toBe(issuer.replace(/\/$/, ''))
      }
      expect(fromFirst.tokens.refresh_token).not.toBe(fromSecond.tokens.refresh_token)

      // Asked for one issuer, each provider gets that issuer's tokens, and nothing for another;
      // without an issuer (the transport's request header), the latest.
      expect((await a.web.provider.tokens({ issuer: first.issuer }))?.access_token).toBe(
        fromFirst.tokens.access_token,
      )
      expect((await b.web.provider.tokens({ issuer: second.issuer }))?.access_token).toBe(
        fromSecond.tokens.access_token,
      )
      expect(await a.web.provider.tokens({ issuer: 'https://third.example' })).toBeUndefined()
      expect((await a.web.provider.tokens())?.access_token).toBe(fromSecond.tokens.access_token)

      // A ciphertext copied under another issuer's key does not open there.
      const rawFirst = (await a.connection.client.get(issuerKey(key('tokens'), first.issuer)))!
      await a.connection.client.set(issuerKey(key('tokens'), 'https://third.example'), rawFirst)
      expect(
        await b.storage.get(key('tokens'), context('tokens', 'https://third.example')),
      ).toBeUndefined()
      await b.storage.delete(key('tokens'), context('tokens', 'https://third.example'))

      // Both due for renewal: each instance refreshes its issuer's tokens at that issuer only.
      const now = Date.now()
      for (const [issuer, tokens] of [
        [first.issuer, fromFirst],
        [second.issuer, fromSecond],
      ] as const) {
        await a.storage.set(
          key('tokens'),
          JSON.stringify({ ...tokens, savedAt: now - 10_000, expiresAt: now + 200 }),
          context('tokens', issuer),
        )
      }
      const grantsBefore = [refreshGrants(first).length, refreshGrants(second).length]
      const [renewedFirst, renewedSecond] = await Promise.all([
        a.web.provider.tokens({ issuer: first.issuer }),
        b.web.provider.tokens({ issuer: second.issuer }),
      ])
      expect(jwtClaims(renewedFirst!.access_token).iss).toBe(first.issuer)
      expect(jwtClaims(renewedSecond!.access_token).iss).toBe(second.issuer)
      expect(renewedFirst!.access_token).not.toBe(fromFirst.tokens.access_token)
      expect(renewedSecond!.access_token).not.toBe(fromSecond.tokens.access_token)
      const newGrants = [
        refreshGrants(first).slice(grantsBefore[0]),
        refreshGrants(second).slice(grantsBefore[1]),
      ]
      expect(newGrants.map((grants) => grants.map((grant) => grant.params.refresh_token))).toEqual([
        [fromFirst.tokens.refresh_token],
        [fromSecond.tokens.refresh_token],
      ])
      // Neither authorization server ever saw the other's refresh token.
      const sent = (server: AuthorizationServer) =>
        server.requestsTo('token').map((request) => request.params.refresh_token)
      expect(sent(first)).not.toContain(fromSecond.tokens.refresh_token)
      expect(sent(second)).not.toContain(fromFirst.tokens.refresh_token)

      // Signing out forgets every issuer's tokens.
      await a.web.provider.clear()
      expect(await a.connection.client.keys(`${KEY_PREFIX}oauth:${key('tokens')}*`)).toEqual([])
    } finally {
      await Promise.all(instances.map((instance) => instance.client.disconnect()))
      await Promise.all(instances.map((instance) => instance.connection.close()))
      await moving.close()
    }
  })
})
