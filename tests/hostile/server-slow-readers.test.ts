// Issue 15, item 11: a client that stops reading cannot make the server buffer its answers
// without bound. Past `maxBufferedBytesPerStream` unwritten, or after `streamStallTimeoutMs`
// without progress, the stream's connection is closed: a legacy SSE session fed 1 MiB results
// it never reads, and 40 Streamable HTTP answers nobody reads, hold a few MiB at most, and the
// heap returns to its baseline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../support/processes.js'
import { initializeBody, mcpPostHeaders, openRawSession } from '../support/server-host.js'
import {
  connectRaw,
  held,
  MiB,
  mib,
  readUntilClosed,
  startTarget,
  stopTarget,
  type Target,
} from './server-target.js'

// Real time: the stall timeout runs in the target process, on its sockets; no fake clock reaches it.
const STALL_MS = 1500
const PER_STREAM = 2 * MiB

describe('clients that stop reading (server in its own process)', () => {
  let target: Target

  beforeAll(async () => {
    target = await startTarget({
      options: { maxBufferedBytesPerStream: PER_STREAM, streamStallTimeoutMs: STALL_MS },
    })
    // Warm up both transports.
    await openRawSession(target.url)
  })

  afterAll(async () => {
    expect(await stopTarget(target), 'the target process is gone').toBe(true)
  })

  it('a legacy SSE stream that is never read is closed after a few MiB of 1 MiB results', async () => {
    const baseline = await target.memory()
    const socket = await connectRaw(target.port)
    let head = ''
    const endpoint = new Promise<string>((resolve) => {
      const onData = (chunk: Buffer) => {
        head += chunk.toString('latin1')
        const match = /data: (\/message\?sessionId=\S+)/.exec(head)
        if (match) {
          socket.off('data', onData)
          // From now on nothing is read: the kernel buffers fill, then the server's.
          socket.pause()
          resolve(match[1]!)
        }
      }
      socket.on('data', onData)
    })
    socket.write(
      `GET /sse HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\nAccept: text/event-stream\r\n\r\n`,
    )
    const messageUrl = new URL(await endpoint, target.url)
    const post = (body: unknown) =>
      fetch(messageUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((response) => response.status)
    await post({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2024-11-05',
        capabilities: {},
        clientInfo: { name: 'x', version: '1' },
      },
    })
    await post({ jsonrpc: '2.0', method: 'notifications/initialized' })
    const statuses: number[] = []
    for (let index = 0; index < 120; index++) {
      const status = await post({
        jsonrpc: '2.0',
        id: 10 + index,
        method: 'tools/call',
        params: { name: 'big', arguments: { size: MiB } },
      })
      statuses.push(status)
      if (status !== 202) break
    }
    const during = await target.memory()
    expect(statuses.at(-1), 'the session ended: later messages get 404').toBe(404)
    const after = await target.memory()
    // Reading again, the client finds what the kernel held, then the end of the stream.
    const outcome = await readUntilClosed(socket.resume(), 10_000)
    expect(outcome.closed, 'the server closed the stream').toBe(true)
    const report = `legacy SSE, unread: baseline ${mib(held(baseline))}, after ${statuses.length} results ${mib(held(during))}, after close ${mib(held(after))}`
    console.log(report)
    expect(held(during) - held(baseline), report).toBeLessThan(PER_STREAM + 8 * MiB)
    expect(held(after), report).toBeLessThan(held(baseline) * 1.1)
  }, 30_000)

  it('40 Streamable HTTP answers of 4 MiB that nobody reads are dropped after the stall timeout', async () => {
    const sessionId = await openRawSession(target.url)
    const baseline = await target.memory()
    const body = (id: number) =>
      JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: 'big', arguments: { size: 4 * MiB } },
      })
    const sockets = await Promise.all(Array.from({ length: 40 }, () => connectRaw(target.port)))
    const started = Date.now()
    for (const [index, socket] of sockets.entries()) {
      const payload = body(100 + index)
      const headers = {
        ...mcpPostHeaders(sessionId),
        'content-length': String(Buffer.byteLength(payload)),
        host: `127.0.0.1:${target.port}`,
      }
      const head = Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}`)
        .join('\r\n')
      socket.on('error', () => {})
      socket.pause() // never read the answer
      socket.write(`POST /mcp HTTP/1.1\r\n${head}\r\n\r\n${payload}`)
    }
    // Every answer is produced (the calls return at once), then sits unread.
    let peak = 0
    const released = await waitFor(
      async () => {
        const now = held(await target.memory())
        peak = Math.max(peak, now)
        return now < held(baseline) * 1.1 && Date.now() - started > STALL_MS
      },
      { timeoutMs: STALL_MS * 8, intervalMs: 400 },
    )
    const elapsed = Date.now() - started
    const after = await target.memory()
    const report = `Streamable HTTP, 40 unread 4 MiB answers: baseline ${mib(held(baseline))}, peak seen ${mib(peak)}, after ${mib(held(after))} (${elapsed} ms)`
    console.log(report)
    expect(released, report).toBe(true)
    expect(held(after), report).toBeLessThan(held(baseline) * 1.1)
    // Reading again, each client finds what the kernel held, then a closed connection.
    const outcomes = await Promise.all(
      sockets.map((socket) => readUntilClosed(socket.resume(), 10_000)),
    )
    expect(
      outcomes.every((outcome) => outcome.closed),
      'every unread answer was dropped',
    ).toBe(true)
    // The session itself is fine, and serves a reader.
    const ping = await fetch(target.url, {
      method: 'POST',
      headers: mcpPostHeaders(sessionId),
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    })
    expect(ping.status).toBe(200)
    await ping.arrayBuffer()
    expect(
      await waitFor(async () => (await target.memory()).sessions >= 1, { timeoutMs: 10_000 }),
    ).toBe(true)
  }, 40_000)

  it('a new client still gets in', async () => {
    const response = await fetch(target.url, {
      method: 'POST',
      headers: mcpPostHeaders(),
      body: initializeBody(),
    })
    expect(response.status).toBe(200)
    await response.arrayBuffer()
  })
})
