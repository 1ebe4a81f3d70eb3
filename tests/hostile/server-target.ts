// The server side of the hostile suite: the target process (`fixtures/serve-hostile-target.ts`)
// and what the attacks need around it: its memory after GC, raw sockets, bounded waits.
import net from 'node:net'
import { join } from 'node:path'
import { buildFixtures } from '../fixtures/build.mjs'
import { isProcessAlive } from '../support/processes.js'
import { type StartedServer, startListeningProcess } from '../support/servers.js'

/** What `GET /debug/memory` reports after three forced GCs. */
export interface TargetMemory {
  gc: boolean
  running: number
  aborted: number
  sessions: number
  heapUsed: number
  external: number
  arrayBuffers: number
  rss: number
}

export interface Target extends StartedServer {
  memory(): Promise<TargetMemory>
}

let script: string | undefined

/** Starts the target with `--expose-gc` on a free 127.0.0.1 port. */
export async function startTarget(config: {
  options?: Record<string, unknown>
  toolTimeoutMs?: number
  auth?: boolean
}): Promise<Target> {
  script ??= join(buildFixtures().dir, 'serve-hostile-target.js')
  const started = await startListeningProcess({
    args: ['--expose-gc', script, JSON.stringify(config)],
    path: '/mcp',
    label: 'hostile target',
  })
  const memoryUrl = new URL('/debug/memory', started.url)
  return {
    ...started,
    async memory() {
      const response = await fetch(memoryUrl)
      return (await response.json()) as TargetMemory
    },
  }
}

/** Heap plus what lives outside it (request buffers are `external`), in bytes. */
export function held(memory: TargetMemory): number {
  return memory.heapUsed + memory.external
}

export const MiB = 1024 * 1024
export const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`

/** Stops the target and checks that its process is gone. */
export async function stopTarget(target: Target | undefined): Promise<boolean> {
  if (!target) return true
  await target.stop()
  return !isProcessAlive(target.pid)
}

/** A raw TCP connection to the target; resolves once connected. */
export function connectRaw(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket))
    socket.once('error', reject)
  })
}

/** What a raw connection received before it closed (or `timeoutMs` passed). */
export function readUntilClosed(
  socket: net.Socket,
  timeoutMs: number,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let text = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      if (text.length < 64 * 1024) text += chunk
    })
    socket.on('error', () => {})
    const timer = setTimeout(() => resolve({ text, closed: false }), timeoutMs)
    socket.once('close', () => {
      clearTimeout(timer)
      resolve({ text, closed: true })
    })
  })
}

/** The head of a POST to `/mcp` declaring `contentLength` bytes (`headers` added). */
export function postHead(
  port: number,
  contentLength: number,
  headers: Record<string, string> = {},
): string {
  const lines = [
    'POST /mcp HTTP/1.1',
    `Host: 127.0.0.1:${port}`,
    'Content-Type: application/json',
    'Accept: application/json, text/event-stream',
    `Content-Length: ${contentLength}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ]
  return `${lines.join('\r\n')}\r\n\r\n`
}

/** The HTTP status of a raw response, or 0 when none came. */
export function statusOf(text: string): number {
  const match = /^HTTP\/1\.1 (\d{3})/.exec(text)
  return match ? Number(match[1]) : 0
}
