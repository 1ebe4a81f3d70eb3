import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { StdioServerDefinition } from '@mcpkit/types'
import { collectGarbage } from '../support/helpers.js'

/** The hostile server of the client-side tests (see its header for the attacks). */
export const HOSTILE_SERVER = fileURLToPath(new URL('./client-hostile-server.mjs', import.meta.url))

/** A stdio definition of the hostile server running `attack`, on the 2025 protocol. */
export function hostileStdio(
  attack: string,
  extra: Partial<StdioServerDefinition> = {},
): StdioServerDefinition {
  return {
    command: process.execPath,
    args: [HOSTILE_SERVER, 'stdio', attack],
    protocolVersion: 'legacy',
    stderr: 'ignore',
    ...extra,
  }
}

/**
 * The hostile server running `attack` over HTTP on 127.0.0.1, in a child process of ours:
 * Streamable HTTP at `url`, legacy SSE at `sseUrl`.
 */
export async function hostileHttp(attack: string): Promise<{
  url: string
  sseUrl: string
  child: ChildProcess
  stop(): Promise<void>
}> {
  const child = spawn(process.execPath, [HOSTILE_SERVER, 'http', attack], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout! })
  const [line] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(() => {
      throw new Error('the hostile HTTP server exited before listening')
    }),
  ])) as [string]
  lines.close()
  const port = Number(line.replace('PORT ', ''))
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    sseUrl: `http://127.0.0.1:${port}/sse`,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.stdin!.end()
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000)
      await exited
      clearTimeout(timer)
    },
  }
}

/**
 * Measures the event loop while `action` runs: the longest delay (ms), the larger of what
 * `monitorEventLoopDelay` saw (10 ms resolution) and the longest gap between the ticks of a
 * 5 ms interval. Both are running, and have ticked once, before `action` starts, so a block
 * at its very start is seen too.
 */
export async function longestLoopDelay<Result>(
  action: () => Promise<Result>,
): Promise<{ result: Result | undefined; error: unknown; maxDelayMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 10 })
  histogram.enable()
  let last = performance.now()
  let longestGap = 0
  let ticked: () => void = () => {}
  const firstTick = new Promise<void>((resolve) => {
    ticked = resolve
  })
  const interval = setInterval(() => {
    const now = performance.now()
    longestGap = Math.max(longestGap, now - last)
    last = now
    ticked()
  }, 5)
  await firstTick
  await new Promise((resolve) => setTimeout(resolve, 20))
  longestGap = 0
  last = performance.now()
  histogram.reset()
  let result: Result | undefined
  let error: unknown
  try {
    result = await action()
  } catch (thrown) {
    error = thrown
  }
  // One more tick, so a block at the very end is sampled too.
  await new Promise((resolve) => setTimeout(resolve, 20))
  clearInterval(interval)
  histogram.disable()
  return { result, error, maxDelayMs: Math.max(histogram.max / 1e6, longestGap - 5) }
}

/** The heap in use after a full garbage collection (bytes). */
export function heapAfterGc(): number {
  collectGarbage()
  collectGarbage()
  return process.memoryUsage().heapUsed
}
