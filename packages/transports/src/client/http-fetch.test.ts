import { getEventListeners } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import {
  Client,
  SdkHttpError,
  StreamableHTTPClientTransport,
  type Transport,
} from '@modelcontextprotocol/client'
import { afterEach, describe, expect, it } from 'vitest'
import { isNetworkFailure } from '../sdk-contract.js'
import { listen } from '../test-support.js'
import { countJsonBody } from './counting-body.js'
import { TransportFetch } from './http-fetch.js'
import { type RequestScope, requestScopeOptions } from './request-scope.js'

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

type JsonRpc = {
  id?: number
  method?: string
  params?: { name?: string; protocolVersion?: string }
}

async function readBody(req: IncomingMessage): Promise<JsonRpc | undefined> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  return text ? (JSON.parse(text) as JsonRpc) : undefined
}

const sseEvent = (message: unknown) => `event: message\ndata: ${JSON.stringify(message)}\n\n`
const toolResult = (id: number, text: string) => ({
  jsonrpc: '2.0',
  id,
  result: { content: [{ type: 'text', text }] },
})

/**
 * A Streamable HTTP server written by hand, so each tool can answer the way a test needs:
 * - `answered`: an SSE stream with the answer, ended at once;
 * - `lost`: an SSE stream with a notification, ended without the answer;
 * - `broken`: an SSE stream with a notification, then the connection destroyed;
 * - `json`: a JSON answer;
 * - `gone`: 404, as for a session the server no longer knows.
 */
async function craftedServer() {
  const ids = new Map<string, number>()
  const http = await listen(async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET') {
      // No standalone stream on the MCP endpoint; nothing anywhere else.
      res.writeHead(req.url === '/mcp' ? 405 : 404).end()
      return
    }
    if (req.method === 'DELETE') {
      res.writeHead(200).end()
      return
    }
    const message = await readBody(req)
    if (message?.method === 'initialize') {
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'crafted' })
      res.end(
        JSON.stringify({
          jsonrpc: '2.0',
          id: message.id,
          result: {
            protocolVersion: message.params?.protocolVersion,
            capabilities: { tools: {} },
            serverInfo: { name: 'crafted', version: '1.0.0' },
          },
        }),
      )
      return
    }
    if (message?.id === undefined || message.method === undefined) {
      res.writeHead(202).end()
      return
    }
    const id = message.id
    const name = message.params?.name ?? message.method
    ids.set(name, id)
    const notice = sseEvent({
      jsonrpc: '2.0',
      method: 'notifications/message',
      params: { level: 'info', data: `working on ${name}` },
    })
    switch (name) {
      case 'answered':
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.end(notice + sseEvent(toolResult(id, 'answered')))
        return
      case 'lost':
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.end(notice)
        return
      case 'broken':
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.write(notice, () => res.destroy())
        return
      case 'gone':
        res.writeHead(404, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'x' } }))
        return
      default:
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(toolResult(id, name)))
    }
  })
  cleanups.push(() => http.close())
  return { http, ids }
}

/** An SDK client on `url` whose transport's requests all go through one `TransportFetch`. */
async function connectThrough(url: string) {
  const transportFetch = new TransportFetch({ url })
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    fetch: transportFetch.fetch,
  })
  const client = new Client({ name: 'http-fetch-test', version: '1.0.0' })
  const logs: string[] = []
  client.setNotificationHandler('notifications/message', (notification) => {
    logs.push(String(notification.params.data))
  })
  await client.connect(transport)
  transportFetch.attach(transport)
  cleanups.push(() => client.close())
  return { client, transportFetch, logs }
}

/**
 * Reads an SSE answer as the SDK does: decoded by a `TextDecoderStream`, piped on into its event
 * parser (here a pass-through transform), read by a reader of what comes out.
 */
async function decodeAsTheSdkDoes(response: Response): Promise<string> {
  const reader = response
    .body!.pipeThrough(new TextDecoderStream())
    .pipeThrough(new TransformStream<string, string>())
    .getReader()
  let text = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return text
    text += value
  }
}

/** An SSE body that sends `data: {}` events for as long as it is read, recording its pulls. */
function eventSource() {
  const seen = { pulls: 0, cancelled: undefined as unknown }
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        seen.pulls++
        if (seen.pulls > 1000) throw new Error('read on past what was asked for')
        controller.enqueue(new TextEncoder().encode('data: {}\n\n'))
      },
      cancel(reason) {
        seen.cancelled = reason
      },
    },
    { highWaterMark: 0 },
  )
  const response = new Response(stream, { headers: { 'content-type': 'text/event-stream' } })
  return Object.assign(seen, { response })
}

const call = (client: Client, name: string) =>
  client.callTool({ name, arguments: {} }, { timeout: 10_000 })

describe('TransportFetch', () => {
  it('reports a stream that ended before its answer, and not one that carried it', async () => {
    const { http, ids } = await craftedServer()
    const { client, transportFetch, logs } = await connectThrough(http.url())
    const lost: (string | number)[] = []
    let onLost: (() => void) | undefined
    transportFetch.onStreamLost = (id) => {
      lost.push(id)
      onLost?.()
    }

    // Answered on a stream that ends in the same breath: not lost.
    expect(await call(client, 'answered')).toMatchObject({ content: [{ text: 'answered' }] })
    expect(await call(client, 'json')).toMatchObject({ content: [{ text: 'json' }] })

    // Ended without the answer: lost, with that request's id; the call itself still waits.
    const lostOnce = new Promise<void>((resolve) => {
      onLost = resolve
    })
    const pending = call(client, 'lost').then(
      () => 'answered',
      (error: unknown) => error,
    )
    await lostOnce
    expect(lost).toEqual([ids.get('lost')])
    expect(logs).toContain('working on lost')

    // Broken mid-stream: lost as well.
    const brokenOnce = new Promise<void>((resolve) => {
      onLost = resolve
    })
    const broken = call(client, 'broken').then(
      () => 'answered',
      (error: unknown) => error,
    )
    await brokenOnce
    expect(lost).toEqual([ids.get('lost'), ids.get('broken')])

    // Another full round trip, long after any check for the answered stream has run.
    expect(await call(client, 'answered')).toMatchObject({ content: [{ text: 'answered' }] })
    expect(lost).toEqual([ids.get('lost'), ids.get('broken')])

    // Closing the client fails the waiting calls; streams it aborts are not reported as lost.
    await client.close()
    expect(await pending).not.toBe('answered')
    expect(await broken).not.toBe('answered')
    expect(lost).toHaveLength(2)
  })

  it('does not report the streams it aborts when the transport closes', async () => {
    const { http } = await craftedServer()
    const { client, transportFetch } = await connectThrough(http.url())
    const lost: (string | number)[] = []
    transportFetch.onStreamLost = (id) => void lost.push(id)
    expect(await call(client, 'answered')).toMatchObject({ content: [{ text: 'answered' }] })
    await client.close()
    // One more full round trip on a fresh connection, so a late report would have landed.
    const other = await connectThrough(http.url())
    expect(await call(other.client, 'json')).toMatchObject({ content: [{ text: 'json' }] })
    expect(lost).toEqual([])
  })

  it('marks the session expired once a POST is answered 404, and only then', async () => {
    const { http } = await craftedServer()
    const { client, transportFetch } = await connectThrough(http.url())
    await call(client, 'json')
    await call(client, 'answered')
    expect(transportFetch.sessionExpired).toBe(false)

    // A 404 to something other than a POST says nothing about the session.
    const get = await transportFetch.fetch(http.url('/elsewhere'), {
      method: 'GET',
      signal: new AbortController().signal,
    })
    expect(get.status).toBe(404)
    expect(transportFetch.sessionExpired).toBe(false)

    const error = await call(client, 'gone').then(
      () => undefined,
      (failure: unknown) => failure,
    )
    expect(error).toBeInstanceOf(SdkHttpError)
    expect((error as SdkHttpError).status).toBe(404)
    expect(transportFetch.sessionExpired).toBe(true)
  })
})

describe('TransportFetch bounds what it reads (maxResponseBytes)', () => {
  const body = (chunks: string[], type: string) =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk))
          controller.close()
        },
      }),
      { headers: { 'content-type': type } },
    )
  const transportFetch = (response: Response) =>
    new TransportFetch({
      url: 'http://127.0.0.1:1/mcp',
      maxResponseBytes: 100,
      fetch: async () => response,
    })

  it('lets an SSE stream run past the limit in events that each fit, split anywhere', async () => {
    const events = Array.from(
      { length: 20 },
      (_, index) => `data: ${'x'.repeat(60)}${index}\r\n\r\n`,
    )
    const chunks = events.join('').match(/.{1,7}/gs) ?? []
    const response = await transportFetch(body(chunks, 'text/event-stream')).fetch('http://x', {})
    expect((await response.text()).length).toBeGreaterThan(1000)
  })

  it('errors one SSE event, or one JSON body, over the limit with RESPONSE_TOO_LARGE', async () => {
    const event = await transportFetch(
      body([`data: ${'x'.repeat(60)}`, 'x'.repeat(60), '\n\n'], 'text/event-stream'),
    ).fetch('http://x', {})
    await expect(event.text()).rejects.toMatchObject({ code: 'RESPONSE_TOO_LARGE' })
    const json = await transportFetch(
      body(['{"a":"', 'x'.repeat(60), '\n\n', 'x'.repeat(60), '"}'], 'application/json'),
    ).fetch('http://x', {})
    await expect(json.json()).rejects.toMatchObject({ code: 'RESPONSE_TOO_LARGE' })
  })

  /** A body that never ends (`first`, then 30 bytes a pull), recording its pulls and cancellation. */
  function endlessBody(first?: string) {
    const seen = { pulls: 0, cancelled: undefined as unknown }
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        seen.pulls++
        if (seen.pulls > 1000) throw new Error('read on past the limit')
        const text = seen.pulls === 1 && first !== undefined ? first : 'x'.repeat(30)
        controller.enqueue(new TextEncoder().encode(text))
      },
      cancel(reason) {
        seen.cancelled = reason
      },
    })
    return Object.assign(seen, { stream })
  }

  it('counts an SSE body the SDK decodes the same way: events split anywhere, the limit, a broken body', async () => {
    // Split inside a line, inside CRLF, and inside a multi-byte character.
    const events = Array.from(
      { length: 20 },
      (_, index) => `data: ${'é'.repeat(30)}${index}\r\n\r\n`,
    )
    const bytes = new TextEncoder().encode(events.join(''))
    const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, index) =>
      bytes.subarray(index * 7, index * 7 + 7),
    )
    const split = new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(chunk)
          controller.close()
        },
      }),
      { headers: { 'content-type': 'text/event-stream' } },
    )
    expect(await decodeAsTheSdkDoes(await transportFetch(split).fetch('http://x', {}))).toBe(
      events.join(''),
    )
    // A chunk that is only the first byte of a character gives no text yet: reading goes on.
    const e = new TextEncoder().encode('é')
    const lone = new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('data: '))
          controller.enqueue(e.subarray(0, 1))
          controller.enqueue(e.subarray(1))
          controller.enqueue(new TextEncoder().encode('\n\n'))
          controller.close()
        },
      }),
      { headers: { 'content-type': 'text/event-stream' } },
    )
    expect(await decodeAsTheSdkDoes(await transportFetch(lone).fetch('http://x', {}))).toBe(
      'data: é\n\n',
    )

    const endless = endlessBody('data: ')
    const cut = await transportFetch(
      new Response(endless.stream, { headers: { 'content-type': 'text/event-stream' } }),
    ).fetch('http://x', {})
    await expect(decodeAsTheSdkDoes(cut)).rejects.toMatchObject({ code: 'RESPONSE_TOO_LARGE' })
    expect(endless.cancelled).toMatchObject({ code: 'RESPONSE_TOO_LARGE' })
    expect(endless.pulls).toBeLessThan(10)

    // Any other way to read it counts too: here a transform of the caller's own.
    const other = await transportFetch(
      body([`data: ${'x'.repeat(60)}`, 'x'.repeat(60), '\n\n'], 'text/event-stream'),
    ).fetch('http://x', {})
    const read = new Response(other.body!.pipeThrough(new TransformStream())).text()
    await expect(read).rejects.toMatchObject({ code: 'RESPONSE_TOO_LARGE' })

    const reset = new TypeError('terminated')
    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: {}\n'))
        controller.error(reset)
      },
    })
    const lost = await transportFetch(
      new Response(broken, { headers: { 'content-type': 'text/event-stream' } }),
    ).fetch('http://x', {})
    await expect(decodeAsTheSdkDoes(lost)).rejects.toBe(reset)
    expect(isNetworkFailure(reset)).toBe(true)
  })

  it('pipes a decoded SSE body into the next transform as pipeTo would: on demand, cancellable', async () => {
    const source = eventSource()
    const response = await transportFetch(source.response).fetch('http://x', {})
    const decoded = response.body!.pipeThrough(new TextDecoderStream())
    const parsed = decoded.pipeThrough(new TransformStream<string, string>())
    // Piped: the decoded stream is locked, as any piped stream is.
    expect(decoded.locked).toBe(true)
    expect(() => decoded.getReader()).toThrow(TypeError)
    const reader = parsed.getReader()
    expect(await reader.read()).toEqual({ done: false, value: 'data: {}\n\n' })
    expect(await reader.read()).toEqual({ done: false, value: 'data: {}\n\n' })
    // Nothing is read ahead of the reader but what the transform's one-chunk queue holds.
    for (let turn = 0; turn < 5; turn++) await new Promise(setImmediate)
    expect(source.pulls).toBeLessThanOrEqual(4)
    // The reader cancelling what the transform gives cancels the body under it.
    const reason = new Error('no longer listening')
    await reader.cancel(reason)
    await expect.poll(() => source.cancelled).toBe(reason)

    // With pipe options, the pipe is Node's own, options and all.
    const second = eventSource()
    const held = await transportFetch(second.response).fetch('http://x', {})
    const stop = new AbortController()
    const through = held
      .body!.pipeThrough(new TextDecoderStream())
      .pipeThrough(new TransformStream<string, string>(), { signal: stop.signal })
    const heldReader = through.getReader()
    expect(await heldReader.read()).toEqual({ done: false, value: 'data: {}\n\n' })
    stop.abort(reason)
    await expect(heldReader.read()).rejects.toBe(reason)
    await expect.poll(() => second.cancelled).toBe(reason)
  })

  /** A scope that tallies what it hears. */
  const tally = () => {
    const heard = { bytes: 0, lost: 0 }
    const scope: RequestScope = {
      received: (bytes) => {
        heard.bytes += bytes
      },
      streamLost: () => {
        heard.lost++
      },
    }
    return { heard, scope }
  }

  it('counts a JSON answer once, read whole or through its body, and reports it to the scope', async () => {
    const text = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { pad: 'x'.repeat(40) } })
    const chunks = text.match(/.{1,9}/gs) ?? []
    const whole = tally()
    const read = countJsonBody(body(chunks, 'application/json'), 100, whole.scope)
    expect(await read.json()).toEqual(JSON.parse(text))
    expect(whole.heard).toEqual({ bytes: text.length, lost: 0 })
    await expect(read.json()).rejects.toThrow(TypeError)
    const buffer = await countJsonBody(
      body(chunks, 'application/json'),
      100,
      undefined,
    ).arrayBuffer()
    expect(new TextDecoder().decode(buffer)).toBe(text)

    // `body` asked for first (as `if (response.body)` does), then `json()`: counted once.
    const viaBody = tally()
    const response = countJsonBody(body(chunks, 'application/json'), 100, viaBody.scope)
    expect(response.body).not.toBeNull()
    expect(await response.json()).toEqual(JSON.parse(text))
    expect(viaBody.heard).toEqual({ bytes: text.length, lost: 0 })

    // Read through `body`, the limit holds as well.
    const big = countJsonBody(
      body(['{"a":"', 'x'.repeat(120), '"}'], 'application/json'),
      100,
      undefined,
    )
    await expect(new Response(big.body).text()).rejects.toMatchObject({
      code: 'RESPONSE_TOO_LARGE',
    })
  })

  it('reports a JSON answer the network cut off as a lost stream and a network failure', async () => {
    let pulls = 0
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulls++ === 0) controller.enqueue(new TextEncoder().encode('{"jsonrpc":'))
        else controller.error(new TypeError('terminated'))
      },
    })
    const { heard, scope } = tally()
    const error = await countJsonBody(
      new Response(broken, { headers: { 'content-type': 'application/json' } }),
      100,
      scope,
    )
      .json()
      .catch((failure: unknown) => failure)
    expect(error).toBeInstanceOf(TypeError)
    expect(isNetworkFailure(error)).toBe(true)
    expect(heard).toEqual({ bytes: 11, lost: 1 })
  })

  it('stops reading at the limit and cancels the body, and passes a broken body on', async () => {
    // An endless body: the counter must stop pulling once a message is over the limit.
    const endless = endlessBody()
    const cut = await transportFetch(
      new Response(endless.stream, { headers: { 'content-type': 'application/json' } }),
    ).fetch('http://x', {})
    await expect(cut.text()).rejects.toMatchObject({ code: 'RESPONSE_TOO_LARGE' })
    expect(endless.cancelled).toMatchObject({ code: 'RESPONSE_TOO_LARGE' })
    expect(endless.pulls).toBeLessThan(10)

    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: {}\n'))
        controller.error(new Error('connection reset'))
      },
    })
    const lost = await transportFetch(
      new Response(broken, { headers: { 'content-type': 'text/event-stream' } }),
    ).fetch('http://x', {})
    await expect(lost.text()).rejects.toThrow('connection reset')
  })
})

describe('TransportFetch lets go of a stream known only to its ring once it ended', () => {
  const sse = (end: boolean) =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('data: {}\n\n'))
          if (end) controller.close()
        },
      }),
      { headers: { 'content-type': 'text/event-stream' } },
    )

  it('aborts an open GET stream with its signal, and keeps nothing of an ended one', async () => {
    const signals: AbortSignal[] = []
    let end = false
    const transportFetch = new TransportFetch({
      url: 'http://127.0.0.1:1/mcp',
      fetch: async (_url, init) => {
        signals.push(init?.signal as AbortSignal)
        return sse(end)
      },
    })
    const outer = new AbortController()
    const open = await transportFetch.fetch('http://x', { method: 'GET', signal: outer.signal })
    const reader = open.body!.getReader()
    await reader.read()
    end = true
    const ended = await transportFetch.fetch('http://x', { method: 'GET', signal: outer.signal })
    await ended.text()
    // Read as the SDK reads it, an ended stream is let go of as well.
    const decoded = await transportFetch.fetch('http://x', { method: 'GET', signal: outer.signal })
    await decodeAsTheSdkDoes(decoded)
    // So is one whose decoded text is read as a stream.
    const text = await transportFetch.fetch('http://x', { method: 'GET', signal: outer.signal })
    for await (const _ of text.body!.pipeThrough(
      new TextDecoderStream(),
    ) as unknown as AsyncIterable<string>) {
      // read to the end
    }
    expect(getEventListeners(outer.signal, 'abort')).toHaveLength(1)
    outer.abort()
    expect(signals[0]?.aborted).toBe(true)
    expect(signals[1]?.aborted).toBe(false)
    expect(signals[2]?.aborted).toBe(false)
    expect(signals[3]?.aborted).toBe(false)
    await reader.cancel().catch(() => {})

    const other = new AbortController()
    const last = await transportFetch.fetch('http://x', { method: 'GET', signal: other.signal })
    await last.text()
    expect(getEventListeners(other.signal, 'abort')).toHaveLength(0)
  })
})

describe('TransportFetch parks the standalone GET stream', () => {
  /** A fetch that records each request and answers with an open SSE stream it can cancel. */
  function streamingFetch() {
    const sent: { method: string | undefined; lastEventId: string | null }[] = []
    const cancelled: unknown[] = []
    let headers: Promise<void> = Promise.resolve()
    const transportFetch = (parked: boolean) =>
      new TransportFetch(
        {
          url: 'http://127.0.0.1:1/mcp',
          fetch: async (_url, init) => {
            sent.push({
              method: init?.method,
              lastEventId: new Headers(init?.headers).get('last-event-id'),
            })
            await headers
            return new Response(
              new ReadableStream<Uint8Array>({
                start(controller) {
                  controller.enqueue(new TextEncoder().encode(': open\n\n'))
                },
                cancel(reason) {
                  cancelled.push(reason)
                },
              }),
              { headers: { 'content-type': 'text/event-stream' } },
            )
          },
        },
        { parked },
      )
    return {
      sent,
      cancelled,
      transportFetch,
      holdHeaders(): () => void {
        let release = () => {}
        headers = new Promise<void>((resolve) => {
          release = resolve
        })
        return release
      },
    }
  }

  /** Whether `promise` settled within a few turns of the event loop. */
  async function settled(promise: Promise<unknown>): Promise<boolean> {
    let done = false
    promise.then(
      () => {
        done = true
      },
      () => {
        done = true
      },
    )
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve))
    return done
  }

  it('holds the GET back while parked and sends it on resume; resumptions of POST streams go out', async () => {
    const { sent, transportFetch } = streamingFetch()
    const stream = transportFetch(true)
    const signal = new AbortController().signal
    const get = stream.fetch('http://x', { method: 'GET', headers: {}, signal })
    const resumption = await stream.fetch('http://x', {
      method: 'GET',
      headers: { 'last-event-id': '7' },
      signal,
    })
    await resumption.body?.cancel()
    expect(sent).toEqual([{ method: 'GET', lastEventId: '7' }])
    expect(await settled(get)).toBe(false)
    expect(stream.open).toBe(false)

    stream.resume()
    const response = await get
    expect(response.status).toBe(200)
    expect(sent).toHaveLength(2)
    expect(stream.open).toBe(true)

    // Parking ends the open stream: its reader fails, as when the network drops it.
    const reader = response.body!.getReader()
    await reader.read()
    stream.park()
    await expect(reader.read()).rejects.toThrow(/parked/)
    expect(stream.open).toBe(false)
  })

  it('answers an older held GET 405 when a newer one comes, and rejects one whose signal aborts', async () => {
    const { sent, transportFetch } = streamingFetch()
    const stream = transportFetch(true)
    const transport = new AbortController()
    const older = stream.fetch('http://x', { method: 'GET', signal: transport.signal })
    const newer = stream.fetch('http://x', { method: 'GET', signal: transport.signal })
    expect((await older).status).toBe(405)
    expect(getEventListeners(transport.signal, 'abort')).toHaveLength(1)
    transport.abort(new Error('transport closed'))
    await expect(newer).rejects.toThrow('transport closed')
    expect(getEventListeners(transport.signal, 'abort')).toHaveLength(0)
    stream.resume()
    expect(sent).toEqual([])
  })

  it('cancels a GET parked while its headers were on the way, and holds it until resume', async () => {
    const { sent, cancelled, transportFetch, holdHeaders } = streamingFetch()
    const stream = transportFetch(false)
    const release = holdHeaders()
    const get = stream.fetch('http://x', {
      method: 'GET',
      signal: new AbortController().signal,
    })
    await new Promise((resolve) => setImmediate(resolve))
    expect(sent).toHaveLength(1)
    stream.park()
    release()
    expect(await settled(get)).toBe(false)
    expect(cancelled).toHaveLength(1)
    expect(stream.open).toBe(false)
    stream.resume()
    expect((await get).status).toBe(200)
    expect(sent).toHaveLength(2)
    expect(stream.open).toBe(true)
  })
})

describe('TransportFetch ends an aborted request itself, whatever the fetch under it did', () => {
  /** An open SSE body that records its cancellation, from a fetch that ignores the signal. */
  function deafFetch(headers?: Promise<void>) {
    const cancelled: unknown[] = []
    const fetch = async () => {
      await headers
      return new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('data: {}\n\n'))
          },
          cancel(reason) {
            cancelled.push(reason)
          },
        }),
        { headers: { 'content-type': 'text/event-stream' } },
      )
    }
    return { fetch, cancelled }
  }

  /**
   * Opens a `GET` stream, reads its first event through `read`, then aborts the request while a
   * read waits: the read fails with the reason, the body is cancelled, no listener is left.
   */
  async function abortMidRead(
    transportFetch: TransportFetch,
    deaf: ReturnType<typeof deafFetch>,
    reason: Error,
    read: (body: NonNullable<Response['body']>) => ReadableStreamDefaultReader<string>,
  ) {
    const outer = new AbortController()
    const response = await transportFetch.fetch('http://x', { method: 'GET', signal: outer.signal })
    const reader = read(response.body!)
    expect(await reader.read()).toEqual({ done: false, value: 'data: {}\n\n' })
    const next = reader.read()
    outer.abort(reason)
    await expect(next).rejects.toBe(reason)
    await expect.poll(() => deaf.cancelled).toEqual([reason])
    expect(getEventListeners(outer.signal, 'abort')).toHaveLength(0)
  }

  // Node's fetch can lose its signal in a garbage collection (nodejs/undici#3644).
  it('errors and cancels an open stream when its signal aborts', async () => {
    const deaf = deafFetch()
    const transportFetch = new TransportFetch({ url: 'http://127.0.0.1:1/mcp', fetch: deaf.fetch })
    const outer = new AbortController()
    const response = await transportFetch.fetch('http://x', { method: 'GET', signal: outer.signal })
    const reader = response.body!.getReader()
    await reader.read()
    const next = reader.read()
    const reason = new Error('closed by the client')
    outer.abort(reason)
    await expect(next).rejects.toBe(reason)
    expect(deaf.cancelled).toEqual([reason])
    expect(getEventListeners(outer.signal, 'abort')).toHaveLength(0)
  })

  it('errors and cancels an open stream the SDK is decoding when its signal aborts', async () => {
    const deaf = deafFetch()
    const transportFetch = new TransportFetch({ url: 'http://127.0.0.1:1/mcp', fetch: deaf.fetch })
    const reason = new Error('closed by the client')
    await abortMidRead(transportFetch, deaf, reason, (body) =>
      body.pipeThrough(new TextDecoderStream()).getReader(),
    )

    // Aborted before anything read it: reading it then fails the same way.
    const early = new AbortController()
    const unread = await transportFetch.fetch('http://x', { method: 'GET', signal: early.signal })
    early.abort(reason)
    await expect(unread.body!.pipeThrough(new TextDecoderStream()).getReader().read()).rejects.toBe(
      reason,
    )
    expect(deaf.cancelled).toEqual([reason, reason])
  })

  it('errors and cancels an open stream piped into the SDK’s event parser when its signal aborts', async () => {
    const deaf = deafFetch()
    const transportFetch = new TransportFetch({ url: 'http://127.0.0.1:1/mcp', fetch: deaf.fetch })
    const reason = new Error('closed by the client')
    await abortMidRead(transportFetch, deaf, reason, (body) =>
      body
        .pipeThrough(new TextDecoderStream())
        .pipeThrough(new TransformStream<string, string>())
        .getReader(),
    )

    // Aborted after it was decoded, before it was piped: the pipe carries the error on.
    const early = new AbortController()
    const unread = await transportFetch.fetch('http://x', { method: 'GET', signal: early.signal })
    const decoded = unread.body!.pipeThrough(new TextDecoderStream())
    early.abort(reason)
    const piped = decoded.pipeThrough(new TransformStream<string, string>()).getReader()
    await expect(piped.read()).rejects.toBe(reason)
    expect(deaf.cancelled).toEqual([reason, reason])
  })

  it('rejects, and cancels the body, when the signal aborted before the headers came', async () => {
    let sendHeaders!: () => void
    const deaf = deafFetch(new Promise<void>((resolve) => (sendHeaders = resolve)))
    const transportFetch = new TransportFetch({ url: 'http://127.0.0.1:1/mcp', fetch: deaf.fetch })
    const outer = new AbortController()
    const response = transportFetch.fetch('http://x', { method: 'GET', signal: outer.signal })
    const reason = new Error('closed by the client')
    outer.abort(reason)
    sendHeaders()
    await expect(response).rejects.toBe(reason)
    expect(deaf.cancelled).toEqual([reason])
  })
})

/**
 * A `TransportFetch` watching a transport, in front of a server that never answers: each request
 * waits for its headers until it is aborted.
 */
function silentServer() {
  const transportFetch = new TransportFetch({
    url: 'http://127.0.0.1:1/mcp',
    fetch: (_url, init) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason))
      }),
  })
  const transport = { send: async () => {} } as unknown as Transport
  transportFetch.attach(transport)
  return { transportFetch, transport }
}

describe('TransportFetch forgets a request once its own signal aborted', () => {
  /** A full garbage collection, with `gc` exposed on first use (no `--expose-gc` needed). */
  const collect = (() => {
    let gc: (() => void) | undefined
    return () => {
      if (!gc) {
        setFlagsFromString('--expose-gc')
        gc = runInNewContext('gc') as () => void
      }
      gc()
    }
  })()

  /**
   * Sends a modern-era request (its own signal, as the SDK gives each one) answered by an SSE
   * stream that stays open, cancels it, and returns a weak reference to what was sent: the
   * signal TransportFetch gave the request. The SDK reports no stream end for a stream it
   * cancelled, so only the abort can let it go.
   */
  async function cancelledRequest(transportFetch: TransportFetch, id: number) {
    const outer = new AbortController()
    const response = await transportFetch.fetch('http://x', {
      method: 'POST',
      body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'slow' } }),
      signal: outer.signal,
    })
    const reader = response.body!.getReader()
    await reader.read()
    outer.abort(new Error('cancelled by the caller'))
    await expect(reader.read()).rejects.toThrow('cancelled by the caller')
  }

  it('keeps neither the request, its controller nor the abort reason', async () => {
    const sent: WeakRef<AbortSignal>[] = []
    const transportFetch = new TransportFetch({
      url: 'http://127.0.0.1:1/mcp',
      fetch: async (_url, init) => {
        sent.push(new WeakRef(init?.signal as AbortSignal))
        return new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(new TextEncoder().encode(': open\n\n'))
            },
          }),
          { headers: { 'content-type': 'text/event-stream' } },
        )
      },
    })
    // Watching a transport is what makes requests tracked by their JSON-RPC id.
    transportFetch.attach({ send: async () => {} } as unknown as Transport)
    for (let id = 1; id <= 3; id++) await cancelledRequest(transportFetch, id)
    // A WeakRef holds its target until the current job ends.
    await new Promise((resolve) => setImmediate(resolve))
    collect()
    expect(sent).toHaveLength(3)
    expect(sent.filter((signal) => signal.deref() !== undefined)).toHaveLength(0)
  })

  it('keeps no scope of a request cancelled before its headers came', async () => {
    const { transportFetch, transport } = silentServer()
    const sendInScope = async (id: number) => {
      const scope: RequestScope = { received() {}, streamLost() {} }
      const body = { jsonrpc: '2.0' as const, id, method: 'tools/call', params: { name: 'x' } }
      await transport.send(body, requestScopeOptions(scope))
      const outer = new AbortController()
      const response = transportFetch.fetch('http://x', {
        method: 'POST',
        body: JSON.stringify(body),
        signal: outer.signal,
      })
      outer.abort(new Error('cancelled by the caller'))
      await expect(response).rejects.toThrow('cancelled by the caller')
      return new WeakRef(scope)
    }
    // The first request in a scope is read only once a scope is known; the rest by their id.
    const scopes = [await sendInScope(1), await sendInScope(2), await sendInScope(3)]
    await new Promise((resolve) => setImmediate(resolve))
    collect()
    expect(scopes.filter((scope) => scope.deref() !== undefined)).toHaveLength(0)
  })
})

describe('TransportFetch on the 2026-07-28 era aborts each request with its own signal', () => {
  /** A tool call `id`, as the SDK sends it on that era: with a signal of its own. */
  const message = (id: number) =>
    ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'x' } }) as const
  /** Sends call `id` through the watched transport, then fetches it with the transport's signal. */
  const sendAndFetch = async (
    transportFetch: TransportFetch,
    transport: Transport,
    id: number,
    own: AbortSignal,
    shared: AbortSignal,
  ) => {
    await transport.send(message(id), { requestSignal: own })
    return transportFetch.fetch('http://x', {
      method: 'POST',
      body: JSON.stringify(message(id)),
      signal: shared,
    })
  }

  // Handed both, the SDK's transport would join the request's signal to its own long-lived one
  // with AbortSignal.any(), and Node keeps what each join registers for the life of the latter.
  it('keeps the request’s signal from the transport', async () => {
    const handed: unknown[] = []
    const transport = {
      send: async (_message: unknown, options?: { requestSignal?: AbortSignal }) => {
        handed.push(options?.requestSignal)
      },
    } as unknown as Transport
    new TransportFetch({ url: 'http://127.0.0.1:1/mcp' }).attach(transport)
    await transport.send(message(1), { requestSignal: new AbortController().signal })
    expect(handed).toEqual([undefined])
  })

  it('gives fetch a signal of its own, and leaves no listener once a JSON answer came', async () => {
    const given: (AbortSignal | null | undefined)[] = []
    const transportFetch = new TransportFetch({
      url: 'http://127.0.0.1:1/mcp',
      fetch: async (_url, init) => {
        given.push(init?.signal)
        return Response.json({ jsonrpc: '2.0', id: 1, result: {} })
      },
    })
    const transport = { send: async () => {} } as unknown as Transport
    transportFetch.attach(transport)
    const own = new AbortController()
    const shared = new AbortController()
    const response = await sendAndFetch(transportFetch, transport, 1, own.signal, shared.signal)
    expect(await response.json()).toEqual({ jsonrpc: '2.0', id: 1, result: {} })
    expect(given).toHaveLength(1)
    expect(given[0]).not.toBe(own.signal)
    expect(given[0]).not.toBe(shared.signal)
    expect(getEventListeners(own.signal, 'abort')).toHaveLength(0)
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0)
  })

  it('aborts a request waiting for its headers when its own signal aborts', async () => {
    const { transportFetch, transport } = silentServer()
    const own = new AbortController()
    const shared = new AbortController()
    const response = sendAndFetch(transportFetch, transport, 2, own.signal, shared.signal)
    const reason = new Error('cancelled by the SDK')
    await new Promise((resolve) => setImmediate(resolve))
    own.abort(reason)
    await expect(response).rejects.toBe(reason)
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0)
  })

  // A fetch that ignores the signal (or lost it in a garbage collection, nodejs/undici#3644):
  // the SSE answer is tracked from its headers on, so aborting still ends it.
  it('errors and cancels an SSE answer when its own signal aborts, whatever the fetch did', async () => {
    const cancelled: unknown[] = []
    const transportFetch = new TransportFetch({
      url: 'http://127.0.0.1:1/mcp',
      fetch: async () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(new TextEncoder().encode(': progress\n\n'))
            },
            cancel(reason) {
              cancelled.push(reason)
            },
          }),
          { headers: { 'content-type': 'text/event-stream' } },
        ),
    })
    const transport = { send: async () => {} } as unknown as Transport
    transportFetch.attach(transport)
    const own = new AbortController()
    const shared = new AbortController()
    const response = await sendAndFetch(transportFetch, transport, 3, own.signal, shared.signal)
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
    expect(await reader.read()).toEqual({ done: false, value: ': progress\n\n' })
    expect(getEventListeners(own.signal, 'abort')).toHaveLength(1)
    const next = reader.read()
    const reason = new Error('cancelled by the SDK')
    own.abort(reason)
    await expect(next).rejects.toBe(reason)
    expect(cancelled).toEqual([reason])
    expect(getEventListeners(own.signal, 'abort')).toHaveLength(0)
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0)
  })
})

describe('TransportFetch counts the answers of any Response class a custom fetch returns', () => {
  class OwnResponse extends Response {
    get origin(): string {
      return 'own'
    }
  }

  it('keeps the class, its own getters and the native ones, and counts the body', async () => {
    const received: number[] = []
    const scope: RequestScope = { received: (bytes) => received.push(bytes), streamLost() {} }
    const text = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { ok: true } })
    const counted = countJsonBody(
      new OwnResponse(text, { headers: { 'content-type': 'application/json' } }),
      1024,
      scope,
    ) as OwnResponse
    expect(counted).toBeInstanceOf(OwnResponse)
    expect(counted.origin).toBe('own')
    expect(counted.headers.get('content-type')).toBe('application/json')
    expect(await counted.json()).toEqual({ jsonrpc: '2.0', id: 1, result: { ok: true } })
    expect(received.reduce((sum, bytes) => sum + bytes, 0)).toBe(text.length)
    // A plain Response afterwards gets the plain counted methods, not the other class's.
    const plain = countJsonBody(new Response('{}'), 1024, undefined)
    expect(plain).not.toBeInstanceOf(OwnResponse)
    expect(await plain.json()).toEqual({})
  })
})

describe('TransportFetch sends standing streams with redirect: error (no request clone kept)', () => {
  /** `/events` streams one event; `/moved` redirects there; POSTs are answered in JSON. */
  async function redirectingServer() {
    const server = await listen(async (req, res) => {
      if (req.method === 'POST') await readBody(req)
      if (req.url === '/moved') {
        res.writeHead(307, { location: '/events' }).end()
      } else if (req.url === '/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.end(sseEvent({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' }))
      } else {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(toolResult(1, 'ok')))
      }
    })
    cleanups.push(() => server.close())
    return server
  }

  /** A TransportFetch whose definition's `fetch` (the global one) records each redirect mode. */
  function recorded(url: string) {
    const modes: (RequestRedirect | undefined)[] = []
    const transportFetch = new TransportFetch({
      url,
      fetch: (input, init) => {
        modes.push(init?.redirect)
        return fetch(input, init)
      },
    })
    return { transportFetch, modes }
  }

  const listenBody = JSON.stringify({
    jsonrpc: '2.0',
    id: 2,
    method: 'subscriptions/listen',
    params: { filter: { toolsListChanged: true } },
  })
  const callBody = JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: {} })

  it('sends GET and subscriptions/listen with redirect: error, and other requests as made', async () => {
    const server = await redirectingServer()
    const { transportFetch, modes } = recorded(server.url())
    const signal = new AbortController().signal
    const send = (url: string, init: RequestInit) => transportFetch.fetch(url, { ...init, signal })
    await (await send(server.url('/events'), { method: 'GET', redirect: 'manual' })).text()
    await (await send(server.url('/events'), { method: 'POST', body: listenBody })).text()
    await (await send(server.url(), { method: 'POST', body: callBody, redirect: 'manual' })).text()
    expect(modes).toEqual(['error', 'error', 'manual'])
  })

  it('sends a redirected standing stream again as made, and so from then on', async () => {
    const server = await redirectingServer()
    const { transportFetch, modes } = recorded(server.url())
    const signal = new AbortController().signal
    // As the SDK sends it: `manual`, to see the redirect and decide itself.
    const first = await transportFetch.fetch(server.url('/moved'), {
      method: 'GET',
      redirect: 'manual',
      signal,
    })
    expect(first.status).toBe(307)
    expect(first.headers.get('location')).toBe('/events')
    expect(modes).toEqual(['error', 'manual'])

    const listen = await transportFetch.fetch(server.url('/moved'), {
      method: 'POST',
      body: listenBody,
      signal,
    })
    expect(await listen.text()).toContain('notifications/tools/list_changed')
    expect(modes).toEqual(['error', 'manual', undefined])
  })

  it('sends a standing stream that failed once more as made, and passes on what that gives', async () => {
    const modes: (RequestRedirect | undefined)[] = []
    const transportFetch = new TransportFetch({
      url: 'http://127.0.0.1:1/mcp',
      fetch: async (_input, init) => {
        modes.push(init?.redirect)
        throw new TypeError(`refused (${init?.redirect ?? 'as made'})`)
      },
    })
    const signal = new AbortController().signal
    await expect(transportFetch.fetch('http://x', { method: 'GET', signal })).rejects.toThrow(
      'refused (as made)',
    )
    expect(modes).toEqual(['error', undefined])
  })
})

describe('TransportFetch sends a DELETE the network failed once more', () => {
  /** Resets the connection of the first request of each method; answers the rest 200. */
  async function resettingServer() {
    const arrived: Record<string, number> = {}
    const server = await listen(async (req, res) => {
      const method = req.method ?? 'GET'
      arrived[method] = (arrived[method] ?? 0) + 1
      await readBody(req)
      if (arrived[method] === 1) req.socket.destroy()
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
    cleanups.push(() => server.close())
    return { server, arrived }
  }

  it('ends the session although the first DELETE met a reset connection', async () => {
    const { server, arrived } = await resettingServer()
    const transportFetch = new TransportFetch({ url: server.url() })
    const signal = new AbortController().signal
    const response = await transportFetch.fetch(server.url(), { method: 'DELETE', signal })
    expect(response.status).toBe(200)
    expect(arrived.DELETE).toBe(2)
  })

  it('does not send a POST again (it may have run): the failure is the caller’s', async () => {
    const { server, arrived } = await resettingServer()
    const transportFetch = new TransportFetch({ url: server.url() })
    const signal = new AbortController().signal
    await expect(
      transportFetch.fetch(server.url(), { method: 'POST', body: '{}', signal }),
    ).rejects.toThrow(TypeError)
    expect(arrived.POST).toBe(1)
  })
})
