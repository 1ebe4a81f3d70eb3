// Storage keys: one (server, principal) per key prefix, whatever characters they hold; each call
// also says what the key is made of, with the issuer of issuer-specific values.
import { describe, expect, it } from 'vitest'
import { MCPOAuthClientProvider } from './oauth-client-provider.js'
import { MemoryOAuthStorage, type OAuthStorageContext, oauthStorageKey } from './oauth-storage.js'

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

describe('storage context', () => {
  it('names the issuer of tokens and discovery, and keeps one key per entry', async () => {
    const calls: { method: string; key: string; context: OAuthStorageContext | undefined }[] = []
    const memory = new MemoryOAuthStorage()
    const storage = {
      get: (key: string, context?: OAuthStorageContext) => {
        calls.push({ method: 'get', key, context })
        return memory.get(key)
      },
      set: (key: string, value: string, context?: OAuthStorageContext) => {
        calls.push({ method: 'set', key, context })
        memory.set(key, value)
      },
      delete: (key: string, context?: OAuthStorageContext) => {
        calls.push({ method: 'delete', key, context })
        memory.delete(key)
      },
    }
    const provider = new MCPOAuthClientProvider({
      serverUrl: SERVER,
      redirectUrl: REDIRECT,
      storage,
      principal: 'alice',
    })
    const issuer = 'https://as.example.com'
    const tokensKey = oauthStorageKey({ serverUrl: SERVER, principal: 'alice', entry: 'tokens' })
    const base = { serverUrl: SERVER, principal: 'alice', entry: 'tokens' }

    await provider.saveTokens({ access_token: 't', token_type: 'Bearer', issuer }, { issuer })
    expect(calls.find((call) => call.method === 'set' && call.key === tokensKey)?.context).toEqual({
      ...base,
      issuer,
    })
    calls.length = 0
    expect((await provider.tokens({ issuer }))?.access_token).toBe('t')
    expect(calls).toEqual([{ method: 'get', key: tokensKey, context: { ...base, issuer } }])
    calls.length = 0
    // The token a transport presents: the latest, whatever its issuer.
    expect((await provider.tokens())?.access_token).toBe('t')
    expect(calls).toEqual([{ method: 'get', key: tokensKey, context: base }])
    calls.length = 0
    // Signing out removes every issuer's values; the memory storage keeps its keys as before.
    expect(memory.keys()).toEqual([tokensKey])
    await provider.clear()
    expect(calls.every((call) => call.context?.issuer === undefined)).toBe(true)
    expect(memory.size).toBe(0)
  })
})
