/**
 * The load generator of the server bench, in its own process (its CPU is neither the
 * orchestrator's nor a target's): opens MCP sessions, probes one call, and runs autocannon
 * against a target with pre-built JSON-RPC `tools/call` requests.
 *
 * Stateful: one session per autocannon connection (`setupClient` gives each connection its own
 * `mcp-session-id`), reused for the whole run and across runs, like 50 clients that each keep
 * their session. Every request has a new JSON-RPC id (the spec forbids reusing an id within a
 * session). Stateless: no session and no initialize, as the SDK's stateless mode allows.
 *
 * Every response is checked: the cheap check (a `result` with the echoed text and no
 * `isError`) runs on all of them and feeds autocannon's mismatch count; every `sampleEvery`th
 * response is also parsed in full (SSE or JSON, JSON-RPC 2.0, numeric id, one text part equal
 * to the message).
 */
import autocannon from 'autocannon'
import { serveParent } from '../child-process.js'
import { gc } from '../stats.js'
import type { LoadResult, ProbeResult, ServerChildRequest } from './protocol.js'

export const MESSAGE = 'mcpkit-bench-echo'
const cheapMarker = `"text":"${MESSAGE}"`

/** The JSON-RPC messages of an SSE or JSON response body. */
function messagesOf(body: string): unknown[] {
  const trimmed = body.trimStart()
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const parsed = JSON.parse(trimmed) as unknown
    return Array.isArray(parsed) ? parsed : [parsed]
  }
  const messages: unknown[] = []
  for (const event of body.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''))
      .join('\n')
    if (data) messages.push(JSON.parse(data))
  }
  return messages
}

/** Full check: exactly one JSON-RPC response, a successful echo of MESSAGE. */
export function isValidEchoResponse(body: string): boolean {
  try {
    const responses = messagesOf(body).filter(
      (message) => message && typeof message === 'object' && 'id' in message,
    ) as { jsonrpc?: unknown; id?: unknown; result?: unknown; error?: unknown }[]
    if (responses.length !== 1) return false
    const [response] = responses
    if (response?.jsonrpc !== '2.0' || typeof response.id !== 'number') return false
    if (response.error !== undefined) return false
    const result = response.result as
      | { isError?: unknown; content?: { type?: unknown; text?: unknown }[] }
      | undefined
    if (!result || result.isError === true) return false
    const part = result.content?.[0]
    return result.content?.length === 1 && part?.type === 'text' && part.text === MESSAGE
  } catch {
    return false
  }
}

function cheapCheck(body: string): boolean {
  return body.includes('"result"') && body.includes(cheapMarker) && !body.includes('"isError":true')
}

let nextRequestId = 1
/** The 2026-07-28 revision: every request carries the `_meta` envelope and standard headers. */
const MODERN = '2026-07-28'
const MODERN_META = `"_meta":{"io.modelcontextprotocol/protocolVersion":"${MODERN}","io.modelcontextprotocol/clientInfo":{"name":"mcpkit-bench-loadgen","version":"1.0.0"},"io.modelcontextprotocol/clientCapabilities":{}},`
const callBody = (id: number, protocolVersion: string) =>
  `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{${protocolVersion === MODERN ? MODERN_META : ''}"name":"echo","arguments":{"message":"${MESSAGE}"}}}`

function baseHeaders(protocolVersion: string, sessionId?: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': protocolVersion,
    ...(protocolVersion === MODERN ? { 'mcp-method': 'tools/call', 'mcp-name': 'echo' } : {}),
    ...(sessionId ? { 'mcp-session-id': sessionId } : {}),
  }
}

async function post(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body,
    signal: AbortSignal.timeout(10_000),
  })
  return { status: response.status, headers: response.headers, text: await response.text() }
}

async function openSessions(url: string, count: number, protocolVersion: string) {
  const sessionIds: string[] = []
  let negotiated = protocolVersion
  for (let index = 0; index < count; index++) {
    const initialize = await post(
      url,
      {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      JSON.stringify({
        jsonrpc: '2.0',
        id: nextRequestId++,
        method: 'initialize',
        params: {
          protocolVersion,
          capabilities: {},
          clientInfo: { name: 'mcpkit-bench-loadgen', version: '1.0.0' },
        },
      }),
    )
    const sessionId = initialize.headers.get('mcp-session-id')
    if (initialize.status !== 200 || !sessionId) {
      throw new Error(
        `initialize answered ${initialize.status} without a session id: ${initialize.text.slice(0, 300)}`,
      )
    }
    const [response] = messagesOf(initialize.text) as {
      result?: { protocolVersion?: string }
    }[]
    negotiated = response?.result?.protocolVersion ?? negotiated
    const initialized = await post(
      url,
      baseHeaders(negotiated, sessionId),
      JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    )
    if (initialized.status !== 202) {
      throw new Error(
        `notifications/initialized answered ${initialized.status}: ${initialized.text.slice(0, 300)}`,
      )
    }
    sessionIds.push(sessionId)
  }
  return { sessionIds, protocolVersion: negotiated }
}

async function probe(
  url: string,
  protocolVersion: string,
  sessionId: string | undefined,
): Promise<ProbeResult> {
  const response = await post(
    url,
    baseHeaders(protocolVersion, sessionId),
    callBody(nextRequestId++, protocolVersion),
  )
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: response.text,
    valid: response.status === 200 && isValidEchoResponse(response.text),
  }
}

async function load(request: Extract<ServerChildRequest, { op: 'load' }>): Promise<LoadResult> {
  const path = new URL(request.url).pathname
  let sampled = 0
  let sampledValid = 0
  let seen = 0
  let passed = 0
  let firstBadBody: string | undefined
  const verifyBody = (body: string) => {
    let ok = cheapCheck(body)
    if (++seen % request.sampleEvery === 0) {
      sampled++
      const valid = isValidEchoResponse(body)
      if (valid) sampledValid++
      ok &&= valid
    }
    if (ok) passed++
    else if (firstBadBody === undefined) firstBadBody = body.slice(0, 500)
    return ok
  }
  const setupRequest = (req: autocannon.Request) => {
    req.body = callBody(nextRequestId++, request.protocolVersion)
    return req
  }
  let clientIndex = 0
  const sessionIds = request.sessionIds
  const makeRequest = (sessionId: string | undefined) => ({
    method: 'POST' as const,
    path,
    headers: baseHeaders(request.protocolVersion, sessionId),
    setupRequest,
  })

  gc(2)
  const cpu0 = process.cpuUsage()
  const result = await autocannon({
    url: request.url,
    connections: request.connections,
    pipelining: 1,
    duration: request.durationSeconds,
    timeout: 10,
    requests: [makeRequest(undefined)],
    // Stateful: each connection its own session, for the whole run.
    ...(sessionIds.length > 0
      ? {
          setupClient: (client: autocannon.Client) => {
            const sessionId = sessionIds[clientIndex++ % sessionIds.length]
            client.setRequests([makeRequest(sessionId)])
          },
        }
      : {}),
    verifyBody,
  } as autocannon.Options)
  const cpu = process.cpuUsage(cpu0)
  const statusCodes: Record<string, number> = {}
  for (const [code, stats] of Object.entries(
    (result as unknown as { statusCodeStats?: Record<string, { count: number }> })
      .statusCodeStats ?? {},
  )) {
    statusCodes[code] = stats.count
  }
  const twoXx = (result as unknown as { '2xx': number })['2xx']
  return {
    durationSeconds: result.duration,
    // A body that passes is a 200 with the echo; capped by the 2xx count all the same.
    ok: Math.min(passed, twoXx),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    mismatches: result.mismatches,
    statusCodes,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.mean,
    },
    sampled,
    sampledValid,
    ...(firstBadBody === undefined ? {} : { firstBadBody }),
    loadgenCpuMicros: cpu.user + cpu.system,
  }
}

serveParent<ServerChildRequest>(
  async (request) => {
    switch (request.op) {
      case 'open-sessions':
        return openSessions(request.url, request.count, request.protocolVersion)
      case 'probe':
        return probe(request.url, request.protocolVersion, request.sessionId)
      case 'load':
        return load(request)
      case 'gc':
        gc(2)
        return {}
      default:
        throw new Error(`loadgen: unsupported op ${request.op}`)
    }
  },
  async () => ({ pid: process.pid }),
)
