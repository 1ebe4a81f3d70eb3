import { Client } from '@modelcontextprotocol/client'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { NodeSseHandler } from '../node/node-sse-handler.js'
import { NodeStreamableHttpHandler } from '../node/node-streamable-http-handler.js'
import { fixtureServerFactory, listen } from '../test-support.js'
import { type ClientConnection, type ConnectClientOptions, connectClient } from './connect.js'

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

type HttpKind = 'streamable-http' | 'sse'

/**
 * A real mcpkit handler of `kind` on node:http, behind a front that answers POSTs itself with
 * `refuse.status` while it is set (a gateway refusing a token, a server that lost the session),
 * and that never answers a `DELETE` while `holdDelete.held` is set (calling it when one comes).
 */
async function serve(kind: HttpKind) {
  const fixture = fixtureServerFactory()
  const streamable = new NodeStreamableHttpHandler({ createServer: fixture.createServer })
  const sse = new NodeSseHandler({ createServer: fixture.createServer })
  const refuse: { status: number | undefined } = { status: undefined }
  const holdDelete: { held: (() => void) | undefined } = { held: undefined }
  const http = await listen((req, res) => {
    if (holdDelete.held && req.method === 'DELETE') {
      holdDelete.held()
      return
    }
    if (refuse.status !== undefined && req.method === 'POST') {
      const status = refuse.status
      req.resume()
      res.writeHead(status, {
        'content-type': 'application/json',
        ...(status === 401 ? { 'www-authenticate': 'Bearer error="invalid_token"' } : {}),
      })
      res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'no' } }))
      return
    }
    return kind === 'streamable-http'
      ? streamable.handle(req, res)
      : sse.handle(req, res, { ssePath: '/sse', messagePath: '/message' })
  })
  cleanups.push(
    () => http.close(),
    () => streamable.close(),
    () => sse.close(),
    () => fixture.release(),
  )
  return { http, refuse, holdDelete, fixture }
}

async function connect(
  kind: HttpKind,
  url: string,
  options: Pick<ConnectClientOptions, 'log'> & { protocolVersion?: 'legacy' } = {},
): Promise<ClientConnection> {
  const { log, protocolVersion } = options
  const connection = await connectClient({
    serverName: 'fixture',
    definition: { url, transport: kind, ...(protocolVersion ? { protocolVersion } : {}) },
    ...(log ? { log } : {}),
    createClient: () => new Client({ name: 'connect-test', version: '1.0.0' }),
    timeout: 10_000,
  })
  cleanups.push(() => connection.close())
  return connection
}

/** The error `call` fails with (handled at once, however late it is looked at). */
const failed = (call: Promise<unknown>): Promise<unknown> =>
  call.then(
    () => new Error('the call was expected to fail'),
    (error: unknown) => error,
  )

const failureOf = async (connection: ClientConnection, call: Promise<unknown>) =>
  connection.failureOf(await failed(call))

const whoami = (connection: ClientConnection) =>
  connection.client.callTool({ name: 'whoami', arguments: {} })

describe.each(['streamable-http', 'sse'] as const)('ClientConnection.failureOf (%s)', (kind) => {
  const path = kind === 'sse' ? '/sse' : '/mcp'

  it('says nothing about errors that leave the connection as it was', async () => {
    const { http } = await serve(kind)
    const connection = await connect(kind, http.url(path))
    expect(connection.kind).toBe(kind)
    // The fixture throws for an unknown tool: an error answer, the connection is fine.
    expect(
      await failureOf(connection, connection.client.callTool({ name: 'nope', arguments: {} })),
    ).toBeUndefined()
    expect(connection.failureOf(new Error('anything'))).toBeUndefined()
    expect(connection.failureOf(undefined)).toBeUndefined()
    expect((await connection.client.listTools()).tools).toHaveLength(3)
  })

  it.each([401, 403])('classifies a %i answer as unauthorized', async (status) => {
    const { http, refuse } = await serve(kind)
    const connection = await connect(kind, http.url(path))
    refuse.status = status
    expect(await failureOf(connection, whoami(connection))).toBe('unauthorized')
  })

  it('classifies a 404 answer as session-expired', async () => {
    const { http, refuse } = await serve(kind)
    const connection = await connect(kind, http.url(path))
    refuse.status = 404
    expect(await failureOf(connection, whoami(connection))).toBe('session-expired')
  })

  it("never takes the server's answer or a timeout for an expired session or refused credentials", async () => {
    const { http, refuse, fixture } = await serve(kind)
    const connection = await connect(kind, http.url(path))
    const started = fixture.waitStarted()
    const answered = failed(connection.client.callTool({ name: 'wait', arguments: { fail: true } }))
    await started
    // Other requests find the credentials refused, then the session gone...
    refuse.status = 401
    expect(await failureOf(connection, whoami(connection))).toBe('unauthorized')
    refuse.status = 404
    expect(await failureOf(connection, whoami(connection))).toBe('session-expired')
    refuse.status = undefined
    // ...while the first one ran, and is answered with an error: it must not be sent again.
    fixture.release()
    const answer = await answered
    expect(answer).toMatchObject({ message: expect.stringContaining('failed after waiting') })
    expect(connection.failureOf(answer)).toBeUndefined()
    const timedOut = connection.client.callTool({ name: 'wait', arguments: {} }, { timeout: 50 })
    expect(await failureOf(connection, timedOut)).toBeUndefined()
  })

  it('forgets refused credentials once a request gets through again', async () => {
    const { http, refuse } = await serve(kind)
    const connection = await connect(kind, http.url(path))
    refuse.status = 403
    expect(await failureOf(connection, whoami(connection))).toBe('unauthorized')
    refuse.status = undefined
    await whoami(connection)
    refuse.status = 500
    expect(await failureOf(connection, whoami(connection))).toBeUndefined()
  })

  it('classifies a refused connection as connection-lost', async () => {
    const { http } = await serve(kind)
    const connection = await connect(kind, http.url(path))
    await http.close()
    expect(await failureOf(connection, whoami(connection))).toBe('connection-lost')
  })

  it('classifies a connection closed under a request as connection-lost', async () => {
    const { http, fixture } = await serve(kind)
    const connection = await connect(kind, http.url(path))
    const started = fixture.waitStarted()
    const waiting = failed(connection.client.callTool({ name: 'wait', arguments: {} }))
    // The request is being handled by the server when the connection closes.
    await started
    await connection.transport.close()
    expect(connection.failureOf(await waiting)).toBe('connection-lost')
    // A call after the close is refused before it is sent: connection-lost as well.
    expect(await failureOf(connection, whoami(connection))).toBe('connection-lost')
  })
})

describe('ClientConnection.close (streamable-http)', () => {
  it('ends the session with DELETE, and gives up waiting for its answer after 5 s', async () => {
    const { http, holdDelete } = await serve('streamable-http')
    const warnings: string[] = []
    // The 2025 era: a session, so a DELETE to end it.
    const connection = await connect('streamable-http', http.url('/mcp'), {
      protocolVersion: 'legacy',
      log: (level, message) => {
        if (level === 'warning') warnings.push(message)
      },
    })
    expect(connection.transport.sessionId).toEqual(expect.any(String))
    const deleteArrived = new Promise<void>((resolve) => {
      holdDelete.held = resolve
    })
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      let closed = false
      const closing = connection.close().then(() => {
        closed = true
      })
      await deleteArrived
      await vi.advanceTimersByTimeAsync(4999)
      expect(closed).toBe(false)
      await vi.advanceTimersByTimeAsync(1)
      await closing
    } finally {
      vi.useRealTimers()
    }
    expect(warnings).toEqual(['could not end the session with DELETE: no answer within 5000 ms'])
  })
})

/**
 * A stdio MCP server by hand (no SDK in the child): tools `echo`, `fail` (an error answer),
 * `die` (the process exits mid-request) and `flood` (an 11 MB line, longer than the SDK's 10 MB read buffer).
 */
const stdioServer = `
const readline = require('node:readline')
const send = (message) => process.stdout.write(JSON.stringify(message) + '\\n')
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const message = JSON.parse(line)
  if (message.id === undefined) return
  if (message.method === 'initialize') {
    return send({ jsonrpc: '2.0', id: message.id, result: {
      protocolVersion: message.params.protocolVersion,
      capabilities: { tools: {} },
      serverInfo: { name: 'stdio-fixture', version: '1.0.0' },
    } })
  }
  const name = message.params && message.params.name
  if (name === 'die') process.exit(7)
  if (name === 'flood') {
    const pad = 'x'.repeat(${11 * 1024 * 1024})
    return process.stdout.write('{"jsonrpc":"2.0","id":' + message.id + ',"result":{"pad":"' + pad + '"}}\\n')
  }
  if (name === 'fail') {
    return send({ jsonrpc: '2.0', id: message.id, error: { code: -32603, message: 'tool failed' } })
  }
  send({ jsonrpc: '2.0', id: message.id, result: { content: [{ type: 'text', text: String(name) }] } })
}).on('close', () => process.exit(0))
`

describe('ClientConnection.failureOf (stdio)', () => {
  async function connectStdio(maxResponseBytes?: number) {
    const connection = await connectClient({
      serverName: 'stdio-fixture',
      definition: {
        command: process.execPath,
        args: ['-e', stdioServer],
        stderr: 'ignore',
        ...(maxResponseBytes === undefined ? {} : { maxResponseBytes }),
      },
      createClient: () => new Client({ name: 'connect-test', version: '1.0.0' }),
      timeout: 10_000,
    })
    cleanups.push(() => connection.close())
    return connection
  }
  const callTool = (connection: ClientConnection, name: string) =>
    connection.client.callTool({ name, arguments: {} })

  it('says nothing about an error answer', async () => {
    const connection = await connectStdio()
    expect(connection.kind).toBe('stdio')
    expect(await callTool(connection, 'echo')).toMatchObject({ content: [{ text: 'echo' }] })
    expect(await failureOf(connection, callTool(connection, 'fail'))).toBeUndefined()
  })

  it('classifies a server that exits under a request, and calls after it, as connection-lost', async () => {
    const connection = await connectStdio()
    expect(await failureOf(connection, callTool(connection, 'die'))).toBe('connection-lost')
    expect(await failureOf(connection, callTool(connection, 'echo'))).toBe('connection-lost')
  })

  it('classifies an answer longer than maxResponseBytes as response-too-large', async () => {
    const connection = await connectStdio(10 * 1024 * 1024)
    expect(await failureOf(connection, callTool(connection, 'flood'))).toBe('response-too-large')
  })

  it('reads an 11 MB answer within the default maxResponseBytes (16 MiB)', async () => {
    const connection = await connectStdio()
    const result = (await callTool(connection, 'flood')) as { pad?: string }
    expect(result.pad).toHaveLength(11 * 1024 * 1024)
  })
})
