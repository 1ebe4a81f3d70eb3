import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AuthInfo } from '@modelcontextprotocol/server'
import { type JsonBodyResult, parseJson } from '../server/body.js'
import { type HttpRejection, jsonRpcErrorBody } from '../server/json-rpc.js'
import {
  type BodyLimits,
  bodyTimedOut,
  DEFAULT_MAX_BUFFERED_BYTES_PER_STREAM,
  DEFAULT_STREAM_STALL_TIMEOUT_MS,
  payloadTooLarge,
  tooManyBodiesInFlight,
} from '../server/security.js'

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
 * already consumed, else read from the stream within `limits`.
 */
export function requestJsonBody(
  req: IncomingMessage,
  parsedBody: unknown,
  limits: BodyLimits,
): Promise<JsonBodyResult> | JsonBodyResult {
  const known = parsedBody ?? consumedBody(req)
  return known === undefined ? readNodeJsonBody(req, limits) : { ok: true, value: known }
}

/**
 * Reads a request body as JSON within `limits`. A declared `Content-Length` over the cap is
 * refused unread; a body that grows past it, or past the handler's bytes in flight, stops
 * being buffered at once; one that takes longer than the deadline is refused (408). A
 * refusal leaves the rest of the body unread: answer it with `answerUnread`.
 */
export function readNodeJsonBody(
  req: IncomingMessage,
  limits: BodyLimits,
): Promise<JsonBodyResult> {
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > limits.maxBytes) {
    return Promise.resolve({ ok: false, rejection: payloadTooLarge(limits.maxBytes) })
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    const timer = setTimeout(
      () => finish({ ok: false, rejection: bodyTimedOut(limits.timeoutMs) }),
      limits.timeoutMs,
    )
    const finish = (result: JsonBodyResult) => {
      clearTimeout(timer)
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
      req.pause()
      limits.inFlight.give(size)
      resolve(result)
    }
    const onData = (chunk: Buffer | string) => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      if (size + buffer.length > limits.maxBytes) {
        chunks.length = 0
        finish({ ok: false, rejection: payloadTooLarge(limits.maxBytes) })
        return
      }
      if (!limits.inFlight.take(buffer.length)) {
        chunks.length = 0
        finish({ ok: false, rejection: tooManyBodiesInFlight() })
        return
      }
      size += buffer.length
      chunks.push(buffer)
    }
    const onEnd = () => {
      const text =
        chunks.length === 1
          ? chunks[0]!.toString('utf8')
          : Buffer.concat(chunks, size).toString('utf8')
      finish(parseJson(text, limits.maxDepth))
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

/**
 * Sends an answer to a request whose body has not been (fully) read: a 413, a 401 given from
 * the headers alone, a refused `Host`. Closing a socket with unread bytes in it resets the
 * connection, and the client never sees the answer; so the rest of the body is read and
 * dropped first (nothing is kept), for at most `limits.timeoutMs` and 16 × `limits.maxBytes`,
 * and the answer closes the connection. A request timed out (408) or a client past those
 * bounds gets its answer and the connection is destroyed.
 */
export function answerUnread(
  req: IncomingMessage,
  res: ServerResponse,
  limits: BodyLimits,
  answer: () => void | Promise<void>,
  abandon = false,
): Promise<void> {
  res.setHeader('connection', 'close')
  if (req.complete || req.destroyed || req.readableEnded) return Promise.resolve(answer())
  if (abandon) return Promise.resolve(answer()).finally(() => destroyAfter(req, res))
  return new Promise<void>((resolve) => {
    let dropped = 0
    let done = false
    const finish = (tooMuch: boolean) => {
      if (done) return
      done = true
      clearTimeout(timer)
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('close', onEnd)
      req.off('error', onEnd)
      if (tooMuch) req.pause()
      Promise.resolve(answer())
        .catch(() => {})
        .finally(() => {
          if (tooMuch) destroyAfter(req, res)
          resolve()
        })
    }
    const onData = (chunk: Buffer | string) => {
      dropped += chunk.length
      if (dropped > limits.maxBytes * 16) finish(true)
    }
    const onEnd = () => finish(false)
    const timer = setTimeout(() => finish(true), limits.timeoutMs)
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('close', onEnd)
    req.on('error', onEnd)
    req.resume()
  })
}

/** Destroys the connection once `res` has been written (at once if it already has). */
function destroyAfter(req: IncomingMessage, res: ServerResponse): void {
  if (res.writableFinished || res.destroyed) req.socket?.destroy()
  else res.once('close', () => req.socket?.destroy())
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

/** Bounds of one response stream (`writeWebResponse`). */
export interface StreamLimits {
  /** Most bytes left unwritten when the next event comes; default 8 MiB. */
  maxBufferedBytes?: number | undefined
  /** Longest time written bytes may wait for the client without any progress; default 30 s. */
  stallTimeoutMs?: number | undefined
}

/**
 * Destroys `res` when what was written to it stops moving for `stallTimeoutMs`: a client that
 * does not read holds nothing longer than that. Progress (`drain`) restarts the clock.
 */
function dropWhenStalled(res: ServerResponse, stallTimeoutMs: number): void {
  if (res.destroyed || res.writableLength === 0 || res.listenerCount('mcpkit:stall') > 0) return
  let timer: ReturnType<typeof setTimeout> | undefined
  const arm = () => {
    clearTimeout(timer)
    if (res.writableLength === 0 || res.destroyed) return stop()
    timer = setTimeout(() => {
      stop()
      if (res.writableLength > 0) res.destroy()
    }, stallTimeoutMs)
    timer.unref?.()
  }
  const stop = () => {
    clearTimeout(timer)
    res.off('drain', arm)
    res.off('finish', stop)
    res.off('close', stop)
    res.off('mcpkit:stall', arm)
  }
  res.on('drain', arm)
  res.once('finish', stop)
  res.once('close', stop)
  // A marker, so repeated calls (one per event) keep one watcher.
  res.on('mcpkit:stall', arm)
  arm()
}

/**
 * Writes a web `Response` to `res`. A body that is complete at once (a JSON answer, or an SSE
 * stream whose only event is the reply) goes out as one write with `Content-Length`; a stream
 * still open is piped as it comes, and cancelled if the client goes away. What waits to be
 * written is bounded: past `maxBufferedBytes` unwritten (a client that stopped reading) the
 * stream is cancelled and the connection destroyed, so it cannot grow the server's memory.
 * And what was written must be taken: bytes left unwritten for `stallTimeoutMs` with no
 * progress (a client that does not read at all) get the connection destroyed too.
 * With `flush`, an SSE stream's headers go out before its first event (long-lived GET streams).
 */
export async function writeWebResponse(
  response: Response,
  res: ServerResponse,
  flush: boolean,
  limits: StreamLimits = {},
): Promise<void> {
  const maxBufferedBytes = limits.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES_PER_STREAM
  const stallTimeoutMs = limits.stallTimeoutMs ?? DEFAULT_STREAM_STALL_TIMEOUT_MS
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
      dropWhenStalled(res, stallTimeoutMs)
      return
    }
  }
  res.writeHead(response.status, headers)
  if (first) res.write(first)
  else res.flushHeaders()
  await pipe(reader, res, pending, maxBufferedBytes, stallTimeoutMs)
}

/**
 * Pipes the stream to `res`. The SDK's streams take every event as it comes (they have no
 * backpressure of their own), so waiting for `drain` would only move the backlog into the
 * stream's queue, where nothing counts it: every event is written at once instead, and
 * `res.writableLength` — what the client has not taken yet — is the bound.
 */
async function pipe(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  res: ServerResponse,
  pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined,
  maxBufferedBytes: number,
  stallTimeoutMs: number,
): Promise<void> {
  let gone = false
  const onClose = () => {
    gone = true
    // Cancelling tells the SDK the stream is gone, so it drops the stream's bookkeeping.
    reader.cancel().catch(() => {})
  }
  res.on('close', onClose)
  // The client may have left while we waited for the first event; 'close' will not fire again.
  if (res.destroyed || res.closed) onClose()
  try {
    let read = pending ?? reader.read()
    for (;;) {
      const { done, value } = await read
      if (done || gone) break
      if (res.writableLength > maxBufferedBytes) {
        // The client has not taken what was written before: it stopped reading. Drop the
        // stream rather than buffer without bound (one event, however large, always goes).
        res.destroy()
        onClose()
        break
      }
      res.write(value)
      dropWhenStalled(res, stallTimeoutMs)
      read = reader.read()
    }
  } catch {
    // The stream errored: end the response; the SDK has already reported it.
  } finally {
    res.off('close', onClose)
    if (!gone) res.end()
  }
}
