/**
 * Helpers for the "check" part the test adds after each seed example (never used by the seed
 * code itself): serve an `MCPServer` on 127.0.0.1, read a text result, report success.
 */
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { MCPServer } from '@mcpkit/mcp'

export { assert }

/** The line the test looks for: the example ran to its end. */
export function ok(example: string): void {
  console.log(`SEED OK ${example}`)
}

/** The next line typed on stdin (the test types what a user would: a callback URL, …). */
export async function readLine(): Promise<string> {
  const { createInterface } = await import('node:readline')
  const lines = createInterface({ input: process.stdin })
  try {
    for await (const line of lines) return line
    throw new Error('stdin ended before a line was typed')
  } finally {
    lines.close()
  }
}

/** The text parts of a tool result, joined. */
export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? []
  return content
    .filter((part) => part.type === 'text')
    .map((part) => part.text)
    .join('\n')
}

/** Serves `server` over Streamable HTTP at `/mcp` on a free 127.0.0.1 port. */
export async function serveForCheck(
  server: MCPServer,
  options: { authenticate?: (req: http.IncomingMessage) => unknown } = {},
): Promise<{ url: URL; close(): Promise<void> }> {
  const httpServer = http.createServer((req, res) => {
    const auth = options.authenticate?.(req)
    if (auth) (req as http.IncomingMessage & { auth?: unknown }).auth = auth
    void server.startHTTP({
      url: new URL(req.url ?? '/', 'http://127.0.0.1'),
      httpPath: '/mcp',
      req,
      res,
    })
  })
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
  const { port } = httpServer.address() as AddressInfo
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    async close() {
      await server.close()
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve())
        httpServer.closeAllConnections()
      })
    },
  }
}
