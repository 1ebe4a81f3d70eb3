// Two users through one MCPClientPool against the OAuth-protected server, their tokens in one
// shared OAuthStorage: under concurrent requests, and across a concurrent refresh of both users'
// expired tokens, each user's calls carry only that user's token and the server sees only that
// user's identity.
import { MCPClientPool } from '@mcpkit/mcp-client-core'
import { MemoryOAuthStorage } from '@mcpkit/oauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type OAuthStack, startOAuthStack, whoamiThrough } from '../support/oauth-e2e.js'
import type { SeenCaller } from '../support/oauth-server.js'

const USERS = ['alice', 'bob'] as const
const ROUNDS = 15

describe('two users through one MCPClientPool against the protected server', () => {
  let stack: OAuthStack
  let pool: MCPClientPool
  const storage = new MemoryOAuthStorage()

  beforeAll(async () => {
    stack = await startOAuthStack({ accessTokenTtl: 4 })
    // Each user signs in once (as a CLI would); the pool's clients then find the tokens in the
    // shared storage under that user's principal.
    for (const user of USERS) {
      const client = stack.clientWith(stack.providerFor(user, storage), `sign-in-${user}`)
      await stack.signIn(client, user)
      await client.disconnect()
    }
    pool = new MCPClientPool({ max: 10, idleTtl: 60_000 })
  })

  afterAll(async () => {
    await pool?.close()
    await stack?.close()
  })

  /** Concurrent `whoami` calls: `ROUNDS` per user, interleaved, each through the pool. */
  async function concurrentRound(): Promise<Array<{ user: string; seen: SeenCaller }>> {
    const calls = Array.from({ length: ROUNDS }, () => USERS).flatMap((users) =>
      users.map((user) =>
        pool.withClient(
          { user },
          ({ id }) => stack.clientWith(stack.providerFor(user, storage), id),
          async (client) => ({ user, seen: await whoamiThrough(client) }),
        ),
      ),
    )
    return Promise.all(calls)
  }

  function expectNoCrossing(results: Array<{ user: string; seen: SeenCaller }>) {
    const tokensByUser = new Map<string, Set<string>>()
    for (const { user, seen } of results) {
      expect(seen.sub, `a call made for ${user}`).toBe(user)
      const tokens = tokensByUser.get(user) ?? new Set<string>()
      tokens.add(seen.token!)
      tokensByUser.set(user, tokens)
    }
    const [alice, bob] = USERS.map((user) => tokensByUser.get(user) ?? new Set<string>())
    expect(alice!.size).toBeGreaterThan(0)
    expect(bob!.size).toBeGreaterThan(0)
    for (const token of alice!)
      expect(bob!.has(token), 'a token of alice in a call of bob').toBe(false)
    return tokensByUser
  }

  it('each user sees only their own identity under concurrent requests', async () => {
    const results = await concurrentRound()
    expect(results).toHaveLength(ROUNDS * USERS.length)
    expectNoCrossing(results)
    const stats = pool.stats()
    expect(stats.size, 'one pooled client per user').toBe(USERS.length)
    expect(stats.inUse).toBe(0)
  })

  it('their tokens stay apart when both refresh at the same time', async () => {
    const before = expectNoCrossing(await concurrentRound())
    const refreshesBefore = stack.issuer.grants.refresh_token ?? 0
    // Let both users' access tokens expire, then hit the pool concurrently again.
    await new Promise((resolve) => setTimeout(resolve, 4_500))
    const after = expectNoCrossing(await concurrentRound())
    for (const user of USERS) {
      const old = before.get(user)!
      const fresh = [...after.get(user)!].filter((token) => !old.has(token))
      expect(fresh.length, `${user} got a refreshed token`).toBeGreaterThan(0)
    }
    expect((stack.issuer.grants.refresh_token ?? 0) - refreshesBefore).toBeGreaterThanOrEqual(
      USERS.length,
    )
  })
})
