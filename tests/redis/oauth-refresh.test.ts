// OAuth storage on a real redis-server, against a real authorization server (oidc-provider,
// which rotates refresh tokens): 50 concurrent calls in two processes that all need a renewal
// make one refresh in total; values are encrypted at rest and bound to their key.
import { join } from 'node:path'
import { MCPClient } from '@mcpkit/mcp-client-core'
import { oauthStorageKey } from '@mcpkit/oauth'
import { RedisConnection, RedisOAuthStorage } from '@mcpkit/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildFixtures } from '../fixtures/build.mjs'
import {
  type AuthorizationServer,
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
let server: ProtectedServer
let fixtures: string
let connection: RedisConnection

beforeAll(async () => {
  if (!available) return
  fixtures = buildFixtures().dir
  ;[redis, authorizationServer] = await Promise.all([
    startRedisServer(),
    startAuthorizationServer(),
  ])
  server = await startProtectedServer(authorizationServer)
  connection = new RedisConnection({ url: redis.url, keyPrefix: KEY_PREFIX })
})

afterAll(async () => {
  await connection?.close()
  await server?.close()
  await authorizationServer?.close()
  await redis?.stop()
})

function refreshGrants() {
  return authorizationServer
    .requestsTo('token')
    .filter((request) => request.params.grant_type === 'refresh_token')
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
      const stored = JSON.parse((await storage.get(tokensKey))!) as {
        tokens: { access_token: string; refresh_token?: string }
        savedAt: number
        expiresAt?: number
      }
      const first = stored.tokens.access_token
      expect(stored.tokens.refresh_token).toBeTruthy()

      // At rest: ciphertext, no token in it; copied under another user's key it does not open.
      const raw = (await connection.client.get(KEY_PREFIX + 'oauth:' + tokensKey))!
      expect(raw.startsWith('enc:v1:')).toBe(true)
      expect(raw).not.toContain(first)
      const otherKey = oauthStorageKey({
        serverUrl: server.url,
        principal: 'mallory',
        entry: 'tokens',
      })
      await connection.client.set(KEY_PREFIX + 'oauth:' + otherKey, raw)
      expect(await storage.get(otherKey)).toBeUndefined()
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
