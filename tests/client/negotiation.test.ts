// How MCPClient finds the protocol era of a server (`protocolVersion: 'auto'`, the default):
// a probe answered 401/403 is refused credentials, a 5xx or silence an error naming the server,
// never a legacy verdict; a legacy stdio server that exits on the probe is still reached; the
// verdict is kept per server and authorization context, so reconnects and pooled clients of
// the same user do not probe again; one client holds legacy and modern servers at once.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { MCPClient, MCPClientPool, ProtocolEraCache } from '@mcpkit/mcp-client-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildFixtures } from '../fixtures/build.mjs'
import { type FixtureServer, startFixture } from '../support/fixture-server.js'
import { cleanupsAfterEach, expectMCPError, textOf } from '../support/helpers.js'
import { type ModernHost, startModernHost } from '../support/modern-host.js'
import { makeTempDir, readPids } from '../support/processes.js'
import { everythingStdio } from '../support/servers.js'

const cleanups = cleanupsAfterEach()

let fixturesDir: string
beforeAll(() => {
  fixturesDir = buildFixtures().dir
})

function track<
  T extends
    | { disconnect(): Promise<void> }
    | { stop(): Promise<void> }
    | { close(): Promise<void> },
>(thing: T): T {
  cleanups.push(() =>
    'disconnect' in thing ? thing.disconnect() : 'stop' in thing ? thing.stop() : thing.close(),
  )
  return thing
}

async function modernHost(): Promise<ModernHost> {
  return track(await startModernHost())
}

async function legacyHttp(): Promise<FixtureServer> {
  return track(await startFixture())
}

describe('a probe that is not answered with an era', () => {
  /** A modern host answering every POST with `status`, and a client of it named `name`. */
  async function answering(status: number, name: string) {
    const host = await modernHost()
    host.front.status = status
    const client = track(
      new MCPClient({ id: `probe-${status}`, servers: { [name]: { url: host.url } } }),
    )
    return { host, client }
  }

  it.each([401, 403])(
    'is refused credentials when answered %i, never a legacy verdict',
    async (status) => {
      const { host, client } = await answering(status, 'guarded')
      const error = await expectMCPError(client.listTools(), 'UNAUTHORIZED')
      expect(error.serverName).toBe('guarded')
      expect(error.message).toContain('"guarded"')
      // The probe only: no 2025 `initialize`, no legacy SSE stream.
      expect(host.requests.map((request) => [request.method, request.rpcMethod])).toEqual([
        ['POST', 'server/discover'],
      ])
    },
  )

  it.each([500, 502, 503])('is an error naming the server when answered %i', async (status) => {
    const { host, client } = await answering(status, 'flaky')
    const error = await expectMCPError(client.listTools(), 'CONNECTION_FAILED')
    expect(error.message).toContain('"flaky"')
    expect(error.message).toContain(String(status))
    expect(host.rpcMethods).toEqual(['server/discover'])
  })

  it('is a timeout naming the server when not answered at all', async () => {
    const host = await modernHost()
    host.front.hang = true
    const client = track(
      new MCPClient({ id: 'probe-hang', servers: { silent: { url: host.url, timeout: 1500 } } }),
    )
    const started = Date.now()
    const error = await expectMCPError(client.listTools(), 'CONNECT_TIMEOUT')
    expect(Date.now() - started).toBeLessThan(5000)
    expect(error.message).toContain('"silent"')
    expect(host.rpcMethods).toEqual(['server/discover'])
  })

  it('is a legacy verdict when answered 2xx with nothing usable (a proxy swallowing it)', async () => {
    const legacy = await legacyHttp()
    // A front that answers the probe 200 with an empty body and passes the rest on.
    const front: Server = createServer((req, res) => {
      proxy(req, res).catch(() => res.destroy())
    })
    const proxy = async (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      const body = Buffer.concat(chunks)
      if (body.toString().includes('"server/discover"')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end()
        return
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(
          ([name]) => !['host', 'connection', 'content-length'].includes(name),
        ),
      ) as Record<string, string>
      const answer = await fetch(new URL(req.url ?? '/', legacy.url), {
        method: req.method ?? 'GET',
        headers,
        ...(body.length ? { body: new Uint8Array(body) } : {}),
      })
      res.writeHead(answer.status, Object.fromEntries(answer.headers))
      res.end(Buffer.from(await answer.arrayBuffer()))
    }
    await new Promise<void>((resolve) => front.listen({ port: 0, host: '127.0.0.1' }, resolve))
    cleanups.push(() => new Promise((resolve) => front.close(resolve)))
    const address = front.address() as { port: number }
    const client = track(
      new MCPClient({
        id: 'probe-empty-200',
        servers: {
          proxied: { url: `http://127.0.0.1:${address.port}/mcp`, enableServerLogs: false },
        },
      }),
    )
    const tools = await client.listTools()
    expect(textOf(await tools.proxied_echo!.execute({ text: 'through' }))).toBe('through')
    expect(client.getServerProtocolEras()).toEqual({ proxied: 'legacy' })
    // The JSON answers of the legacy fixture need no live stream: close it with the client.
    front.closeAllConnections()
  })
})

describe('a legacy stdio server that exits on any request before initialize', () => {
  it('is reached in auto mode: started again once, then never probed again', async () => {
    const dir = await makeTempDir('exit-on-probe')
    cleanups.push(() => dir.remove())
    const startLog = `${dir.path}/starts.log`
    const definition = {
      command: process.execPath,
      args: [`${fixturesDir}/exit-on-probe-server.js`],
      env: { MCPKIT_TEST_START_LOG: startLog },
      stderr: 'ignore' as const,
    }
    const eras = new ProtocolEraCache()
    const first = track(
      new MCPClient({ id: 'exit-on-probe-1', servers: { picky: definition }, cache: { eras } }),
    )
    const tools = await first.listTools()
    expect(textOf(await tools.picky_hello!.execute({}))).toBe('hello')
    expect(first.getServerProtocolEras()).toEqual({ picky: 'legacy' })
    // The probe's process exited; the session's process got `initialize` first.
    expect(readPids(startLog)).toHaveLength(2)

    // Another client of the same authorization context trusts the verdict: one process.
    const second = track(
      new MCPClient({ id: 'exit-on-probe-2', servers: { picky: definition }, cache: { eras } }),
    )
    await second.listTools()
    expect(readPids(startLog)).toHaveLength(3)
  })

  it('with protocolVersion: legacy is never probed', async () => {
    const dir = await makeTempDir('exit-on-probe-legacy')
    cleanups.push(() => dir.remove())
    const startLog = `${dir.path}/starts.log`
    const client = track(
      new MCPClient({
        id: 'exit-on-probe-pinned',
        servers: {
          picky: {
            command: process.execPath,
            args: [`${fixturesDir}/exit-on-probe-server.js`],
            env: { MCPKIT_TEST_START_LOG: startLog },
            protocolVersion: 'legacy',
          },
        },
      }),
    )
    await client.listTools()
    expect(readPids(startLog)).toHaveLength(1)
    expect(client.getServerProtocolVersions().picky).toBe('2025-11-25')
  })
})

describe('pinned eras', () => {
  const pinned = (id: string, name: string, url: URL, protocolVersion: '2026-07-28' | 'legacy') =>
    track(new MCPClient({ id, servers: { [name]: { url, protocolVersion } } }))

  it("'2026-07-28' refuses a legacy server instead of falling back", async () => {
    const legacy = await legacyHttp()
    const client = pinned('pin-modern', 'old', legacy.url, '2026-07-28')
    const error = await expectMCPError(client.listTools(), 'CONNECTION_FAILED')
    expect(error.message).toContain('"old"')
    expect(legacy.requests.flatMap((request) => request.rpcMethods)).not.toContain('initialize')
  })

  it("'legacy' speaks the 2025 handshake without a probe", async () => {
    const legacy = await legacyHttp()
    const client = pinned('pin-legacy', 'old', legacy.url, 'legacy')
    await client.listTools()
    expect(legacy.requests[0]?.rpcMethods).toEqual(['initialize'])
    expect(client.getServerProtocolEras()).toEqual({ old: 'legacy' })
  })

  it("'legacy' against a modern-only server fails with an error naming it", async () => {
    const host = await modernHost()
    const client = pinned('pin-legacy-modern', 'fresh', host.url, 'legacy')
    const error = await expectMCPError(client.listTools(), 'CONNECTION_FAILED')
    expect(error.message).toContain('"fresh"')
  })

  it('rejects an unknown protocolVersion, and modern over legacy SSE, up front', async () => {
    await expectMCPError(
      () =>
        new MCPClient({
          id: 'bad-version',
          servers: { x: { url: 'http://127.0.0.1:9/mcp', protocolVersion: '2025-11-25' as never } },
        }),
      'INVALID_DEFINITION',
    )
    await expectMCPError(
      () =>
        new MCPClient({
          id: 'modern-sse',
          servers: {
            x: { url: 'http://127.0.0.1:9/sse', transport: 'sse', protocolVersion: '2026-07-28' },
          },
        }),
      'INVALID_DEFINITION',
    )
  })
})

describe('one client, both eras', () => {
  it('holds a legacy stdio server, a legacy HTTP server and a modern one at once', async () => {
    const host = await modernHost()
    const legacy = await legacyHttp()
    const client = track(
      new MCPClient({
        id: 'both-eras',
        servers: {
          everything: everythingStdio(),
          fixture: { url: legacy.url },
          modern: { url: host.url },
        },
      }),
    )
    const tools = await client.listTools()
    expect(client.getServerProtocolEras()).toEqual({
      everything: 'legacy',
      fixture: 'legacy',
      modern: 'modern',
    })
    const versions = client.getServerProtocolVersions()
    expect(versions.modern).toBe('2026-07-28')
    expect(versions.everything).toMatch(/^2025-/)
    expect(textOf(await tools.everything_echo!.execute({ message: 'a' }))).toContain('a')
    expect(textOf(await tools.fixture_echo!.execute({ text: 'b' }))).toBe('b')
    expect(textOf(await tools.modern_echo!.execute({ text: 'c' }))).toBe('c')
  })
})

describe('the era verdict', () => {
  it('survives a reconnect: a renewed legacy session is not probed again', async () => {
    const legacy = await legacyHttp()
    const client = track(
      new MCPClient({ id: 'verdict-reconnect', servers: { old: { url: legacy.url } } }),
    )
    const tools = await client.listTools()
    await legacy.dropSessions()
    expect(textOf(await tools.old_echo!.execute({ text: 'again' }))).toBe('again')
    const methods = legacy.requests.flatMap((request) => request.rpcMethods)
    expect(methods.filter((method) => method === 'server/discover')).toHaveLength(1)
    expect(methods.filter((method) => method === 'initialize')).toHaveLength(2)
  })

  it('is shared by pooled clients of one user, and never with another user', async () => {
    const host = await modernHost()
    const pool = track(new MCPClientPool({ max: 1 }))
    const create =
      (token: string) =>
      ({ id, cache }: { id: string; cache: object }) =>
        new MCPClient({
          id,
          cache,
          servers: {
            modern: {
              url: host.url,
              requestInit: { headers: { authorization: `Bearer ${token}` } },
            },
          },
        })
    await pool.withClient({ user: 'alice', credentials: 'token-a' }, create('token-a'), (client) =>
      client.listTools(),
    )
    expect(host.count('server/discover')).toBe(1)
    // Bob's client (alice's is evicted: max 1) learns the era with his own token.
    await pool.withClient({ user: 'bob', credentials: 'token-b' }, create('token-b'), (client) =>
      client.listTools(),
    )
    expect(host.count('server/discover')).toBe(2)
    // Alice's new client trusts what her first one learned.
    await pool.withClient({ user: 'alice', credentials: 'token-a' }, create('token-a'), (client) =>
      client.listTools(),
    )
    expect(host.count('server/discover')).toBe(2)
  })
})
