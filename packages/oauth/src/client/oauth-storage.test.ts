// Storage keys: one (server, principal) per key prefix, whatever characters they hold.
import { describe, expect, it } from 'vitest'
import { MCPOAuthClientProvider } from './oauth-client-provider.js'
import { MemoryOAuthStorage, oauthStorageKey } from './oauth-storage.js'

const SERVER = 'https://mcp.example.com/mcp'
const REDIRECT = 'https://app.example.com/callback'

describe('storage keys', () => {
  it('never collide across servers and principals, whatever characters they hold', () => {
    const pairs = [
      ['https://a.example.com/mcp', 'alice'],
      ['https://a.example.com/mcp', 'bob'],
      ['https://a.example.com/mcp:alice', 'x'],
      ['https://a.example.com/mcp', 'x:tokens'],
      ['https://a.example.com/mcp', 'alice:'],
      ['https://b.example.com/mcp', 'alice'],
    ] as const
    const keys = pairs.map(([serverUrl, principal]) =>
      oauthStorageKey({ serverUrl, principal, entry: 'tokens' }),
    )
    expect(new Set(keys).size).toBe(pairs.length)
    // One URL spelled two ways is one server.
    expect(
      oauthStorageKey({
        serverUrl: 'HTTPS://A.example.com:443/mcp#x',
        principal: 'p',
        entry: 'state',
      }),
    ).toBe(
      oauthStorageKey({ serverUrl: 'https://a.example.com/mcp', principal: 'p', entry: 'state' }),
    )
  })

  it('keeps each principal’s tokens apart in one storage', async () => {
    const storage = new MemoryOAuthStorage()
    const provider = (principal: string) =>
      new MCPOAuthClientProvider({ serverUrl: SERVER, redirectUrl: REDIRECT, storage, principal })
    const alice = provider('alice')
    const bob = provider('bob')
    await alice.saveTokens({ access_token: 'alice-token', token_type: 'Bearer' })
    expect((await alice.tokens())?.access_token).toBe('alice-token')
    expect(await bob.tokens()).toBeUndefined()
    expect(storage.keys()).toEqual([
      oauthStorageKey({ serverUrl: SERVER, principal: 'alice', entry: 'tokens' }),
    ])
  })

  it('keeps the key format of v1 storages (tokens saved before the upgrade are found)', () => {
    expect(oauthStorageKey({ serverUrl: SERVER, principal: 'a b', entry: 'tokens' })).toBe(
      'mcpkit-oauth:v1:https%3A%2F%2Fmcp.example.com%2Fmcp:a%20b:tokens',
    )
  })
})
