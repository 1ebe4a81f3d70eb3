/**
 * The bench's stdio server for the 2026-07-28 rows: the SDK v2 `McpServer` served by
 * `serveStdio` (`@modelcontextprotocol/server/stdio`, which picks the era from the connection's
 * first message), with the tools of `bench-tools.mjs` (`echo`, `add` with an `outputSchema`,
 * `get_time`). A client that negotiates (`auto`) speaks 2026-07-28 with it; a 2025
 * `initialize` still works. (A bare `StdioServerTransport` would speak 2025 only.)
 * Plain JavaScript, started with `node` (no tsx): its start-up is part of what a cold stdio
 * connect times, and should be the server's, not a TypeScript loader's. Each client starts its
 * own; it ends when its stdin closes.
 */
import { McpServer } from '@modelcontextprotocol/server'
import { serveStdio } from '@modelcontextprotocol/server/stdio'
import { registerBenchTools } from './bench-tools.mjs'

const buildServer = () =>
  registerBenchTools(new McpServer({ name: 'bench-stdio', version: '1.0.0' }))

serveStdio(buildServer)
process.stdin.on('end', () => process.exit(0))
