import { SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import type { AuthInfo } from '@modelcontextprotocol/server'
import { afterEach, describe, expect, it } from 'vitest'
import { NodeSseHandler } from '../node/node-sse-handler.js'
import { NodeStreamableHttpHandler } from '../node/node-streamable-http-handler.js'
import {
  fixtureServerFactory,
  initializeBody,
  listen,
  listenFetch,
  MCP_HEADERS,
  rawRequest,
  recordingClient,
  toolJson,
} from '../test-support.js'
import type { BodyAuthorizer, RequestAuthenticator } from './authenticate.js'
import { StreamableHttpHandler } from './streamable-http-handler.js'
import { WebSseHandler } from './web-sse-handler.js'

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Accepts `Bearer <user>` (the user becomes `sub`), refuses the rest with a 401 of its own. */
const seen: Array<{ method: string; body: unknown }> = []
const authenticate: RequestAuthenticator = (request, body) => {
  seen.push({ method: request.method, body })
  const user = /^Bearer (\w+)$/.exec(request.headers.get('authorization') ?? '')?.[1]
  if (user === 'broken') throw new Error('verifier exploded')
  if (!user) {
    return new Response('{"error":"invalid_token"}', {
      status: 401,
      headers: { 'www-authenticate': 'Bearer resource_metadata="x"' },
    })
  }
  const authInfo: AuthInfo = { token: user, clientId: 'app', scopes: [], extra: { sub: user } }
  return authInfo
}

/** Records the bodies it sees; refuses a call of the tool `forbidden` with a 403. */
const bodies: Array<{ body: unknown; sub: unknown }> = []
const authorizeBody: BodyAuthorizer = (_request, body, authInfo) => {
  bodies.push({ body, sub: authInfo.extra?.sub })
  const params = (body as { params?: { name?: unknown } } | undefined)?.params
  if (params?.name === 'forbidden')
    return new Response('{"error":"insufficient_scope"}', { status: 403 })
  return undefined
}

const bearer = (user: string) => ({ authorization: `Bearer ${user}` })

async function serve(kind: 'web' | 'node', log?: (message: string) => void) {
  const fixture = fixtureServerFactory()
  const options = {
    createServer: fixture.createServer,
    authenticate,
    authorizeBody,
    ...(log ? { log: (_level: unknown, message: string) => log(message) } : {}),
  }
  let close: () => Promise<void>
  let http: Awaited<ReturnType<typeof listen>>
  if (kind === 'web') {
    const mcp = new StreamableHttpHandler(options)
    const sse = new WebSseHandler(options)
    http = await listenFetch((request) => {
      const path = new URL(request.url).pathname
      return path === '/mcp'
        ? mcp.handleRequest(request, {
            authInfo: { token: 'forged', clientId: 'x', scopes: [], extra: { sub: 'mallory' } },
          })
        : sse.handleRequest(request, { ssePath: '/sse', messagePath: '/message' })
    })
    close = async () => {
      await Promise.all([mcp.close(), sse.close()])
    }
  } else {
    const mcp = new NodeStreamableHttpHandler(options)
    const sse = new NodeSseHandler(options)
    http = await listen((req, res) => {
      ;(req as typeof req & { auth?: AuthInfo }).auth = {
        token: 'forged',
        clientId: 'x',
        scopes: [],
        extra: { sub: 'mallory' },
      }
      const path = new URL(req.url ?? '/', 'http://localhost').pathname
      return path === '/mcp'
        ? mcp.handle(req, res)
        : sse.handle(req, res, { ssePath: '/sse', messagePath: '/message' })
    })
    close = async () => {
      await Promise.all([mcp.close(), sse.close()])
    }
  }
  cleanups.push(
    () => http.close(),
    () => close(),
    () => fixture.release(),
  )
  return http
}

describe.each(['web', 'node'] as const)('the authenticate option (%s)', (kind) => {
  it('answers with its Response, and otherwise decides authInfo alone', async () => {
    const http = await serve(kind)
    const refused = await rawRequest(http.url('/mcp'), {
      headers: MCP_HEADERS,
      body: initializeBody(),
    })
    expect(refused.status).toBe(401)
    expect(refused.headers['www-authenticate']).toBe('Bearer resource_metadata="x"')

    expect(seen.at(-1)?.body, 'authenticate runs on the headers alone').toBeUndefined()
    seen.length = 0
    bodies.length = 0
    const { client } = recordingClient('a')
    await client.connect(
      new StreamableHTTPClientTransport(new URL(http.url('/mcp')), {
        requestInit: { headers: bearer('alice') },
      }),
    )
    cleanups.push(() => client.close())
    const who = toolJson(await client.callTool({ name: 'whoami', arguments: {} }))
    expect(who.authInfo).toMatchObject({ token: 'alice', extra: { sub: 'alice' } })
    expect(seen.every((entry) => entry.body === undefined)).toBe(true)
    const toolCall = bodies.find(
      (entry) => (entry.body as { method?: string } | undefined)?.method === 'tools/call',
    )
    expect(toolCall, 'the parsed body reaches authorizeBody').toMatchObject({ sub: 'alice' })
    const forbidden = await rawRequest(http.url('/mcp'), {
      headers: { ...MCP_HEADERS, ...bearer('alice') },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 5,
        method: 'tools/call',
        params: { name: 'forbidden', arguments: {} },
      }),
    })
    expect(forbidden.status).toBe(403)
  })

  it('checks the legacy SSE stream and its messages', async () => {
    const http = await serve(kind)
    const refused = await rawRequest(http.url('/sse'), {
      method: 'GET',
      headers: { accept: 'text/event-stream' },
    })
    expect(refused.status).toBe(401)
    const { client } = recordingClient('b')
    await client.connect(
      new SSEClientTransport(new URL(http.url('/sse')), {
        requestInit: { headers: bearer('bob') },
      }),
    )
    cleanups.push(() => client.close())
    const who = toolJson(await client.callTool({ name: 'whoami', arguments: {} }))
    expect(who.authInfo).toMatchObject({ extra: { sub: 'bob' } })
    const message = await rawRequest(http.url(`/message?sessionId=${String(who.sessionId)}`), {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' }),
    })
    expect(message.status).toBe(401)
  })

  it('refuses the request with 500 when the authenticator throws', async () => {
    const lines: string[] = []
    const http = await serve(kind, (line) => lines.push(line))
    const response = await rawRequest(http.url('/mcp'), {
      headers: { ...MCP_HEADERS, ...bearer('broken') },
      body: initializeBody(),
    })
    expect(response.status).toBe(500)
    expect(lines.some((line) => line.includes('verifier exploded'))).toBe(true)
  })
})
