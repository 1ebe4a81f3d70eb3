import type { Readable, Writable } from 'node:stream'
import { MCPServerError } from '@mcpkit/types'
import type { Server } from '@modelcontextprotocol/server'
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio'

/** Options of `serveStdio`. */
export interface ServeStdioOptions {
  /** Where client messages come from; default `process.stdin`. */
  stdin?: Readable | undefined
  /** Where replies go; default `process.stdout` (so nothing else may write to it). */
  stdout?: Writable | undefined
}

/** A `Server` connected over stdio. */
export interface ServeStdioResult {
  readonly server: Server
  readonly transport: StdioServerTransport
  /** Closes the server and stops reading stdin (so the process can exit); idempotent. */
  close(): Promise<void>
}

/**
 * Serves one client over stdio (the process is the session), on the SDK's
 * `StdioServerTransport`. Nothing process-wide is touched: no signal handlers, no exit hooks;
 * the host decides when to exit.
 */
export async function serveStdio(
  createServer: () => Server,
  options: ServeStdioOptions = {},
): Promise<ServeStdioResult> {
  if (typeof createServer !== 'function') {
    throw new MCPServerError(
      'INVALID_CONFIGURATION',
      '`createServer` must be a function that returns a new SDK Server.',
    )
  }
  const server = createServer()
  const transport = new StdioServerTransport(options.stdin, options.stdout)
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
