// A protected MCPServer for OAuth tests: tools that report what the server saw of the caller,
// served over node:http (startHTTP + startSSE) or the web-standard handlers (createFetchHandler
// + startHonoSSE) on 127.0.0.1.
import { createMCPTool, type MCPServer } from '@mcpkit/mcp-server-core'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { z } from 'zod'
import { textOf } from './helpers.js'
import { type LateBoundHttp, startLateBoundHttp } from './oauth-host.js'

/** What `whoami` reports: the caller's `authInfo` as the tool received it. */
export interface SeenCaller {
  sub: string | null
  clientId: string | null
  scopes: string[] | null
  token: string | null
  resource: string | null
  expiresAt: number | null
  sessionId: string | null
}

/** `whoami` (any token) and `delete_note` (needs `notes:write` in the tests' configuration). */
export const notesTools = {
  whoami: createMCPTool({
    id: 'whoami',
    description: 'Returns the caller as the server sees it',
    inputSchema: z.object({}),
    execute: async (_input, { extra }): Promise<SeenCaller> => {
      const authInfo = extra.authInfo
      const sub = authInfo?.extra?.sub
      return {
        sub: typeof sub === 'string' ? sub : null,
        clientId: authInfo?.clientId ?? null,
        scopes: authInfo?.scopes ?? null,
        token: authInfo?.token ?? null,
        resource: authInfo?.resource ? String(authInfo.resource) : null,
        expiresAt: authInfo?.expiresAt ?? null,
        sessionId: extra.sessionId ?? null,
      }
    },
  }),
  delete_note: createMCPTool({
    id: 'delete_note',
    description: 'Deletes a note',
    inputSchema: z.object({ id: z.string() }),
    execute: async ({ id }) => `deleted ${id}`,
  }),
}

/** Calls `whoami` and parses what it saw. */
export async function whoami(client: Client): Promise<SeenCaller> {
  return JSON.parse(textOf(await client.callTool({ name: 'whoami', arguments: {} }))) as SeenCaller
}

/** A protected MCPServer being served. */
export interface ProtectedHost {
  http: LateBoundHttp
  server: MCPServer
  /** Streamable HTTP endpoint (`/mcp`). */
  mcpUrl: URL
  /** Legacy SSE endpoint (`/sse`; messages to `/message`). */
  sseUrl: URL
  close(): Promise<void>
}

/**
 * Starts an HTTP server, builds the MCPServer with its origin (the protected resource's URL
 * contains the port), and routes `/mcp` to Streamable HTTP, `/sse` + `/message` to legacy SSE
 * and anything else (the metadata document) to the Streamable HTTP entry point. Pass `started`
 * when something else (an authorization server's configuration) needs the origin first.
 */
export async function hostProtected(
  build: (origin: string) => MCPServer,
  mount: 'node' | 'fetch',
  started?: LateBoundHttp,
): Promise<ProtectedHost> {
  const http = started ?? (await startLateBoundHttp())
  const server = build(http.origin)
  const sse = { ssePath: '/sse', messagePath: '/message' }
  if (mount === 'node') {
    http.handle((req, res) => {
      const url = new URL(req.url ?? '/', http.origin)
      const served =
        url.pathname === '/sse' || url.pathname === '/message'
          ? server.startSSE({ url, ...sse, req, res })
          : server.startHTTP({ url, httpPath: '/mcp', req, res })
      served.catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(error))
      })
    })
  } else {
    const fetchHandler = server.createFetchHandler({ httpPath: '/mcp' })
    http.handleFetch((request) => {
      const { pathname } = new URL(request.url)
      return pathname === '/sse' || pathname === '/message'
        ? server.startHonoSSE({ ...sse, req: request })
        : fetchHandler(request)
    })
  }
  return {
    http,
    server,
    mcpUrl: new URL('/mcp', http.origin),
    sseUrl: new URL('/sse', http.origin),
    async close() {
      await server.close()
      await http.close()
    },
  }
}
