// How connecting to an HTTP server ends: SSE fallback only when the server says it does not
// speak Streamable HTTP (4xx on the POSTs: the 2026-07-28 probe, then `initialize`); a refused
// port or a hanging server is a clear error naming server and URL, quickly, with no fallback
// and nothing left running afterwards.
import { MCPClient } from '@mcpkit/mcp-client-core'
import { MCPClientError } from '@mcpkit/types'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FixtureServer, startFixture } from '../support/fixture-server.js'
import { expectMCPError, refusedPort, textOf } from '../support/helpers.js'
import { sleep } from '../support/processes.js'

describe('connecting over HTTP', () => {
  let sseOnly: FixtureServer
  let hanging: FixtureServer

  beforeAll(async () => {
    sseOnly = await startFixture({ mode: 'sse-only' })
    hanging = await startFixture({ mode: 'hang' })
  })
  afterAll(async () => {
    await sseOnly?.stop()
    await hanging?.stop()
  })

  it('falls back to legacy SSE when the Streamable HTTP POST is answered 405', async () => {
    const client = new MCPClient({
      id: 'fallback-405',
      servers: { legacy: { url: sseOnly.url } },
    })
    try {
      const tools = await client.listTools()
      expect(Object.keys(tools)).toEqual(
        expect.arrayContaining(['legacy_echo', 'legacy_increment', 'legacy_block']),
      )
      expect(textOf(await tools.legacy_echo?.execute({ text: 'via sse' }))).toBe('via sse')
    } finally {
      await client.disconnect()
    }
    // The modern probe and the legacy `initialize`, both answered 405, then the SSE stream.
    const posts = sseOnly.requests.filter(
      (request) => request.path === '/mcp' && request.method === 'POST',
    )
    expect(posts.map((request) => [request.rpcMethods, request.status])).toEqual([
      [['server/discover'], 405],
      [['initialize'], 405],
    ])
    expect(sseOnly.requests[2]?.method).toBe('GET')
  })

  it('reports a refused port as CONNECTION_FAILED naming server and URL, quickly, without trying SSE', async () => {
    const port = await refusedPort()
    const url = `http://127.0.0.1:${port}/mcp`
    const attempts: string[] = []
    const client = new MCPClient({
      id: 'refused',
      servers: {
        down: {
          url,
          timeout: 10_000,
          fetch: (target, init) => {
            attempts.push(`${init?.method ?? 'GET'} ${String(target)}`)
            return fetch(target, init)
          },
        },
      },
    })
    try {
      const started = Date.now()
      const { errors } = await client.listToolsWithErrors()
      const error = errors.down
      const elapsed = Date.now() - started
      expect(error).toBeInstanceOf(MCPClientError)
      expect(error?.code).toBe('CONNECTION_FAILED')
      expect(error?.serverName).toBe('down')
      expect(error?.message).toContain('"down"')
      expect(error?.message).toContain(url)
      expect(elapsed).toBeLessThan(3000)
      expect(attempts.length).toBeGreaterThanOrEqual(1)
      // Only Streamable HTTP POSTs: no GET of a legacy SSE stream.
      for (const attempt of attempts) expect(attempt.startsWith('POST ')).toBe(true)
    } finally {
      await client.disconnect()
    }
    // Nothing keeps trying after disconnect (Mastra's zombie SSE retried every ~3 s).
    const count = attempts.length
    await sleep(1000)
    expect(attempts.length).toBe(count)
  })

  it('makes listTools() and listToolsets() throw rather than return {} when every server failed', async () => {
    const port = await refusedPort()
    const client = new MCPClient({
      id: 'all-failed-throws',
      servers: {
        down: { url: `http://127.0.0.1:${port}/mcp` },
        missing: { command: 'mcpkit-test-no-such-command-3c8d' },
      },
    })
    try {
      await expect(client.listTools()).rejects.toBeInstanceOf(Error)
      await expect(client.listToolsets()).rejects.toBeInstanceOf(Error)
    } finally {
      await client.disconnect()
    }
  })

  it('makes listTools() throw the server’s own error, or CONNECTION_FAILED naming each, when every server failed', async () => {
    const port = await refusedPort()
    const single = new MCPClient({
      id: 'all-failed-single',
      servers: { down: { url: `http://127.0.0.1:${port}/mcp` } },
    })
    const several = new MCPClient({
      id: 'all-failed-several',
      servers: {
        down: { url: `http://127.0.0.1:${port}/mcp` },
        missing: { command: 'mcpkit-test-no-such-command-9b4f' },
      },
    })
    try {
      const one = await expectMCPError(() => single.listTools(), 'CONNECTION_FAILED')
      expect(one).toBeInstanceOf(MCPClientError)
      expect(one.serverName).toBe('down')
      const two = await expectMCPError(() => several.listTools(), 'CONNECTION_FAILED')
      expect(two.message).toContain('down')
      expect(two.message).toContain('missing')
      expect(two.message).toContain('mcpkit-test-no-such-command-9b4f')
    } finally {
      await Promise.all([single.disconnect(), several.disconnect()])
    }
  })

  it('uses a server that was down on the first call once it is up', async () => {
    const port = await refusedPort()
    const client = new MCPClient({
      id: 'down-then-up',
      servers: { late: { url: `http://127.0.0.1:${port}/mcp`, timeout: 5000 } },
    })
    const late = new FixtureServer()
    try {
      const first = await client.listToolsetsWithErrors()
      expect(first.errors.late?.code).toBe('CONNECTION_FAILED')
      expect(first.toolsets.late).toBeUndefined()

      await late.start(port)
      const second = await client.listToolsetsWithErrors()
      expect(second.errors.late).toBeUndefined()
      expect(Object.keys(second.toolsets.late ?? {})).toContain('echo')
      expect(textOf(await second.toolsets.late?.echo?.execute({ text: 'back' }))).toBe('back')
    } finally {
      await client.disconnect()
      await late.stop()
    }
  })

  it('gives up on a server that never answers with CONNECT_TIMEOUT within the timeout', async () => {
    const client = new MCPClient({
      id: 'hanging',
      servers: { slow: { url: hanging.url, timeout: 1000 } },
    })
    try {
      const started = Date.now()
      const { errors } = await client.listToolsWithErrors()
      const error = await expectMCPError(Promise.reject(errors.slow), 'CONNECT_TIMEOUT')
      const elapsed = Date.now() - started
      expect(elapsed).toBeGreaterThanOrEqual(900)
      expect(elapsed).toBeLessThan(3000)
      expect(error.serverName).toBe('slow')
      expect(error.message).toContain('"slow"')
      expect(error.message).toContain(hanging.url.href)
    } finally {
      await client.disconnect()
    }
    // A timeout is not a reason to try legacy SSE.
    expect(hanging.requests.filter((request) => request.method === 'GET')).toEqual([])
    const count = hanging.requests.length
    await sleep(1000)
    expect(hanging.requests.length).toBe(count)
  })

  it('reports a 401 as UNAUTHORIZED, without falling back to SSE', async () => {
    const protectedServer = await startFixture({ mode: 'unauthorized' })
    const client = new MCPClient({
      id: 'unauthorized',
      servers: {
        guarded: {
          url: protectedServer.url,
          requestInit: { headers: { authorization: 'Bearer expired' } },
        },
      },
    })
    try {
      const { errors } = await client.listToolsWithErrors()
      expect(errors.guarded?.code).toBe('UNAUTHORIZED')
      expect(errors.guarded?.message).toContain('"guarded"')
      expect(protectedServer.requests.map((request) => request.method)).toEqual(['POST'])
    } finally {
      await client.disconnect()
      await protectedServer.stop()
    }
  })

  it('names the URL and both attempts when a wrong path is 404 for Streamable HTTP and SSE alike', async () => {
    const server = await startFixture()
    const wrong = new URL('/wrong-path', server.url)
    const client = new MCPClient({
      id: 'wrong-path',
      servers: { misconfigured: { url: wrong, timeout: 5000 } },
    })
    try {
      const started = Date.now()
      const { errors } = await client.listToolsWithErrors()
      expect(Date.now() - started).toBeLessThan(3000)
      expect(errors.misconfigured?.code).toBe('CONNECTION_FAILED')
      expect(errors.misconfigured?.message).toContain(wrong.href)
      expect(errors.misconfigured?.message).toMatch(/404/)
      // the modern probe and `initialize` over Streamable HTTP, one SSE GET, nothing more
      expect(server.requests.map((request) => request.method)).toEqual(['POST', 'POST', 'GET'])
    } finally {
      await client.disconnect()
      await server.stop()
    }
  })
})
