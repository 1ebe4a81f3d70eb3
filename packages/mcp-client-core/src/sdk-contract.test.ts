/**
 * The assumptions `sdk-contract.ts` documents, checked against the installed SDK with a real
 * 2026-07-28 server (`createMcpHandler`, served in-process through its fetch function): an SDK
 * upgrade that breaks one fails here, not in a user's call.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { createMcpHandler, fromJsonSchema, McpServer } from '@modelcontextprotocol/server'
import { afterEach, describe, expect, it } from 'vitest'
import { cacheHintOf } from './sdk-contract.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function connected(
  cacheHints?: Record<string, { ttlMs: number; cacheScope: 'public' | 'private' }>,
) {
  const handler = createMcpHandler(
    () => {
      const server = new McpServer(
        { name: 'contract', version: '1.0.0' },
        { ...(cacheHints ? { cacheHints } : {}) },
      )
      server.registerTool(
        'noop',
        { inputSchema: fromJsonSchema({ type: 'object' }) },
        async () => ({ content: [] }),
      )
      return server
    },
    { legacy: 'reject' },
  )
  const client = new Client(
    { name: 'contract', version: '1.0.0' },
    { versionNegotiation: { mode: 'auto' } },
  )
  await client.connect(
    new StreamableHTTPClientTransport(new URL('http://contract.invalid/mcp'), {
      fetch: (url, init) => handler.fetch(new Request(url, init)),
    }),
  )
  cleanups.push(
    () => handler.close(),
    () => client.close(),
  )
  return client
}

describe('the SDK contract (cache hints)', () => {
  it('leaves the ttlMs and cacheScope of a 2026-07-28 tools/list result on the object it returns', async () => {
    const client = await connected({ 'tools/list': { ttlMs: 45_000, cacheScope: 'public' } })
    const result = await client.listTools()
    expect(result.tools.map((tool) => tool.name)).toEqual(['noop'])
    expect(cacheHintOf(result)).toEqual({ ttlMs: 45_000, cacheScope: 'public' })
    // Served from the SDK's own cache, the result still carries them.
    expect(cacheHintOf(await client.listTools())).toEqual({ ttlMs: 45_000, cacheScope: 'public' })
  })

  it('reads the default hint a server without cacheHints sends: 0 ms, private', async () => {
    const client = await connected()
    expect(cacheHintOf(await client.listTools())).toEqual({ ttlMs: 0, cacheScope: 'private' })
  })

  it('clamps hints and ignores what is not one', () => {
    expect(cacheHintOf({ ttlMs: -5, cacheScope: 'shared' })).toEqual({
      ttlMs: 0,
      cacheScope: undefined,
    })
    expect(cacheHintOf({ ttlMs: 10 * 24 * 3600_000 }).ttlMs).toBe(24 * 3600_000)
    expect(cacheHintOf({})).toEqual({ ttlMs: undefined, cacheScope: undefined })
  })
})
