import type { Readable, Writable } from 'node:stream'
import { type Log, MCPServerError, type ProtocolVersionOption, safeLog } from '@mcpkit/types'
import type { Server } from '@modelcontextprotocol/server'
import {
  type StdioServerTransport,
  serveStdio as serveStdioByEra,
} from '@modelcontextprotocol/server/stdio'
import {
  type CreateServer,
  DEFAULT_MAX_SUBSCRIPTIONS,
  protocolVersionOf,
} from '../server/protocol-eras.js'
import { BoundedStdioTransport } from './bounded-stdio.js'

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
  /**
   * Largest message (one line) read from the client, in bytes; default 4 MiB, as over HTTP. A
   * longer line is answered with a JSON-RPC error (`-32600`, id `null`), logged at `warning`, and
   * ends the connection; it is never held in memory whole.
   */
  maxBodyBytes?: number | undefined
  /**
   * Most requests being answered at once (one client: default 100); a request counts until its
   * answer has left stdout. Past it stdin is not read (the client's writes wait) until one is
   * answered or cancelled, so a flood of calls queues in the pipe, not in the server.
   * `subscriptions/listen` streams do not count (`maxSubscriptions` caps them).
   */
  maxRequestsInFlight?: number | undefined
  /**
   * Most bytes waiting in stdout for a client that does not read them; default 8 MiB. Past it
   * no new request runs and stdin is not read until stdout drains, so such a client cannot make
   * the server buffer answers without bound (at most those of the requests already running).
   */
  maxBufferedBytesPerStream?: number | undefined
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
  /** The SDK's transport, framing and writing; stdin reaches it through mcpkit's bounds. */
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
  const log = safeLog(options.log)
  const bounded = new BoundedStdioTransport({
    stdin: options.stdin,
    stdout: options.stdout,
    maxBodyBytes: options.maxBodyBytes,
    maxRequestsInFlight: options.maxRequestsInFlight,
    maxBufferedBytesPerStream: options.maxBufferedBytesPerStream,
    log,
  })
  const transport = bounded.inner
  if (mode === 'legacy') {
    const server = createServer({ era: 'legacy' })
    await server.connect(bounded)
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
  let current: Server | undefined
  const handle = serveStdioByEra(
    ({ era }) => {
      current = createServer({ era })
      return current
    },
    {
      legacy: mode === '2026-07-28' ? 'reject' : 'serve',
      transport: bounded,
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
