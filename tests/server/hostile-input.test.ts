// Requests a local MCP server must survive: oversized and malformed bodies, unknown sessions,
// DNS-rebinding (wrong Host / Origin), and a thousand sessions opened and abandoned. Each gets
// a 4xx with a JSON-RPC error body where it is a JSON-RPC endpoint, and the server keeps
// serving the sessions it has and new ones.
import http from 'node:http'
import type { MCPServer } from '@mcpkit/mcp-server-core'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEverythingServer, SIMPLE_TEXT } from '../fixtures/everything-server.js'
import { textOf } from '../support/helpers.js'
import { waitFor } from '../support/processes.js'
import {
  connectSdkClient,
  type Host,
  hostServer,
  initializeBody,
  mcpPostHeaders,
  openRawSession,
  type RawResponse,
  rawRequest,
  startEverythingProcess,
} from '../support/server-host.js'
import type { StartedServer } from '../support/servers.js'

const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024

/** A JSON-RPC error response body: `{ jsonrpc: '2.0', error: { code, message }, id }`. */
function expectJsonRpcError(response: RawResponse, code?: number): void {
  const body = response.json as {
    jsonrpc?: string
    error?: { code?: unknown; message?: unknown }
  }
  expect(body?.jsonrpc, `not a JSON-RPC error body: ${response.text.slice(0, 200)}`).toBe('2.0')
  expect(typeof body.error?.code).toBe('number')
  expect(typeof body.error?.message).toBe('string')
  if (code !== undefined) expect(body.error?.code).toBe(code)
}

/** An `initialize` request padded with a string field up to `bytes` bytes in all. */
function paddedInitialize(bytes: number): Buffer {
  const head =
    '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"big","version":"1"},"padding":"'
  const tail = '"}}'
  return Buffer.from(head + 'x'.repeat(bytes - head.length - tail.length) + tail)
}

describe('hostile HTTP input (Streamable HTTP and legacy SSE, default options)', () => {
  let server: MCPServer
  let host: Host
  let established: Client
  let rawSession: string

  beforeAll(async () => {
    server = createEverythingServer()
    host = await hostServer(server)
    // Sessions opened before the attacks must still work after them.
    established = await connectSdkClient('http', host.mcpUrl)
    rawSession = await openRawSession(host.mcpUrl)
  })

  afterAll(async () => {
    await established?.close()
    await host?.close()
  })

  it('a body over the default cap (4 MiB) is refused with 413 and a JSON-RPC error', async () => {
    const response = await rawRequest(host.mcpUrl, {
      headers: mcpPostHeaders(),
      body: paddedInitialize(DEFAULT_MAX_BODY_BYTES + 1),
    })
    expect(response.status).toBe(413)
    expectJsonRpcError(response)
    expect(response.headers['mcp-session-id']).toBeUndefined()
  })

  it('a body just under the cap is served', async () => {
    const response = await rawRequest(host.mcpUrl, {
      headers: mcpPostHeaders(),
      body: paddedInitialize(DEFAULT_MAX_BODY_BYTES - 1024),
    })
    expect(response.status).toBe(200)
    expect(typeof response.headers['mcp-session-id']).toBe('string')
  })

  it('a chunked body (no Content-Length) that grows over the cap is refused with 413', async () => {
    const chunk = Buffer.alloc(512 * 1024, 'x')
    const response = await rawRequest(host.mcpUrl, {
      headers: mcpPostHeaders(),
      body: {
        chunks: [
          Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping","params":{"padding":"'),
          ...Array.from({ length: 10 }, () => chunk),
          Buffer.from('"}}'),
        ],
      },
    })
    expect(response.status).toBe(413)
    expectJsonRpcError(response)
  })

  it('invalid JSON is refused with 400 and a JSON-RPC parse error', async () => {
    const fresh = await rawRequest(host.mcpUrl, {
      headers: mcpPostHeaders(),
      body: '{"jsonrpc":"2.0","id":1,"method":"initialize",',
    })
    expect(fresh.status).toBe(400)
    expectJsonRpcError(fresh, -32700)

    const inSession = await rawRequest(host.mcpUrl, {
      headers: mcpPostHeaders(rawSession),
      body: 'not json at all',
    })
    expect(inSession.status).toBe(400)
    expectJsonRpcError(inSession, -32700)
  })

  it('JSON that is not JSON-RPC is refused with 400 and a JSON-RPC error', async () => {
    const response = await rawRequest(host.mcpUrl, {
      headers: mcpPostHeaders(rawSession),
      body: JSON.stringify({ hello: 'world' }),
    })
    expect(response.status).toBe(400)
    expectJsonRpcError(response)
  })

  it('an unknown session id gets 404 and a JSON-RPC error (POST, GET and DELETE)', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000'
    const post = await rawRequest(host.mcpUrl, {
      headers: mcpPostHeaders(unknown),
      body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/list' }),
    })
    expect(post.status).toBe(404)
    expectJsonRpcError(post)
    const get = await rawRequest(host.mcpUrl, {
      method: 'GET',
      headers: { accept: 'text/event-stream', 'mcp-session-id': unknown },
    })
    expect(get.status).toBe(404)
    const del = await rawRequest(host.mcpUrl, {
      method: 'DELETE',
      headers: { 'mcp-session-id': unknown },
    })
    expect(del.status).toBe(404)
  })

  it('DELETE ends a session; its id then gets 404', async () => {
    const session = await openRawSession(host.mcpUrl)
    const del = await rawRequest(host.mcpUrl, {
      method: 'DELETE',
      headers: { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' },
    })
    expect(del.status).toBe(200)
    const after = await rawRequest(host.mcpUrl, {
      headers: mcpPostHeaders(session),
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    })
    expect(after.status).toBe(404)
  })

  it('a wrong Host header is refused with 403 (DNS rebinding), on /mcp and on /sse', async () => {
    for (const hostHeader of [
      'evil.example.com',
      `evil.example.com:${host.port}`,
      '127.0.0.1.evil.example.com',
    ]) {
      const post = await rawRequest(host.mcpUrl, {
        headers: { ...mcpPostHeaders(), host: hostHeader },
        body: initializeBody(),
      })
      expect(post.status, `Host: ${hostHeader}`).toBe(403)
      expect(post.headers['mcp-session-id']).toBeUndefined()
    }
    const inSession = await rawRequest(host.mcpUrl, {
      headers: { ...mcpPostHeaders(rawSession), host: 'evil.example.com' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }),
    })
    expect(inSession.status).toBe(403)
    const sse = await rawRequest(host.sseUrl, {
      method: 'GET',
      headers: { accept: 'text/event-stream', host: 'evil.example.com' },
      timeoutMs: 3000,
    })
    expect(sse.status).toBe(403)
  })

  it('a wrong Origin header is refused with 403 even with a good Host', async () => {
    const post = await rawRequest(host.mcpUrl, {
      headers: { ...mcpPostHeaders(), origin: 'http://evil.example.com' },
      body: initializeBody(),
    })
    expect(post.status).toBe(403)
    const sse = await rawRequest(host.sseUrl, {
      method: 'GET',
      headers: { accept: 'text/event-stream', origin: 'https://evil.example.com' },
      timeoutMs: 3000,
    })
    expect(sse.status).toBe(403)
  })

  it('localhost Host and Origin values are accepted', async () => {
    for (const name of ['127.0.0.1', 'localhost']) {
      const response = await rawRequest(host.mcpUrl, {
        headers: {
          ...mcpPostHeaders(),
          host: `${name}:${host.port}`,
          origin: `http://${name}:${host.port}`,
        },
        body: initializeBody(),
      })
      expect(response.status, `Host/Origin ${name}`).toBe(200)
    }
  })

  it('legacy SSE: an unknown sessionId gets 404 and a bad body 400, both as JSON-RPC errors', async () => {
    const unknown = await rawRequest(
      new URL(`/message?sessionId=00000000-0000-4000-8000-000000000000`, host.sseUrl),
      {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      },
    )
    expect(unknown.status).toBe(404)
    expectJsonRpcError(unknown)

    const sseClient = await connectSdkClient('sse', host.sseUrl)
    try {
      const sessionId = (
        sseClient.transport as unknown as { _endpoint?: URL }
      )._endpoint?.searchParams.get('sessionId')
      expect(sessionId).toBeTruthy()
      const bad = await rawRequest(new URL(`/message?sessionId=${sessionId}`, host.sseUrl), {
        headers: { 'content-type': 'application/json' },
        body: '{ nope',
      })
      expect(bad.status).toBe(400)
      expectJsonRpcError(bad, -32700)
      const big = await rawRequest(new URL(`/message?sessionId=${sessionId}`, host.sseUrl), {
        headers: { 'content-type': 'application/json' },
        body: paddedInitialize(DEFAULT_MAX_BODY_BYTES + 1),
      })
      expect(big.status).toBe(413)
      // The SSE session itself is fine.
      expect(textOf(await sseClient.callTool({ name: 'test_simple_text' }))).toBe(SIMPLE_TEXT)
    } finally {
      await sseClient.close()
    }
  })

  it('keeps serving: sessions opened before still work, and new clients connect', async () => {
    expect(textOf(await established.callTool({ name: 'test_simple_text' }))).toBe(SIMPLE_TEXT)
    const list = await rawRequest(host.mcpUrl, {
      headers: mcpPostHeaders(rawSession),
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
    })
    expect(list.status).toBe(200)
    expect(list.text).toContain('test_simple_text')
    const fresh = await connectSdkClient('http', host.mcpUrl)
    try {
      expect(textOf(await fresh.callTool({ name: 'test_simple_text' }))).toBe(SIMPLE_TEXT)
    } finally {
      await fresh.close()
    }
  })
})

describe('configured limits', () => {
  it('maxBodyBytes and allowedHosts are honoured', async () => {
    const server = createEverythingServer()
    const host = await hostServer(server, {
      options: { maxBodyBytes: 2048, allowedHosts: ['mcp.example.com'] },
    })
    try {
      const headers = { ...mcpPostHeaders(), host: 'mcp.example.com' }
      const small = await rawRequest(host.mcpUrl, { headers, body: paddedInitialize(2000) })
      expect(small.status).toBe(200)
      const large = await rawRequest(host.mcpUrl, { headers, body: paddedInitialize(2049) })
      expect(large.status).toBe(413)
      const loopback = await rawRequest(host.mcpUrl, {
        headers: mcpPostHeaders(),
        body: initializeBody(),
      })
      expect(loopback.status, 'Host 127.0.0.1 is not in allowedHosts').toBe(403)
    } finally {
      await host.close()
    }
  })
})

describe('the session cap', () => {
  it('maxSessions: a new session beyond the cap closes the one idle the longest', async () => {
    const server = createEverythingServer()
    const host = await hostServer(server, { options: { maxSessions: 2 } })
    try {
      const first = await openRawSession(host.mcpUrl)
      const second = await openRawSession(host.mcpUrl)
      // Touch the first, so the second is now the longest idle.
      const touched = await rawRequest(host.mcpUrl, {
        headers: mcpPostHeaders(first),
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      })
      expect(touched.status).toBe(200)
      const third = await openRawSession(host.mcpUrl)
      const status = async (sessionId: string) =>
        (
          await rawRequest(host.mcpUrl, {
            headers: mcpPostHeaders(sessionId),
            body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
          })
        ).status
      expect(await status(second), 'the longest-idle session is closed').toBe(404)
      expect(await status(first)).toBe(200)
      expect(await status(third)).toBe(200)
    } finally {
      await host.close()
    }
  })
})

describe('1,000 sessions opened and abandoned (server in its own process)', () => {
  const SESSIONS = 1000
  // Long enough that opening all of them takes less (checked below), short enough to wait for.
  const IDLE_TIMEOUT_MS = 8000
  const CONCURRENCY = 20
  let server: StartedServer
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY })

  beforeAll(async () => {
    server = await startEverythingProcess('http', {
      nodeArgs: ['--expose-gc'],
      args: ['--debug', '--idle-timeout-ms', String(IDLE_TIMEOUT_MS), '--max-sessions', '5000'],
    })
  })

  afterAll(async () => {
    agent.destroy()
    await server?.stop()
  })

  async function memory(): Promise<{ heapUsed: number; gc: boolean; sessions: number }> {
    const response = await rawRequest(new URL('/debug/memory', server.url), { method: 'GET' })
    return response.json as { heapUsed: number; gc: boolean; sessions: number }
  }

  function ping(sessionId: string | undefined): Promise<RawResponse> {
    return rawRequest(server.url, {
      headers: mcpPostHeaders(sessionId),
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      agent,
    })
  }

  /** Runs `task(index)` for 0…count-1, at most `CONCURRENCY` at a time. */
  async function pool<T>(count: number, task: (index: number) => Promise<T>): Promise<T[]> {
    const results: T[] = new Array(count)
    let next = 0
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < count) {
          const index = next++
          results[index] = await task(index)
        }
      }),
    )
    return results
  }

  it('expires every idle session after the TTL (404), and the heap returns near its baseline', async () => {
    // Warm up (lazy imports, JIT, schema compilation), end those sessions, then measure.
    const warmUp = await pool(50, () => openRawSession(server.url, {}, {}, agent))
    await pool(warmUp.length, (index) =>
      rawRequest(server.url, {
        method: 'DELETE',
        headers: { 'mcp-session-id': warmUp[index] ?? '', 'mcp-protocol-version': '2025-06-18' },
        agent,
      }),
    )
    const baseline = await memory()
    expect(baseline.gc, 'the fixture did not get --expose-gc').toBe(true)
    expect(baseline.sessions, 'sessions left from the warm-up').toBe(0)

    const started = Date.now()
    const ids = await pool(SESSIONS, () => openRawSession(server.url, {}, {}, agent))
    const openingMs = Date.now() - started
    expect(openingMs, 'opening the sessions took longer than their TTL').toBeLessThan(
      IDLE_TIMEOUT_MS,
    )
    expect(new Set(ids).size).toBe(SESSIONS)
    const loaded = await memory()
    const growth = loaded.heapUsed - baseline.heapUsed
    expect(loaded.sessions, 'live sessions (onsessioninitialized − onsessionclosed)').toBe(SESSIONS)

    // Every id answers 404 once expired (a bounded wait: TTL plus a sweep, with room for CI).
    const expired = await waitFor(async () => (await memory()).sessions === 0, {
      timeoutMs: IDLE_TIMEOUT_MS * 3,
      intervalMs: 250,
    })
    expect(expired, 'sessions still live after 3× the idle TTL').toBe(true)
    const statuses = await pool(SESSIONS, async (index) => (await ping(ids[index])).status)
    const alive = statuses.filter((status) => status !== 404).length
    expect(alive, 'sessions still answering after the idle TTL').toBe(0)

    const after = await memory()
    expect(after.sessions, 'live sessions after the idle TTL').toBe(0)
    const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`
    const report = `heap: baseline ${mib(baseline.heapUsed)}, with ${SESSIONS} sessions ${mib(loaded.heapUsed)} (opened in ${openingMs} ms), after expiry ${mib(after.heapUsed)}`
    console.log(report)
    expect(growth, `1,000 sessions should cost measurable heap; ${report}`).toBeGreaterThan(
      1024 * 1024,
    )
    expect(after.heapUsed - baseline.heapUsed, report).toBeLessThan(
      Math.max(0.2 * growth, 3 * 1024 * 1024),
    )

    // Still serving.
    const client = await connectSdkClient('http', server.url)
    try {
      expect(textOf(await client.callTool({ name: 'test_simple_text' }))).toBe(SIMPLE_TEXT)
    } finally {
      await client.close()
    }
  }, 90_000)
})
