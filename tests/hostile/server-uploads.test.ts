// Issue 15, items 8 and 12: uploads cannot hold the server's memory. Stalled bodies are bounded
// by the bytes-in-flight budget and the body deadline; a client without a token is refused from
// its headers, its upload never buffered; a trickling client is cut off at the deadline; and the
// 413 of an oversized body reaches the client (the rest of the body is read and dropped before
// the answer, so the socket is not reset under it).
import type net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initializeBody } from '../support/server-host.js'
import {
  connectRaw,
  held,
  MiB,
  mib,
  postHead,
  readUntilClosed,
  startTarget,
  statusOf,
  stopTarget,
  type Target,
} from './server-target.js'

const UPLOAD = 4 * MiB - 4096
// Real time: node's socket read deadline in the target process; 40 uploads of 4 MiB must land before it.
const BODY_TIMEOUT_MS = 3000
const IN_FLIGHT = 16 * MiB

/** Writes `bytes` of body after the head and resolves once the kernel took it (or the peer left). */
function write(socket: net.Socket, data: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve()
    socket.write(data, () => resolve())
    socket.once('close', () => resolve())
  })
}

async function warmUp(target: Target, headers: Record<string, string> = {}): Promise<void> {
  for (let round = 0; round < 3; round++) {
    await fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: initializeBody(round),
    }).then((response) => response.arrayBuffer())
  }
}

describe('stalled and trickling uploads (Streamable HTTP, server in its own process)', () => {
  let target: Target

  beforeAll(async () => {
    target = await startTarget({
      options: {
        bodyTimeoutMs: BODY_TIMEOUT_MS,
        maxBodyBytesInFlight: IN_FLIGHT,
        sessionIdleTimeoutMs: 60_000,
      },
    })
    await warmUp(target)
  })

  afterAll(async () => {
    expect(await stopTarget(target), 'the target process is gone').toBe(true)
  })

  it('40 stalled 4 MiB uploads hold at most the in-flight budget, and nothing after the deadline', async () => {
    const baseline = await target.memory()
    expect(baseline.gc).toBe(true)
    const sockets = await Promise.all(Array.from({ length: 40 }, () => connectRaw(target.port)))
    const outcomes = sockets.map((socket) => readUntilClosed(socket, BODY_TIMEOUT_MS * 4))
    const body = Buffer.alloc(UPLOAD, 'a')
    await Promise.all(
      sockets.map((socket) =>
        write(socket, Buffer.concat([Buffer.from(postHead(target.port, UPLOAD + 10)), body])),
      ),
    )
    const during = await target.memory()
    const results = await Promise.all(outcomes)
    const after = await target.memory()
    const report = `held: baseline ${mib(held(baseline))}, 40 stalled uploads ${mib(held(during))}, after ${mib(held(after))}`
    console.log(report)
    expect(held(during) - held(baseline), report).toBeLessThan(IN_FLIGHT + 8 * MiB)
    expect(
      results.every((result) => result.closed),
      'every stalled connection was closed',
    ).toBe(true)
    const statuses = results.map((result) => statusOf(result.text))
    expect(
      statuses.every((status) => status === 0 || status === 408 || status === 503),
      statuses.join(),
    ).toBe(true)
    expect(
      statuses.filter((status) => status === 503).length,
      'refused beyond the budget',
    ).toBeGreaterThan(0)
    expect(held(after), report).toBeLessThan(held(baseline) * 1.1)
  }, 30_000)

  it('50 connections trickling one byte every 200 ms are cut off at the body deadline', async () => {
    const sockets = await Promise.all(Array.from({ length: 50 }, () => connectRaw(target.port)))
    const started = Date.now()
    const outcomes = sockets.map((socket) => readUntilClosed(socket, BODY_TIMEOUT_MS * 4))
    for (const socket of sockets) socket.write(postHead(target.port, 1000))
    const trickle = setInterval(() => {
      for (const socket of sockets) if (!socket.destroyed) socket.write('{')
    }, 200)
    try {
      const results = await Promise.all(outcomes)
      const elapsed = Date.now() - started
      expect(
        results.every((result) => result.closed),
        'every trickling connection was closed',
      ).toBe(true)
      expect(elapsed).toBeLessThan(BODY_TIMEOUT_MS * 3)
      const answered = results.filter((result) => statusOf(result.text) === 408).length
      expect(answered, 'the 408 reached most of them').toBeGreaterThan(25)
    } finally {
      clearInterval(trickle)
    }
  }, 30_000)

  it('the 413 of an oversized body reaches fetch every time (20 of 20)', async () => {
    const body = Buffer.alloc(5 * MiB, 'b')
    const statuses: number[] = []
    for (let attempt = 0; attempt < 20; attempt++) {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body,
      })
      statuses.push(response.status)
      const answer = (await response.json()) as { error?: { code?: number } }
      expect(answer.error?.code).toBe(-32000)
    }
    expect(statuses).toEqual(Array(20).fill(413))
  }, 60_000)

  it('an oversized chunked body (no Content-Length) gets its 413 too', async () => {
    const chunk = new Uint8Array(256 * 1024).fill(99)
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 6 * MiB) controller.close()
        else {
          sent += chunk.byteLength
          controller.enqueue(chunk)
        }
      },
    })
    const response = await fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: stream,
      duplex: 'half',
    } as RequestInit)
    expect(response.status).toBe(413)
  }, 30_000)
})

describe('uploads without a token to a protected server', () => {
  let target: Target

  beforeAll(async () => {
    target = await startTarget({ auth: true, options: { bodyTimeoutMs: BODY_TIMEOUT_MS } })
    await warmUp(target, { authorization: 'Bearer good-token' })
  })

  afterAll(async () => {
    expect(await stopTarget(target), 'the target process is gone').toBe(true)
  })

  it('40 stalled 4 MiB uploads with no token are never buffered', async () => {
    const baseline = await target.memory()
    const sockets = await Promise.all(Array.from({ length: 40 }, () => connectRaw(target.port)))
    const outcomes = sockets.map((socket) => readUntilClosed(socket, BODY_TIMEOUT_MS * 4))
    const body = Buffer.alloc(UPLOAD, 'a')
    await Promise.all(
      sockets.map((socket) =>
        write(socket, Buffer.concat([Buffer.from(postHead(target.port, UPLOAD + 10)), body])),
      ),
    )
    const during = await target.memory()
    const results = await Promise.all(outcomes)
    const after = await target.memory()
    const report = `held: baseline ${mib(held(baseline))}, 40 unauthenticated uploads ${mib(held(during))}, after ${mib(held(after))}`
    console.log(report)
    expect(held(during) - held(baseline), report).toBeLessThan(8 * MiB)
    expect(results.every((result) => result.closed)).toBe(true)
    expect(held(after), report).toBeLessThan(held(baseline) * 1.1)
  }, 30_000)

  it('a complete upload with no token gets its 401 with the challenge, every time', async () => {
    const body = Buffer.alloc(2 * MiB, 'c')
    for (let attempt = 0; attempt < 10; attempt++) {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body,
      })
      expect(response.status).toBe(401)
      expect(response.headers.get('www-authenticate')).toContain('Bearer')
      await response.arrayBuffer()
    }
  }, 30_000)
})
