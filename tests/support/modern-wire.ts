/**
 * Hand-made 2026-07-28 requests, for tests that must send what no well-behaved client sends:
 * the `_meta` envelope, the standard headers, and a reader for `subscriptions/listen` streams.
 */

/** The `_meta` envelope of a 2026-07-28 request. */
export function envelope(capabilities: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'hand-made', version: '1.0.0' },
    'io.modelcontextprotocol/clientCapabilities': capabilities,
  }
}

/** What `modernCall` sends; every part can be overridden to make it hostile. */
export interface ModernCall {
  method: string
  params?: Record<string, unknown>
  id?: number | string
  /** Replaces the standard headers (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`). */
  headers?: Record<string, string | undefined>
  /** Replaces the whole `_meta`; `null` leaves it out. */
  meta?: Record<string, unknown> | null
  capabilities?: Record<string, unknown>
}

/** The answer to a hand-made request: status and JSON-RPC body (the last event of an SSE answer). */
export interface ModernAnswer {
  status: number
  body: {
    id?: unknown
    result?: Record<string, unknown> & {
      requestState?: string
      inputRequests?: Record<string, unknown>
    }
    error?: { code: number; message: string; data?: unknown }
  }
}

/** Sends one 2026-07-28 request to `url` with `fetch`. */
export async function modernCall(url: URL, call: ModernCall): Promise<ModernAnswer> {
  const params = { ...call.params }
  const meta = call.meta === undefined ? envelope(call.capabilities) : call.meta
  if (meta !== null) params._meta = meta
  const name = typeof params.name === 'string' ? params.name : params.uri
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': call.method,
    ...(typeof name === 'string' ? { 'mcp-name': name } : {}),
  }
  for (const [header, value] of Object.entries(call.headers ?? {})) {
    if (value === undefined) delete headers[header.toLowerCase()]
    else headers[header.toLowerCase()] = value
  }
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: call.id ?? 1, method: call.method, params }),
  })
  const text = await response.text()
  const events = [...text.matchAll(/^data: (.*)$/gm)].map((match) => match[1] ?? '')
  const json = events.length > 0 ? events.at(-1)! : text
  return { status: response.status, body: JSON.parse(json) as ModernAnswer['body'] }
}

/** An open `subscriptions/listen` stream: its messages one by one, and a way to hang up. */
export interface ListenStream {
  /** The next JSON-RPC message on the stream (or the one JSON answer when it was refused). */
  next(): Promise<Record<string, unknown>>
  close(): void
}

/** Opens a `subscriptions/listen` stream with `filter` under JSON-RPC id `id`. */
export async function openListen(
  url: URL,
  id: number,
  filter: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<ListenStream> {
  const controller = new AbortController()
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'subscriptions/listen',
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method: 'subscriptions/listen',
      params: { notifications: filter, _meta: envelope() },
    }),
    signal: controller.signal,
  })
  const close = () => controller.abort()
  if (!response.headers.get('content-type')?.startsWith('text/event-stream')) {
    const answer = (await response.json()) as Record<string, unknown>
    return { next: async () => answer, close }
  }
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  return {
    close,
    async next() {
      for (;;) {
        const event = /^data: (.*)$/m.exec(buffer)
        if (event) {
          buffer = buffer.slice(event.index + event[0].length)
          return JSON.parse(event[1]!) as Record<string, unknown>
        }
        const { value, done } = await reader.read()
        if (done) throw new Error('the listen stream ended')
        buffer += value
      }
    },
  }
}
