import http from 'node:http'

/** Options of `startRoundRobinProxy`. */
export interface RoundRobinProxyOptions {
  /** The instances' origins, e.g. `http://127.0.0.1:4001`. */
  upstreams: readonly string[]
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number
  /** Most session ids remembered for affinity; the oldest are forgotten first. Default 100000. */
  maxSessions?: number
  /** Largest request body forwarded (bodies are buffered so a request can go to another instance). */
  maxBodyBytes?: number
}

/** A running proxy. */
export interface RoundRobinProxy {
  readonly port: number
  readonly url: URL
  /** Requests forwarded to each upstream (by index), for tests and dashboards. */
  readonly served: number[]
  /**
   * Replaces the upstreams (a deploy, a benchmark's next configuration): counters and session
   * pins start afresh; connections of clients stay open.
   */
  setUpstreams(origins: readonly string[]): void
  /** How many 2025 sessions are pinned to an instance. */
  readonly pinnedSessions: number
  /** Each pinned session id and the index of its instance. */
  readonly sessions: ReadonlyMap<string, number>
  close(): Promise<void>
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
])

/**
 * A small load balancer for several mcpkit instances, as a production one would be set up:
 * requests without `Mcp-Session-Id` (2026-07-28 requests, 2025 `initialize`, OAuth metadata)
 * go round-robin; a 2025 session is pinned to the instance that answered its `initialize`
 * with that `Mcp-Session-Id` (learned from the response header, as HAProxy's
 * `stick store-response res.hdr(mcp-session-id)` does). When a pinned instance is gone, the
 * request goes to the next one, which answers 404 for the unknown session, and the client
 * starts a new session there.
 */
export async function startRoundRobinProxy(
  options: RoundRobinProxyOptions,
): Promise<RoundRobinProxy> {
  let upstreams = options.upstreams.map((origin) => new URL(origin))
  if (upstreams.length === 0) throw new TypeError('startRoundRobinProxy: no upstreams')
  const maxSessions = options.maxSessions ?? 100_000
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024
  let served = upstreams.map(() => 0)
  const pinned = new Map<string, number>()
  let next = 0
  // No socket cap: every pooled 2026-07-28 client holds a long-lived listen stream, and a capped
  // agent would queue every later request behind them.
  const agent = new http.Agent({ keepAlive: true })

  const pin = (sessionId: string, index: number) => {
    pinned.delete(sessionId)
    pinned.set(sessionId, index)
    if (pinned.size > maxSessions) pinned.delete(pinned.keys().next().value as string)
  }

  const forward = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: Buffer,
    index: number,
    attemptsLeft: number,
  ) => {
    const target = upstreams[index] as URL
    const headers: http.OutgoingHttpHeaders = {}
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value
    }
    headers.host = target.host
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? ''
    if (body.length > 0) headers['content-length'] = String(body.length)
    const upstream = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers,
      },
      (answer) => {
        served[index] = (served[index] ?? 0) + 1
        const sessionId = answer.headers['mcp-session-id']
        if (
          typeof sessionId === 'string' &&
          answer.statusCode !== undefined &&
          answer.statusCode < 400
        ) {
          if (req.method === 'DELETE') pinned.delete(sessionId)
          else pin(sessionId, index)
        }
        const out: http.OutgoingHttpHeaders = {}
        for (const [name, value] of Object.entries(answer.headers)) {
          if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value
        }
        res.writeHead(answer.statusCode ?? 502, out)
        answer.pipe(res)
        res.once('close', () => answer.destroy())
        // The instance went away mid-answer: the client's connection ends too, as it would
        // behind a real load balancer, so it knows the answer is lost.
        answer.once('error', () => res.destroy())
        answer.once('close', () => {
          if (!answer.complete) res.destroy()
        })
      },
    )
    upstream.once('error', (error: NodeJS.ErrnoException) => {
      // Nothing reached the instance: another one may take the request.
      const unreachable = error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET'
      if (unreachable && !res.headersSent && attemptsLeft > 0) {
        const sessionId = req.headers['mcp-session-id']
        if (typeof sessionId === 'string' && pinned.get(sessionId) === index)
          pinned.delete(sessionId)
        forward(req, res, body, (index + 1) % upstreams.length, attemptsLeft - 1)
        return
      }
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' })
      res.end()
    })
    // A client that leaves stops the upstream request (and its SSE stream) too.
    res.once('close', () => upstream.destroy())
    upstream.end(body)
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBodyBytes) {
        res.writeHead(413).end()
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.once('end', () => {
      if (res.headersSent) return
      const sessionId = req.headers['mcp-session-id']
      const sticky = typeof sessionId === 'string' ? pinned.get(sessionId) : undefined
      let index = sticky
      if (index === undefined) {
        index = next
        next = (next + 1) % upstreams.length
      }
      forward(req, res, Buffer.concat(chunks), index, upstreams.length - 1)
    })
  })
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address !== 'object') throw new Error('the proxy has no address')
  return {
    port: address.port,
    url: new URL(`http://127.0.0.1:${address.port}`),
    get served() {
      return served
    },
    setUpstreams(origins) {
      if (origins.length === 0) throw new TypeError('setUpstreams: no upstreams')
      upstreams = origins.map((origin) => new URL(origin))
      served = upstreams.map(() => 0)
      pinned.clear()
      next = 0
    },
    get pinnedSessions() {
      return pinned.size
    },
    sessions: pinned,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      agent.destroy()
    },
  }
}
