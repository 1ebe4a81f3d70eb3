// HTTP hosting for OAuth tests: a node:http server on 127.0.0.1 whose port is known before the
// MCPServer exists (the protected resource's URL contains it), and an adapter that serves a
// web-standard `(Request) => Response` handler over real HTTP.
import http from 'node:http'
import { Readable } from 'node:stream'

/** A listening node:http server whose request handler is set after it started. */
export interface LateBoundHttp {
  readonly port: number
  readonly origin: string
  /** `origin` + `path`. */
  url(path: string): string
  /** Sets what answers requests from now on. */
  handle(handler: http.RequestListener): void
  /** Serves a web-standard handler: each request becomes a `Request`, its `Response` is streamed back. */
  handleFetch(handler: (request: Request) => Promise<Response> | Response): void
  close(): Promise<void>
}

/** Starts a node:http server on a free 127.0.0.1 port; it answers 503 until `handle()` is called. */
export async function startLateBoundHttp(): Promise<LateBoundHttp> {
  let current: http.RequestListener = (_req, res) => void res.writeHead(503).end('not ready')
  const server = http.createServer((req, res) => current(req, res))
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve))
  const address = server.address()
  if (address === null || typeof address !== 'object') throw new Error('no address')
  const origin = `http://127.0.0.1:${address.port}`
  return {
    port: address.port,
    origin,
    url: (path) => `${origin}${path}`,
    handle(handler) {
      current = handler
    },
    handleFetch(handler) {
      current = (req, res) => {
        void serveWebHandler(handler, req, res, origin)
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
        setTimeout(() => server.closeAllConnections(), 500).unref()
      }),
  }
}

async function serveWebHandler(
  handler: (request: Request) => Promise<Response> | Response,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  origin: string,
): Promise<void> {
  try {
    const controller = new AbortController()
    res.on('close', () => controller.abort())
    const headers = new Headers()
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue
      headers.set(name, Array.isArray(value) ? value.join(', ') : value)
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
    const request = new Request(new URL(req.url ?? '/', origin), {
      method: req.method ?? 'GET',
      headers,
      signal: controller.signal,
      ...(hasBody
        ? { body: Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>, duplex: 'half' }
        : {}),
    } as RequestInit)
    const response = await handler(request)
    const outgoing: Record<string, string> = {}
    response.headers.forEach((value, name) => {
      outgoing[name] = value
    })
    res.writeHead(response.status, outgoing)
    res.flushHeaders()
    if (!response.body) {
      res.end()
      return
    }
    const reader = response.body.getReader()
    res.on('close', () => void reader.cancel().catch(() => {}))
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      res.write(value)
    }
    res.end()
  } catch (error) {
    if (!res.headersSent) res.writeHead(500).end(String(error))
    else res.destroy()
  }
}

/** The parameters of a `WWW-Authenticate: Bearer …` header. */
export function bearerChallenge(header: string | string[] | undefined): Record<string, string> {
  const value = Array.isArray(header) ? header.join(', ') : (header ?? '')
  if (!/^Bearer\b/i.test(value)) throw new Error(`not a Bearer challenge: ${value}`)
  const parameters: Record<string, string> = {}
  for (const match of value.matchAll(/([a-z_]+)="([^"]*)"/gi)) {
    parameters[match[1]!] = match[2]!
  }
  return parameters
}
