/**
 * Fixtures shared by the server transport tests (not part of any entry point): a small SDK
 * `Server` factory whose tools talk back to their own session, an SDK `Client` that records
 * what reaches it, and node:http helpers bound to 127.0.0.1.
 */
import { once } from 'node:events'
import {
  createServer as createHttpServer,
  type Server as HttpServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo } from 'node:net'
import { Client } from '@modelcontextprotocol/client'
import { Server } from '@modelcontextprotocol/server'
import { writeWebResponse } from './node/node-http.js'

export interface FixtureStats {
  created: number
  closed: number
}

/**
 * A `Server` factory. Tools:
 * - `whoami`: returns `{ sessionId, authInfo, serverNumber, request }` of the session that
 *   called, `request` being what the handler sees of the HTTP request (`ctx.http.req`);
 * - `ask { tag }`: sends a `notifications/message` with `tag` on the request's stream, a
 *   server-wide `notifications/message` (standalone stream) with `tag`, then asks the client
 *   (elicitation, on the request's stream) and returns the answer;
 * - `wait { fail? }`: resolves when `release()` is called (a request that stays in progress),
 *   or with `fail: true` throws then; `waitStarted()` resolves when the next `wait` call
 *   reaches its handler.
 */
export function fixtureServerFactory() {
  const stats: FixtureStats = { created: 0, closed: 0 }
  const waiting: (() => void)[] = []
  const waitListeners: (() => void)[] = []
  const createServer = () => {
    const serverNumber = ++stats.created
    const server = new Server(
      { name: 'fixture', version: '1.0.0' },
      { capabilities: { tools: {}, logging: {} } },
    )
    server.onclose = () => {
      stats.closed++
    }
    server.setRequestHandler('tools/list', () => ({
      tools: [
        { name: 'whoami', inputSchema: { type: 'object' as const } },
        {
          name: 'ask',
          inputSchema: { type: 'object' as const, properties: { tag: { type: 'string' } } },
        },
        { name: 'wait', inputSchema: { type: 'object' as const } },
      ],
    }))
    server.setRequestHandler('tools/call', async (request, ctx) => {
      const text = (value: unknown) => ({
        content: [{ type: 'text' as const, text: JSON.stringify(value) }],
      })
      switch (request.params.name) {
        case 'whoami': {
          const req = ctx.http?.req
          return text({
            sessionId: ctx.sessionId,
            authInfo: ctx.http?.authInfo,
            serverNumber,
            request: req
              ? {
                  isRequest: req instanceof Request,
                  method: req.method,
                  url: req.url,
                  probe: req.headers.get('x-probe'),
                }
              : null,
          })
        }
        case 'ask': {
          const tag = String(request.params.arguments?.tag)
          await ctx.mcpReq.notify({
            method: 'notifications/message',
            params: { level: 'info', data: `related:${tag}` },
          })
          await server.sendLoggingMessage({ level: 'info', data: `standalone:${tag}` })
          const answer = await ctx.mcpReq.send({
            method: 'elicitation/create',
            params: {
              message: `question:${tag}`,
              requestedSchema: { type: 'object', properties: { answer: { type: 'string' } } },
            },
          })
          return text({ tag, answer: answer.content?.answer })
        }
        case 'wait':
          await new Promise<void>((resolve) => {
            waiting.push(resolve)
            for (const started of waitListeners.splice(0)) started()
          })
          if (request.params.arguments?.fail === true) throw new Error('failed after waiting')
          return text('released')
        default:
          throw new Error(`unknown tool ${request.params.name}`)
      }
    })
    return server
  }
  const release = () => {
    for (const resolve of waiting.splice(0)) resolve()
  }
  const waitStarted = () => new Promise<void>((resolve) => waitListeners.push(resolve))
  return { createServer, stats, release, waitStarted }
}

/** An SDK client that answers elicitation with `<name>:<question>` and records messages. */
export function recordingClient(name: string) {
  const client = new Client({ name, version: '1.0.0' }, { capabilities: { elicitation: {} } })
  const questions: string[] = []
  const logs: string[] = []
  client.setRequestHandler('elicitation/create', (request) => {
    const question = String(request.params.message)
    questions.push(question)
    return { action: 'accept', content: { answer: `${name}:${question}` } }
  })
  client.setNotificationHandler('notifications/message', (notification) => {
    logs.push(String(notification.params.data))
  })
  return { client, questions, logs }
}

/** The JSON a fixture tool returned as its text part. */
export function toolJson(result: unknown): Record<string, unknown> {
  const content = (result as { content: { text: string }[] }).content
  return JSON.parse(content[0]!.text) as Record<string, unknown>
}

export interface Listening {
  server: HttpServer
  url: (path?: string) => string
  port: number
  close(): Promise<void>
}

/** A node:http server on 127.0.0.1 and an ephemeral port. */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>,
): Promise<Listening> {
  const server = createHttpServer((req, res) => {
    void handler(req, res)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    server,
    port,
    url: (path = '/mcp') => `http://127.0.0.1:${port}${path}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/**
 * `req` as a web stream. Not `Readable.toWeb`: it enqueues chunks that arrive after the handler
 * cancelled the body (a refusal before reading it), which throws. Here a cancelled body's rest
 * is read and dropped.
 */
function webBody(req: IncomingMessage): ReadableStream<Uint8Array> {
  let done = false
  return new ReadableStream<Uint8Array>({
    start(controller) {
      req.pause()
      req.on('data', (chunk: Buffer) => {
        if (done) return
        controller.enqueue(new Uint8Array(chunk))
        if ((controller.desiredSize ?? 0) <= 0) req.pause()
      })
      req.on('end', () => {
        if (done) return
        done = true
        controller.close()
      })
      req.on('error', (error) => {
        if (done) return
        done = true
        controller.error(error)
      })
    },
    pull() {
      req.resume()
    },
    cancel() {
      done = true
      req.resume()
    },
  })
}

/** Serves a web-standard `(Request) => Response` handler on node:http, with a real `Request`. */
export function listenFetch(
  handler: (request: Request, req: IncomingMessage) => Promise<Response>,
): Promise<Listening> {
  return listen(async (req, res) => {
    const method = req.method ?? 'GET'
    const headers = new Headers()
    for (let index = 0; index < req.rawHeaders.length; index += 2) {
      headers.append(req.rawHeaders[index]!, req.rawHeaders[index + 1]!)
    }
    const hasBody = method !== 'GET' && method !== 'HEAD'
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method,
      headers,
      ...(hasBody ? { body: webBody(req), duplex: 'half' } : {}),
    } as RequestInit)
    const response = await handler(request, req)
    await writeWebResponse(response, res, method === 'GET')
  })
}

export interface RawAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/**
 * One request with node:http, which (unlike fetch) lets a test set `Host` and stream a body
 * slowly. `body` may be an async iterable of chunks.
 */
export function rawRequest(
  url: string,
  options: {
    method?: string
    headers?: Record<string, string>
    body?: string | AsyncIterable<Buffer>
  } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method: options.method ?? 'POST', headers: options.headers, agent: false },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        )
        response.on('error', reject)
      },
    )
    request.on('error', reject)
    const body = options.body
    if (body === undefined || typeof body === 'string') {
      request.end(body)
      return
    }
    void (async () => {
      try {
        for await (const chunk of body) {
          if (request.destroyed) return
          request.write(chunk)
        }
        request.end()
      } catch {
        request.destroy()
      }
    })()
  })
}

export const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
}

export const initializeBody = (id = 1) =>
  JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'raw-test', version: '1.0.0' },
    },
  })

/** Waits until `check` holds, polling; fails after `timeoutMs`. */
export async function eventually(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** The `_meta` envelope of a 2026-07-28 request. */
export const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw-test', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
}

/** A 2026-07-28 request: its body (with the `_meta` envelope) and its standard headers. */
export function modernRequest(
  method: string,
  params: Record<string, unknown> = {},
  id: number | string = 1,
): { headers: Record<string, string>; body: string } {
  const name = typeof params.name === 'string' ? params.name : params.uri
  return {
    headers: {
      ...MCP_HEADERS,
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...(typeof name === 'string' ? { 'mcp-name': name } : {}),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method,
      params: { ...params, _meta: { ...MODERN_META, ...(params._meta as object | undefined) } },
    }),
  }
}
