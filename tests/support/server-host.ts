import { spawn } from 'node:child_process'
import http from 'node:http'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { MCPServer } from '@mcpkit/mcp-server-core'
import { StdioClientTransport as StdioClientTransportV2 } from '@modelcontextprotocol/client/stdio'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js'
import { buildFixtures } from '../fixtures/build.mjs'
import { type StartedServer, startListeningProcess } from './servers.js'

const require = createRequire(import.meta.url)
const here = dirname(fileURLToPath(import.meta.url))
const testsDir = dirname(here)

/** The transports `MCPServer` serves a client over. */
export type ServerTransport = 'stdio' | 'http' | 'sse'

/** Startup/HTTP security and session options handed to `startHTTP` / `startSSE`. */
export type HostOptions = Record<string, unknown>

/** An `MCPServer` served by a `node:http` server in the test process, on 127.0.0.1. */
export interface Host {
  readonly port: number
  /** Streamable HTTP endpoint. */
  readonly mcpUrl: URL
  /** Legacy SSE endpoint (messages go to `/message`). */
  readonly sseUrl: URL
  readonly httpServer: http.Server
  /** `server.close()`, then the HTTP server (idle connections first, then the rest). */
  close(): Promise<void>
}

/**
 * Serves `server` at `/mcp` (Streamable HTTP, `startHTTP`) and `/sse` + `/message` (legacy SSE,
 * `startSSE`) on a free 127.0.0.1 port. `authenticate`, when given, plays the host app's auth
 * middleware: what it returns for a request is put on `req.auth` before MCPServer sees it.
 */
export async function hostServer(
  server: MCPServer,
  options: {
    options?: HostOptions
    authenticate?: (req: http.IncomingMessage) => AuthInfo | undefined
  } = {},
): Promise<Host> {
  let port = 0
  const httpServer = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
    const auth = options.authenticate?.(req)
    if (auth) (req as http.IncomingMessage & { auth?: AuthInfo }).auth = auth
    const served =
      url.pathname === '/mcp'
        ? server.startHTTP({ url, httpPath: '/mcp', req, res, options: options.options ?? {} })
        : url.pathname === '/sse' || url.pathname === '/message'
          ? server.startSSE({
              url,
              ssePath: '/sse',
              messagePath: '/message',
              req,
              res,
              options: options.options ?? {},
            })
          : Promise.resolve(void res.writeHead(404).end())
    Promise.resolve(served).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error))
      else res.end()
    })
  })
  await new Promise<void>((resolve) => httpServer.listen({ port: 0, host: '127.0.0.1' }, resolve))
  const address = httpServer.address()
  if (address === null || typeof address !== 'object') throw new Error('no address')
  port = address.port
  let closing: Promise<void> | undefined
  return {
    port,
    mcpUrl: new URL(`http://127.0.0.1:${port}/mcp`),
    sseUrl: new URL(`http://127.0.0.1:${port}/sse`),
    httpServer,
    close() {
      closing ??= (async () => {
        await server.close()
        await new Promise<void>((resolve) => {
          httpServer.close(() => resolve())
          httpServer.closeIdleConnections()
          setTimeout(() => httpServer.closeAllConnections(), 1000).unref()
        })
      })()
      return closing
    },
  }
}

/** What `rawRequest` got back. */
export interface RawResponse {
  status: number
  headers: http.IncomingHttpHeaders
  text: string
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  json: unknown
}

/**
 * One HTTP request with full control of the headers (`Host` included) and the body, on a fresh
 * connection. `body` may be a string, a Buffer, or chunks to send with chunked encoding.
 */
export function rawRequest(
  url: URL,
  request: {
    method?: string
    headers?: Record<string, string>
    body?: string | Buffer | { chunks: Buffer[] }
    timeoutMs?: number
    /** Default: a fresh connection for this request only. */
    agent?: http.Agent
  } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunked = typeof request.body === 'object' && !Buffer.isBuffer(request.body)
    const outgoing = http.request(
      url,
      {
        method: request.method ?? 'POST',
        agent: request.agent ?? false,
        headers: {
          ...(chunked || request.body === undefined
            ? {}
            : { 'content-length': String(Buffer.byteLength(request.body as string | Buffer)) }),
          ...request.headers,
        },
        timeout: request.timeoutMs ?? 10_000,
      },
      (response) => {
        // An event stream that opened: report it and hang up (it would never end by itself).
        if (
          response.statusCode === 200 &&
          String(response.headers['content-type']).includes('text/event-stream') &&
          (request.method ?? 'POST') === 'GET'
        ) {
          resolve({ status: 200, headers: response.headers, text: '', json: undefined })
          outgoing.destroy()
          return
        }
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let json: unknown
          try {
            json = JSON.parse(text)
          } catch {
            json = undefined
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json })
        })
        response.on('error', reject)
      },
    )
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer from ${url} in time`)))
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      // A server that answers 413 before reading the whole body may reset the upload.
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') {
        reject(Object.assign(new Error(`connection reset: ${error.message}`), { code: error.code }))
      } else {
        reject(error)
      }
    })
    if (chunked) {
      for (const chunk of (request.body as { chunks: Buffer[] }).chunks) outgoing.write(chunk)
      outgoing.end()
    } else {
      outgoing.end(request.body)
    }
  })
}

/** The headers a Streamable HTTP client sends with a POST. */
export function mcpPostHeaders(sessionId?: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    ...(sessionId ? { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' } : {}),
  }
}

/** A JSON-RPC `initialize` request body. */
export function initializeBody(
  id: number | string = 1,
  name = 'raw-test-client',
  capabilities: ClientCapabilities = {},
): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities,
      clientInfo: { name, version: '1.0.0' },
    },
  })
}

/** Opens a Streamable HTTP session with a raw `initialize` (+ `initialized`); returns its id. */
export async function openRawSession(
  url: URL,
  headers: Record<string, string> = {},
  capabilities: ClientCapabilities = {},
  agent?: http.Agent,
): Promise<string> {
  const response = await rawRequest(url, {
    headers: { ...mcpPostHeaders(), ...headers },
    body: initializeBody(1, 'raw-test-client', capabilities),
    ...(agent ? { agent } : {}),
  })
  const sessionId = response.headers['mcp-session-id']
  if (response.status !== 200 || typeof sessionId !== 'string') {
    throw new Error(`initialize answered ${response.status}: ${response.text.slice(0, 300)}`)
  }
  const initialized = await rawRequest(url, {
    headers: { ...mcpPostHeaders(sessionId), ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    ...(agent ? { agent } : {}),
  })
  if (initialized.status !== 202) {
    throw new Error(`notifications/initialized answered ${initialized.status}: ${initialized.text}`)
  }
  return sessionId
}

/** The fixture built to plain JS (`tests/.conformance/fixtures`); built once per worker. */
let fixtureScript: string | undefined
export function everythingScript(): string {
  fixtureScript ??= buildFixtures().serveScript
  return fixtureScript
}

/**
 * Starts the everything fixture as a process over `http` (`/mcp`) or `sse` (`/sse`) on a free
 * 127.0.0.1 port. `nodeArgs` go before the script (e.g. `--expose-gc`), `args` after the mode.
 */
export function startEverythingProcess(
  mode: 'http' | 'sse',
  { args = [], nodeArgs = [] }: { args?: string[]; nodeArgs?: string[] } = {},
): Promise<StartedServer> {
  return startListeningProcess({
    args: [...nodeArgs, everythingScript(), mode, '0', ...args],
    path: mode === 'http' ? '/mcp' : '/sse',
    label: `everything fixture (${mode})`,
  })
}

/** A v2 SDK stdio client transport that starts the everything fixture (`serve-everything stdio`). */
export function everythingStdioTransport(): StdioClientTransportV2 {
  return new StdioClientTransportV2({
    command: process.execPath,
    args: [everythingScript(), 'stdio'],
    stderr: 'ignore',
  })
}

/** An SDK `Client` connected to `target` over `transport`. */
export async function connectSdkClient(
  transport: ServerTransport,
  target: URL | undefined,
  {
    name = 'sdk-test-client',
    capabilities = {},
    headers,
  }: { name?: string; capabilities?: ClientCapabilities; headers?: Record<string, string> } = {},
): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' }, { capabilities })
  const requestInit = headers ? { requestInit: { headers } } : {}
  if (transport === 'stdio') {
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [everythingScript(), 'stdio'],
        cwd: testsDir,
        stderr: 'ignore',
      }),
    )
  } else if (transport === 'http') {
    if (!target) throw new Error('no URL')
    await client.connect(new StreamableHTTPClientTransport(target, requestInit))
  } else {
    if (!target) throw new Error('no URL')
    // `requestInit.headers` go on the stream's GET too.
    await client.connect(new SSEClientTransport(target, requestInit))
  }
  return client
}

/** The inspector CLI's launcher (`mcp-inspector-cli`, which takes `--cli`). */
export const INSPECTOR_CLI = join(
  dirname(require.resolve('@modelcontextprotocol/inspector-cli/package.json')),
  'build',
  'cli.js',
)

/** The Inspector 2.x launcher (`@modelcontextprotocol/inspector`), whose CLI speaks both eras. */
export const INSPECTOR_2_CLI = join(
  dirname(require.resolve('@modelcontextprotocol/inspector/package.json')),
  'clients',
  'launcher',
  'build',
  'index.js',
)

/**
 * Runs `<cli> --cli …args` (default: the 1.x `mcp-inspector-cli`); resolves with its exit code,
 * output and parsed JSON. `env` is added to the test's environment.
 */
export function runInspector(
  args: string[],
  timeoutMs = 30_000,
  { cli = INSPECTOR_CLI, env }: { cli?: string; env?: Record<string, string> } = {},
): Promise<{ code: number | null; stdout: string; stderr: string; json: unknown }> {
  return new Promise((resolve, reject) => {
    // cwd: the CLI finds its own package.json relative to the working directory's parent.
    // Its own process group: the launcher starts the CLI proper as a child, and a timeout
    // ends both by the group id.
    const child = spawn(process.execPath, [cli, '--cli', ...args], {
      cwd: testsDir,
      ...(env ? { env: { ...process.env, ...env } } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text
    })
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text
    })
    const timer = setTimeout(() => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL')
        } catch {
          // Already gone.
        }
      }
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      let json: unknown
      try {
        json = JSON.parse(stdout)
      } catch {
        json = undefined
      }
      resolve({ code, stdout, stderr, json })
    })
  })
}
