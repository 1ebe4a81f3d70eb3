import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AuthInfo } from '@modelcontextprotocol/server'
import { type JsonBodyResult, parseJson } from '../server/body.js'
import { type HttpRejection, jsonRpcErrorBody } from '../server/json-rpc.js'
import { payloadTooLarge } from '../server/security.js'

/** An `IncomingMessage` as the host app's auth middleware leaves it (the SDK's convention). */
export type AuthenticatedIncomingMessage = IncomingMessage & { auth?: AuthInfo }

/** The request's host: `Host`, or HTTP/2's `:authority` (node:http2's compatibility API). */
export function hostHeader(req: IncomingMessage): string | undefined {
  const authority = req.headers[':authority']
  return req.headers.host ?? (typeof authority === 'string' ? authority : undefined)
}

/** The request's full URL; a host that is no valid URL host (checks off) falls back to localhost. */
export function requestUrl(req: IncomingMessage): URL {
  const encrypted = (req.socket as { encrypted?: boolean } | null)?.encrypted === true
  try {
    return new URL(
      req.url ?? '/',
      `${encrypted ? 'https' : 'http'}://${hostHeader(req) ?? 'localhost'}`,
    )
  } catch {
    return new URL(req.url ?? '/', 'http://localhost')
  }
}

/** Writes a JSON-RPC error answer straight to `res`. */
export function writeRejection(res: ServerResponse, rejection: HttpRejection): void {
  const body = jsonRpcErrorBody(rejection.code, rejection.message)
  if (res.headersSent) {
    res.end()
    return
  }
  res.writeHead(rejection.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...rejection.headers,
  })
  res.end(body)
}

/**
 * The body a framework's JSON middleware (express.json(), …) already parsed and consumed, if
 * any: reading the stream again would wait forever or see nothing.
 */
export function consumedBody(req: IncomingMessage): unknown {
  if (!req.readableEnded) return undefined
  return (req as IncomingMessage & { body?: unknown }).body
}

/**
 * The request's JSON body: the one the caller passed, else the one a framework's middleware
 * already consumed, else read from the stream (at most `maxBytes`).
 */
export function requestJsonBody(
  req: IncomingMessage,
  parsedBody: unknown,
  maxBytes: number,
): Promise<JsonBodyResult> | JsonBodyResult {
  const known = parsedBody ?? consumedBody(req)
  return known === undefined ? readNodeJsonBody(req, maxBytes) : { ok: true, value: known }
}

/**
 * Reads a request body as JSON, at most `maxBytes`. A declared `Content-Length` over the cap is
 * refused unread; a body that grows past it stops being read at once (the 413 answer closes
 * the connection, so the rest is never buffered).
 */
export function readNodeJsonBody(req: IncomingMessage, maxBytes: number): Promise<JsonBodyResult> {
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > maxBytes) {
    req.pause()
    return Promise.resolve({ ok: false, rejection: payloadTooLarge(maxBytes) })
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    const finish = (result: JsonBodyResult) => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
      resolve(result)
    }
    const onData = (chunk: Buffer | string) => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      size += buffer.length
      if (size > maxBytes) {
        req.pause()
        finish({ ok: false, rejection: payloadTooLarge(maxBytes) })
        return
      }
      chunks.push(buffer)
    }
    const onEnd = () => {
      const text =
        chunks.length === 1
          ? chunks[0]!.toString('utf8')
          : Buffer.concat(chunks, size).toString('utf8')
      finish(parseJson(text))
    }
    const failed = (detail: string): JsonBodyResult => ({
      ok: false,
      rejection: {
        status: 400,
        code: -32700,
        message: `Parse error: the request body could not be read (${detail})`,
      },
    })
    const onError = (error: Error) => finish(failed(error.message))
    const onClose = () => finish(failed('the client closed the connection'))
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('close', onClose)
  })
}

/** Methods a web `Request` cannot be made with (the fetch standard forbids them). */
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK'])

/**
 * A web `Request` with the method, URL and headers of `req`, for the web-standard session
 * layer and for the hooks it calls. It has no body: the body is read (capped) before and
 * handed over parsed. `undefined` for the methods a `Request` cannot carry (answer 405).
 */
export function toWebRequest(req: IncomingMessage, url: URL): Request | undefined {
  const method = req.method ?? 'GET'
  if (FORBIDDEN_METHODS.has(method.toUpperCase())) return undefined
  const headers = new Headers()
  const raw = req.headers
  for (const name in raw) {
    // HTTP/2 pseudo-headers (`:authority`, …) are not headers a `Request` may hold.
    if (name.startsWith(':')) continue
    const value = raw[name]
    if (value === undefined) continue
    if (typeof value === 'string') headers.append(name, value)
    else for (const item of value) headers.append(name, item)
  }
  return new Request(url, { method, headers })
}

/**
 * A signal that aborts when the client goes away before `res` has been fully written: how a
 * web `Request` made from `req` tells the SDK that its client left.
 */
export function abortedWhenClientLeaves(res: ServerResponse): AbortSignal {
  const controller = new AbortController()
  res.once('close', () => {
    if (!res.writableFinished) controller.abort()
  })
  return controller.signal
}

/** Resolves on the next microtask turn with `undefined` unless `read` has already settled. */
function readWithoutWaiting<T>(read: Promise<T>): Promise<T | undefined> {
  return Promise.race([read, Promise.resolve().then(() => undefined)])
}

function headersOf(response: Response): Record<string, string> {
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    headers[name] = value
  })
  return headers
}

/**
 * Writes a web `Response` to `res`. A body that is complete at once (a JSON answer, or an SSE
 * stream whose only event is the reply) goes out as one write with `Content-Length`; a stream
 * still open is piped as it comes, with backpressure, and cancelled if the client goes away.
 * With `flush`, an SSE stream's headers go out before its first event (long-lived GET streams).
 */
export async function writeWebResponse(
  response: Response,
  res: ServerResponse,
  flush: boolean,
): Promise<void> {
  const headers = headersOf(response)
  const body = response.body
  if (!body) {
    res.writeHead(response.status, headers)
    res.end()
    return
  }
  const reader = body.getReader()
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined
  let first: Uint8Array | undefined
  const longLived = flush && headers['content-type']?.startsWith('text/event-stream') === true
  if (!longLived) {
    const read = await reader.read()
    if (read.done) {
      headers['content-length'] = '0'
      res.writeHead(response.status, headers)
      res.end()
      return
    }
    first = read.value
    pending = reader.read()
    const next = await readWithoutWaiting(pending)
    if (next?.done) {
      headers['content-length'] = String(first.byteLength)
      res.writeHead(response.status, headers)
      res.end(first)
      return
    }
  }
  res.writeHead(response.status, headers)
  if (first) res.write(first)
  else res.flushHeaders()
  await pipe(reader, res, pending)
}

async function pipe(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  res: ServerResponse,
  pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined,
): Promise<void> {
  let gone = false
  let resumeAfterDrain: (() => void) | undefined
  const onClose = () => {
    gone = true
    // Cancelling tells the SDK the stream is gone, so it drops the stream's bookkeeping.
    reader.cancel().catch(() => {})
    resumeAfterDrain?.()
  }
  res.on('close', onClose)
  // The client may have left while we waited for the first event; 'close' will not fire again.
  if (res.destroyed || res.closed) onClose()
  try {
    let read = pending ?? reader.read()
    for (;;) {
      const { done, value } = await read
      if (done || gone) break
      if (!res.write(value)) {
        await new Promise<void>((resolve) => {
          resumeAfterDrain = resolve
          res.once('drain', resolve)
        })
        res.off('drain', resumeAfterDrain!)
        resumeAfterDrain = undefined
        if (gone) break
      }
      read = reader.read()
    }
  } catch {
    // The stream errored: end the response; the SDK has already reported it.
  } finally {
    res.off('close', onClose)
    if (!gone) res.end()
  }
}
