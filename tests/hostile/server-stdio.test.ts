// Issue 15, server side over stdio: a hostile client on `MCPServer.startStdio()` (a real server
// process, `fixtures/serve-stdio-target.ts`, on pipes) cannot crash it, freeze it or make it grow
// without bound. A line over `maxBodyBytes` (default 4 MiB) is answered with a JSON-RPC error,
// logged, and ends the connection without ever being held whole; a flood of calls waits in the
// pipe behind `maxRequestsInFlight`; a client that stops reading stdout makes the server stop
// reading stdin; malformed lines are skipped and the connection serves on.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { buildFixtures } from '../fixtures/build.mjs'
import { isProcessAlive, waitFor } from '../support/processes.js'

const MiB = 1024 * 1024

interface Answer {
  id: unknown
  error?: { code: number; message: string }
  result?: { content?: { text: string }[]; structuredContent?: unknown; isError?: boolean }
}

let script: string | undefined
const targets: StdioTarget[] = []

afterEach(async () => {
  for (const target of targets.splice(0)) await target.stop()
})

/** The fixture server on pipes: what it answers (line by line), logs and how it exits. */
class StdioTarget {
  readonly child: ChildProcessWithoutNullStreams
  readonly answers: Answer[] = []
  readonly stderr: string[] = []
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  #partial = ''
  #waiters = new Set<() => void>()
  #nextId = 1

  constructor(options: Record<string, unknown> = {}) {
    script ??= join(buildFixtures().dir, 'serve-stdio-target.js')
    this.child = spawn(process.execPath, ['--expose-gc', script, JSON.stringify({ options })], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    this.child.stdin.on('error', () => {})
    this.child.stdout.setEncoding('utf8')
    this.child.stdout.on('data', (text: string) => {
      const lines = (this.#partial + text).split('\n')
      this.#partial = lines.pop() ?? ''
      for (const line of lines) {
        const answer = JSON.parse(line) as Answer
        // Only the length of a large text is kept.
        const content = answer.result?.content?.[0]
        if (content && content.text.length > 1024) content.text = `<${content.text.length}>`
        this.answers.push(answer)
      }
      this.#notify()
    })
    let stderrPartial = ''
    this.child.stderr.setEncoding('utf8')
    this.child.stderr.on('data', (text: string) => {
      const lines = (stderrPartial + text).split('\n')
      stderrPartial = lines.pop() ?? ''
      this.stderr.push(...lines)
      this.#notify()
    })
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        resolve({ code, signal })
        this.#notify()
      })
    })
    targets.push(this)
  }

  #notify(): void {
    for (const waiter of this.#waiters) waiter()
  }

  /** Resolves once `predicate` holds, checked whenever the server wrote or exited. */
  until(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    if (predicate()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check)
        reject(new Error(`timed out waiting for ${what}`))
      }, timeoutMs)
      const check = () => {
        if (!predicate()) return
        clearTimeout(timer)
        this.#waiters.delete(check)
        resolve()
      }
      this.#waiters.add(check)
    })
  }

  async answerTo(id: unknown): Promise<Answer> {
    await this.until(() => this.answers.some((answer) => answer.id === id), `the answer to ${id}`)
    return this.answers.find((answer) => answer.id === id)!
  }

  write(text: string | Buffer): boolean {
    return this.child.stdin.write(text)
  }

  /** A request line (not sent). */
  request(method: string, params: Record<string, unknown> = {}, id = this.#nextId++): string {
    return `${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`
  }

  /** A `tools/call` line (not sent); `pad` bytes in `_meta` make it longer. */
  call(name: string, args: Record<string, unknown>, id?: number, pad = 0): string {
    const meta = pad > 0 ? { _meta: { pad: 'p'.repeat(pad) } } : {}
    return this.request('tools/call', { name, arguments: args, ...meta }, id)
  }

  /** `initialize` + `notifications/initialized`, answered. */
  async initialize(): Promise<void> {
    this.write(
      this.request(
        'initialize',
        {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'hostile-stdio', version: '1.0.0' },
        },
        0,
      ),
    )
    this.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`)
    expect((await this.answerTo(0)).result).toBeDefined()
  }

  /** What the server's `memory` tool reports: heap plus external bytes after GC, and more. */
  async memory(): Promise<{ held: number; peakBuffered: number }> {
    const id = this.#nextId++
    this.write(this.call('memory', {}, id))
    const answer = await this.answerTo(id)
    const report = JSON.parse(answer.result!.content![0]!.text) as {
      gc: boolean
      held: number
      peakBuffered: number
    }
    expect(report.gc).toBe(true)
    return report
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.stdin.end()
      this.child.kill('SIGTERM')
    }
    await this.exited
  }
}

describe('a hostile client on MCPServer.startStdio()', () => {
  it('sends one line over 10 MiB with no newline: a JSON-RPC error naming maxBodyBytes, a warning in the log, a clean exit', async () => {
    const target = new StdioTarget()
    await target.initialize()
    const line = Buffer.alloc(64 * 1024, 0x61)
    for (let written = 0; written < 11 * MiB; written += line.length) target.write(line)

    const [answer] = await Promise.all([
      target.answerTo(null),
      target.until(
        () => target.stderr.some((text) => /^LOG warning .*maxBodyBytes/.test(text)),
        'the log line',
      ),
    ])
    expect(answer.error).toMatchObject({ code: -32600 })
    expect(answer.error!.message).toMatch(/4194304 bytes \(maxBodyBytes\)/)
    // The connection closed, and with it the process (nothing else keeps it alive): no crash.
    expect(await target.exited).toEqual({ code: 0, signal: null })
    // The SDK's own 10 MB buffer never filled: the line was refused at 4 MiB, never held whole.
    expect(target.stderr.join('\n')).not.toMatch(/ReadBuffer|exceeded/)
  })

  it('is bounded by a configured maxBodyBytes: a line within it is served, a longer one ends the connection', async () => {
    const target = new StdioTarget({ maxBodyBytes: 4096 })
    await target.initialize()
    target.write(target.call('echo', { text: 'a'.repeat(3900) }, 10))
    expect((await target.answerTo(10)).result!.content![0]!.text).toBe('<3900>')
    target.write(target.call('echo', { text: 'b'.repeat(4100) }, 11))
    const answer = await target.answerTo(null)
    expect(answer.error!.message).toMatch(/4096 bytes \(maxBodyBytes\)/)
    expect(await target.exited).toEqual({ code: 0, signal: null })
    expect(target.answers.some((sent) => sent.id === 11)).toBe(false)
  })

  it('floods 5,000 calls with malformed lines among them: every call answered, the heap back near its baseline', async () => {
    const target = new StdioTarget()
    await target.initialize()
    // Warm-up, so the baseline has the code paths the flood uses.
    let warmup = ''
    for (let index = 0; index < 200; index++) warmup += target.call('echo', { text: 'w' })
    target.write(warmup)
    await target.until(() => target.answers.length >= 201, 'the warm-up answers')
    const baseline = (await target.memory()).held

    const calls = 5000
    const malformed = [
      'not json at all',
      '{"a":1}',
      '[1,2',
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      '\u0000\u0001\u0002',
      '{"jsonrpc":"2.0","id":"nobody-asked","result":{}}',
    ]
    let flood = ''
    for (let index = 0; index < calls; index++) {
      flood += target.call('echo', { text: `n${index}` }, 1000 + index)
      if (index % 1000 === 0) flood += `${malformed.join('\n')}\n`
    }
    target.write(flood)
    await target.until(
      () => target.answers.filter((answer) => (answer.id as number) >= 1000).length >= calls,
      'every call answered',
      40_000,
    )
    for (let index = 0; index < calls; index += 499) {
      expect((await target.answerTo(1000 + index)).result!.content![0]!.text).toBe(`n${index}`)
    }
    // Malformed lines get no answer (the SDK skips them); the connection serves on.
    expect(target.answers.filter((answer) => answer.id === null)).toHaveLength(0)
    expect((await target.memory()).held).toBeLessThan(baseline * 1.1)
    expect(isProcessAlive(target.child.pid!)).toBe(true)
  })

  it('stops reading stdout while its calls produce 75 MiB: the server stops reading stdin, its peak memory stays bounded, and all is answered once it reads', async () => {
    const target = new StdioTarget()
    await target.initialize()
    // Warm-up: a few big answers, read.
    let warmup = ''
    for (let index = 0; index < 20; index++) warmup += target.call('big', { size: 256 * 1024 })
    target.write(warmup)
    await target.until(() => target.answers.length >= 21, 'the warm-up answers')
    const baseline = (await target.memory()).held

    target.child.stdout.pause()
    const calls = 300
    let burst = ''
    for (let index = 0; index < calls; index++) {
      // 1 KiB a line: the burst (300 KiB) is much more than a pipe holds.
      burst += target.call('big', { size: 256 * 1024 }, 10_000 + index, 1024)
    }
    target.write(burst)
    // The server ran calls until 8 MiB of answers (32) waited in stdout, then stopped reading
    // stdin: the rest of the burst still waits on our side of the pipe.
    const bigStarted = () => target.stderr.filter((text) => text === 'BIG_STARTED').length
    await target.until(() => bigStarted() >= 20 + 32, '32 calls started')
    expect(
      await waitFor(() => target.child.stdin.writableLength > 0, { timeoutMs: 10_000 }),
      'the server stopped reading stdin',
    ).toBe(true)
    expect(bigStarted() - 20).toBeLessThan(calls / 2)

    target.child.stdout.resume()
    await target.until(
      () => target.answers.filter((answer) => (answer.id as number) >= 10_000).length >= calls,
      'every call answered',
      60_000,
    )
    expect((await target.answerTo(10_000 + calls - 1)).result!.content![0]!.text).toBe(
      `<${256 * 1024}>`,
    )
    // 300 answers of 256 KiB (75 MiB) went through. No call started while more than
    // `maxBufferedBytesPerStream` (8 MiB) plus the answers of the 100 calls running waited in
    // stdout, and nothing is held once they are read.
    const memory = await target.memory()
    expect(memory.peakBuffered).toBeGreaterThan(8 * MiB)
    expect(memory.peakBuffered).toBeLessThan(8 * MiB + 101 * 256 * 1024)
    expect(memory.held).toBeLessThan(baseline * 1.1)
  })
})
