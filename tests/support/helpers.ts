import { createServer as createHttpServer, request as httpRequest } from 'node:http'
import { type AddressInfo, createServer } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { isMCPKitError, type MCPErrorCode, type MCPKitError } from '@mcpkit/types'
import { afterEach, expect } from 'vitest'

/**
 * Awaits `promise` (or calls `fn`), expects it to fail with an mcpkit error of `code`, and
 * returns that error for further checks. The failure message shows what was thrown instead.
 */
export async function expectMCPError(
  action: Promise<unknown> | (() => unknown),
  code: MCPErrorCode,
): Promise<MCPKitError> {
  let thrown: unknown
  let resolved = false
  try {
    await (typeof action === 'function' ? action() : action)
    resolved = true
  } catch (error) {
    thrown = error
  }
  if (resolved) throw new Error(`expected an error with code ${code}, but the call succeeded`)
  if (!isMCPKitError(thrown, code)) {
    const description =
      thrown instanceof Error
        ? `${thrown.name} (code ${(thrown as { code?: unknown }).code}): ${thrown.message}`
        : String(thrown)
    throw new Error(`expected an mcpkit error with code ${code}, got ${description}`)
  }
  return thrown
}

/** Runs `action`, expects it to throw, returns what it threw. */
export async function thrownBy(action: () => unknown): Promise<unknown> {
  try {
    await action()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to throw, but it succeeded')
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function refusedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address !== 'object') throw new Error('no port')
  return address.port
}

let gc: (() => void) | undefined

/** A full garbage collection now (exposing `gc` the first time, without `--expose-gc`). */
export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc')
    gc = runInNewContext('gc') as () => void
  }
  gc()
}

/** Counts of `process.getActiveResourcesInfo()` by resource type. */
export function activeResources(): Map<string, number> {
  const counts = new Map<string, number>()
  for (const type of process.getActiveResourcesInfo()) {
    counts.set(type, (counts.get(type) ?? 0) + 1)
  }
  return counts
}

/** Resource types that have more entries in `after` than in `before`, with the surplus. */
export function resourceSurplus(
  before: Map<string, number>,
  after: Map<string, number>,
): Record<string, number> {
  const surplus: Record<string, number> = {}
  for (const [type, count] of after) {
    const extra = count - (before.get(type) ?? 0)
    if (extra > 0) surplus[type] = extra
  }
  return surplus
}

/** Text of every `text` content block of a `CallToolResult`, joined by newlines. */
export function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content
  expect(Array.isArray(content), `not a CallToolResult: ${JSON.stringify(result)}`).toBe(true)
  return (content ?? [])
    .filter((block) => block.type === 'text')
    .map((block) => block.text ?? '')
    .join('\n')
}

/** Resolves with what `promise` settled to, tagged, so a test can race it against a timer. */
export function settle<T>(
  promise: Promise<T>,
): Promise<{ status: 'fulfilled'; value: T } | { status: 'rejected'; reason: unknown }> {
  return promise.then(
    (value) => ({ status: 'fulfilled' as const, value }),
    (reason: unknown) => ({ status: 'rejected' as const, reason }),
  )
}

/** `promise`'s outcome, or `'pending'` if it has not settled within `ms`. */
export async function outcomeWithin<T>(
  promise: Promise<T>,
  ms: number,
): Promise<
  | { status: 'fulfilled'; value: T }
  | { status: 'rejected'; reason: unknown }
  | { status: 'pending' }
> {
  let timer: NodeJS.Timeout | undefined
  const pending = new Promise<{ status: 'pending' }>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'pending' }), ms)
  })
  try {
    return await Promise.race([settle(promise), pending])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Cleanups of the current test, run after it in reverse order (servers stopped after the clients
 * that used them). Call at the top of a test file; push what each test starts.
 */
export function cleanupsAfterEach(): (() => Promise<unknown>)[] {
  const cleanups: (() => Promise<unknown>)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  return cleanups
}

/**
 * A moved MCP endpoint in front of `target`, on 127.0.0.1: `/moved` answers every request
 * `307` to `/mcp` of the same origin, and everything else is passed on to `target` as it is
 * (streams included). Counts what it redirected, by method.
 */
export async function startMovedEndpoint(target: URL): Promise<{
  url: URL
  redirected: Record<string, number>
  close: () => Promise<void>
}> {
  const redirected: Record<string, number> = {}
  const server = createHttpServer((req, res) => {
    const method = req.method ?? 'GET'
    if (req.url === '/moved') {
      redirected[method] = (redirected[method] ?? 0) + 1
      req.resume()
      res.writeHead(307, { location: '/mcp' }).end()
      return
    }
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.destroy())
    res.on('close', () => upstream.destroy())
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: new URL(`http://127.0.0.1:${port}/moved`),
    redirected,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
