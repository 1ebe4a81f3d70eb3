import type { Readable, Writable } from 'node:stream'
import { type Log, MCPServerError, type ProtocolVersionOption, safeLog } from '@mcpkit/types'
import type { Server } from '@modelcontextprotocol/server'
import {
  StdioServerTransport,
  serveStdio as serveStdioByEra,
} from '@modelcontextprotocol/server/stdio'
import {
  type CreateServer,
  DEFAULT_MAX_SUBSCRIPTIONS,
  protocolVersionOf,
} from '../server/protocol-eras.js'

/** Options of `serveStdio`. */
export interface ServeStdioOptions {
  /** Where client messages come from; default `process.stdin`. */
  stdin?: Readable | undefined
  /** Where replies go; default `process.stdout` (so nothing else may write to it). */
  stdout?: Writable | undefined
  /**
   * Which eras the connection may speak: `'auto'` (default) pins it to the era of its first
   * message (`initialize`: 2025; a request with the 2026-07-28 `_meta` envelope: that
   * revision); `'2026-07-28'` refuses an `initialize` with the supported versions and waits
   * for a 2026-07-28 opening; `'legacy'` serves 2025 only, as before the 2026-07-28 revision.
   */
  protocolVersion?: ProtocolVersionOption | undefined
  /** Most `subscriptions/listen` subscriptions open at once on a 2026-07-28 connection; default 1024. */
  maxSubscriptions?: number | undefined
  /** Errors of the connection (a malformed message, a refused opening), for the log. */
  log?: Log | undefined
}

/** A `Server` serving one client over stdio. */
export interface ServeStdioResult {
  /**
   * The `Server` serving the connection: `undefined` until the first message decided the era,
   * then the one the connection is pinned to (debugging).
   */
  readonly server: Server | undefined
  readonly transport: StdioServerTransport
  /** Closes the server and stops reading stdin (so the process can exit); idempotent. */
  close(): Promise<void>
}

/**
 * Serves one client over stdio (the process is the session), on the SDK's
 * `StdioServerTransport`: with both eras (the default), the SDK's `serveStdio` decides the
 * connection's era from its opening message and asks `createServer` for one `Server` of that
 * era. Nothing process-wide is touched: no signal handlers, no exit hooks; the host decides when
 * to exit.
 */
export async function serveStdio(
  createServer: CreateServer,
  options: ServeStdioOptions = {},
): Promise<ServeStdioResult> {
  if (typeof createServer !== 'function') {
    throw new MCPServerError(
      'INVALID_CONFIGURATION',
      '`createServer` must be a function that returns a new SDK Server.',
    )
  }
  const mode = protocolVersionOf(options.protocolVersion)
  const transport = new StdioServerTransport(options.stdin, options.stdout)
  if (mode === 'legacy') {
    const server = createServer({ era: 'legacy' })
    await server.connect(transport)
    let closing: Promise<void> | undefined
    return {
      server,
      transport,
      close: () => {
        closing ??= server.close()
        return closing
      },
    }
  }
  const log = safeLog(options.log)
  let current: Server | undefined
  const handle = serveStdioByEra(
    ({ era }) => {
      current = createServer({ era })
      return current
    },
    {
      legacy: mode === '2026-07-28' ? 'reject' : 'serve',
      transport,
      maxSubscriptions: options.maxSubscriptions ?? DEFAULT_MAX_SUBSCRIPTIONS,
      onerror: (error) => log('debug', `stdio: ${error.message}`),
    },
  )
  let closing: Promise<void> | undefined
  return {
    get server() {
      return current
    },
    transport,
    close: () => {
      closing ??= handle.close()
      return closing
    },
  }
}
