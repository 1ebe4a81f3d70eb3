import { PassThrough } from 'node:stream'
import {
  Client,
  type JSONRPCMessage,
  ReadBuffer,
  serializeMessage,
  type Transport,
} from '@modelcontextprotocol/client'
import { describe, expect, it } from 'vitest'
import { fixtureServerFactory, toolJson } from '../test-support.js'
import { serveStdio } from './serve-stdio.js'

/** The client end of a pair of in-memory pipes, speaking the stdio framing. */
class PipeClientTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void
  onclose?: () => void
  onerror?: (error: Error) => void
  readonly #buffer = new ReadBuffer()
  constructor(
    private readonly input: PassThrough,
    private readonly output: PassThrough,
  ) {}
  async start() {
    this.input.on('data', (chunk: Buffer) => {
      this.#buffer.append(chunk)
      for (
        let message = this.#buffer.readMessage();
        message;
        message = this.#buffer.readMessage()
      ) {
        this.onmessage?.(message)
      }
    })
  }
  async send(message: JSONRPCMessage) {
    this.output.write(serializeMessage(message))
  }
  async close() {
    this.onclose?.()
  }
}

describe('serveStdio', () => {
  it('serves one client over the given streams and closes cleanly', async () => {
    const toServer = new PassThrough()
    const toClient = new PassThrough()
    const fixture = fixtureServerFactory()
    const serving = await serveStdio(fixture.createServer, { stdin: toServer, stdout: toClient })
    const client = new Client({ name: 'stdio-test', version: '1.0.0' })
    await client.connect(new PipeClientTransport(toClient, toServer))
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('whoami')
    expect(toolJson(await client.callTool({ name: 'whoami', arguments: {} })).serverNumber).toBe(1)
    await serving.close()
    await serving.close()
    expect(fixture.stats.closed).toBe(1)
    expect(toServer.listenerCount('data')).toBe(0)
    await client.close()
  })

  it.each([
    ['legacy', 'legacy'],
    ['auto', 'modern'],
    [{ pin: '2026-07-28' }, 'modern'],
  ] as const)(
    'pins the connection to the era its first message asks for (client %j)',
    async (mode, era) => {
      const toServer = new PassThrough()
      const toClient = new PassThrough()
      const eras: string[] = []
      const fixture = fixtureServerFactory()
      const serving = await serveStdio(
        (context) => {
          eras.push(context.era)
          return fixture.createServer()
        },
        { stdin: toServer, stdout: toClient },
      )
      const client = new Client(
        { name: 'stdio-era', version: '1.0.0' },
        { versionNegotiation: { mode } },
      )
      await client.connect(new PipeClientTransport(toClient, toServer))
      expect(client.getProtocolEra()).toBe(era)
      expect(toolJson(await client.callTool({ name: 'whoami', arguments: {} }))).toBeDefined()
      expect(eras.at(-1)).toBe(era)
      expect(serving.server).toBeDefined()
      await serving.close()
      await client.close()
    },
  )

  it("with protocolVersion '2026-07-28' refuses initialize and stays open for a modern opening", async () => {
    const toServer = new PassThrough()
    const toClient = new PassThrough()
    const fixture = fixtureServerFactory()
    const serving = await serveStdio(fixture.createServer, {
      stdin: toServer,
      stdout: toClient,
      protocolVersion: '2026-07-28',
    })
    const legacy = new Client({ name: 'stdio-legacy', version: '1.0.0' })
    await expect(legacy.connect(new PipeClientTransport(toClient, toServer))).rejects.toMatchObject(
      { code: -32022, data: { supported: ['2026-07-28'] } },
    )
    const modern = new Client(
      { name: 'stdio-modern', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    )
    await modern.connect(new PipeClientTransport(toClient, toServer))
    expect((await modern.listTools()).tools.map((tool) => tool.name)).toContain('whoami')
    await serving.close()
    await modern.close()
  })

  it('answers a line over maxBodyBytes with a JSON-RPC error, logs it and ends the connection', async () => {
    const toServer = new PassThrough()
    const toClient = new PassThrough()
    const fixture = fixtureServerFactory()
    const lines: string[] = []
    const serving = await serveStdio(fixture.createServer, {
      stdin: toServer,
      stdout: toClient,
      maxBodyBytes: 100,
      log: (level, message) => lines.push(`${level} ${message}`),
    })
    const answered = new Promise<string>((resolve) =>
      toClient.once('data', (chunk) => resolve(String(chunk))),
    )
    // No newline: the line is refused at 100 bytes, long before it ends.
    toServer.write('x'.repeat(60))
    toServer.write('x'.repeat(60))
    expect(JSON.parse(await answered)).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: {
        code: -32600,
        message: 'Request too large: a message must not exceed 100 bytes (maxBodyBytes).',
      },
    })
    expect(lines).toContain(
      'warning stdio: the client sent a message over 100 bytes (maxBodyBytes); the connection was closed.',
    )
    expect(toServer.destroyed).toBe(true)
    expect(toServer.listenerCount('data')).toBe(0)
    await serving.close()
  })

  it('runs at most maxRequestsInFlight requests: the next one waits until one is answered', async () => {
    const toServer = new PassThrough()
    const toClient = new PassThrough()
    const fixture = fixtureServerFactory()
    const serving = await serveStdio(fixture.createServer, {
      stdin: toServer,
      stdout: toClient,
      maxRequestsInFlight: 1,
    })
    const client = new Client({ name: 'stdio-bounded', version: '1.0.0' })
    await client.connect(new PipeClientTransport(toClient, toServer))
    const started = fixture.waitStarted()
    const waiting = client.callTool({ name: 'wait', arguments: {} })
    await started
    let answered = false
    const next = client.callTool({ name: 'whoami', arguments: {} }).then((result) => {
      answered = true
      return result
    })
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve))
    expect(answered, 'the second call waits for the first').toBe(false)
    fixture.release()
    expect(toolJson(await waiting)).toBe('released')
    expect(toolJson(await next).serverNumber).toBe(1)
    await serving.close()
    await client.close()
  })

  it.each([
    ['maxBodyBytes', 0],
    ['maxRequestsInFlight', 1.5],
    ['maxBufferedBytesPerStream', -1],
  ])('refuses %s = %s with INVALID_CONFIGURATION', async (name, value) => {
    await expect(
      serveStdio(fixtureServerFactory().createServer, {
        stdin: new PassThrough(),
        stdout: new PassThrough(),
        [name]: value,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIGURATION' })
  })

  it('refuses a non-function factory with INVALID_CONFIGURATION', async () => {
    await expect(serveStdio(undefined as never)).rejects.toMatchObject({
      code: 'INVALID_CONFIGURATION',
    })
  })
})
