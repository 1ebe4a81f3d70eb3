// Mounting things yourself: `protect(request)` in front of a web-standard handler (metadata,
// 401/403, tool scopes read from a copy of the body), the transports' `authenticate` option on
// node:http, and the server's own check of tool scopes for calls that reached it without the
// HTTP-level check (legacy SSE mounted by hand with the host's own `req.auth`).
import type http from 'node:http'
import { MCPServer } from '@mcpkit/mcp-server-core'
import { createProtectedResource, jwtVerifier, type ProtectedResource } from '@mcpkit/oauth'
import { NodeSseHandler, NodeStreamableHttpHandler } from '@mcpkit/transports/node'
import { StreamableHttpHandler } from '@mcpkit/transports/server'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearerChallenge, type LateBoundHttp, startLateBoundHttp } from '../support/oauth-host.js'
import { notesTools, whoami } from '../support/oauth-server.js'
import { startTestIssuer, type TestIssuer } from '../support/oauth-tokens.js'
import { mcpPostHeaders, openRawSession, rawRequest } from '../support/server-host.js'

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const deleteCall = JSON.stringify({
  jsonrpc: '2.0',
  id: 3,
  method: 'tools/call',
  params: { name: 'delete_note', arguments: { id: 'n1' } },
})

let issuer: TestIssuer
beforeAll(async () => {
  issuer = await startTestIssuer()
})
afterAll(async () => {
  await issuer?.close()
})

function notesResource(resource: string): ProtectedResource {
  return createProtectedResource({
    resource,
    authorizationServers: [issuer.issuer],
    verifier: jwtVerifier({ jwksUrl: issuer.jwksUrl, issuer: issuer.issuer }),
    toolScopes: { delete_note: ['notes:write'] },
  })
}

describe('protect(request) in front of a web-standard handler', () => {
  let host: LateBoundHttp
  let handler: StreamableHttpHandler
  let resource: ProtectedResource
  const clients: Client[] = []

  beforeAll(async () => {
    host = await startLateBoundHttp()
    resource = notesResource(host.url('/mcp'))
    const server = new MCPServer({ name: 'notes', version: '1.0.0', tools: notesTools })
    handler = new StreamableHttpHandler({ createServer: () => server.createSessionServer() })
    host.handleFetch(async (request) => {
      const checked = await resource.protect(request)
      if (checked instanceof Response) return checked
      if (new URL(request.url).pathname !== '/mcp')
        return new Response('Not Found', { status: 404 })
      return handler.handleRequest(request, { authInfo: checked })
    })
  })

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => {})))
    await handler?.close()
    await host?.close()
  })

  it('serves the metadata and challenges requests without a token', async () => {
    const metadata = await rawRequest(new URL(resource.resourceMetadataUrl), { method: 'GET' })
    expect(metadata.status).toBe(200)
    expect(metadata.json).toMatchObject({ resource: host.url('/mcp') })
    expect(resource.metadataPath).toBe('/.well-known/oauth-protected-resource/mcp')
    const anonymous = await rawRequest(new URL(host.url('/mcp')), {
      headers: mcpPostHeaders(),
      body: deleteCall,
    })
    expect(anonymous.status).toBe(401)
    expect(bearerChallenge(anonymous.headers['www-authenticate']).resource_metadata).toBe(
      resource.resourceMetadataUrl,
    )
  })

  it('checks tool scopes from a copy of the body and leaves the body to the handler', async () => {
    const readerToken = issuer.mint({ sub: 'alice', audience: host.url('/mcp'), scope: '' })
    const sessionId = await openRawSession(new URL(host.url('/mcp')), bearer(readerToken))
    const refused = await rawRequest(new URL(host.url('/mcp')), {
      headers: { ...mcpPostHeaders(sessionId), ...bearer(readerToken) },
      body: deleteCall,
    })
    expect(refused.status).toBe(403)
    expect(bearerChallenge(refused.headers['www-authenticate'])).toMatchObject({
      error: 'insufficient_scope',
      scope: 'notes:write',
    })

    const writerToken = issuer.mint({
      sub: 'alice',
      audience: host.url('/mcp'),
      scope: 'notes:write',
    })
    const client = new Client({ name: 'protect-test', version: '1.0.0' })
    await client.connect(
      new StreamableHTTPClientTransport(new URL(host.url('/mcp')), {
        requestInit: { headers: bearer(writerToken) },
      }),
    )
    clients.push(client)
    expect((await whoami(client)).sub).toBe('alice')
    const deleted = await client.callTool({ name: 'delete_note', arguments: { id: 'n1' } })
    expect(deleted.isError).toBeFalsy()
  })
})

describe("the transports' authenticate option on node:http", () => {
  let host: LateBoundHttp
  let mcp: NodeStreamableHttpHandler

  beforeAll(async () => {
    host = await startLateBoundHttp()
    const resource = notesResource(host.url('/mcp'))
    const server = new MCPServer({ name: 'notes', version: '1.0.0', tools: notesTools })
    mcp = new NodeStreamableHttpHandler({
      createServer: () => server.createSessionServer(),
      authenticate: resource.authenticate,
    })
    host.handle((req, res) => {
      // A host middleware's req.auth must not override the verified token.
      ;(req as http.IncomingMessage & { auth?: AuthInfo }).auth = {
        token: 'forged',
        clientId: 'mallory',
        scopes: ['notes:write'],
        extra: { sub: 'mallory' },
      }
      void mcp.handle(req, res)
    })
  })

  afterAll(async () => {
    await mcp?.close()
    await host?.close()
  })

  it('verifies every request and ignores req.auth', async () => {
    const anonymous = await rawRequest(new URL(host.url('/mcp')), {
      headers: mcpPostHeaders(),
      body: deleteCall,
    })
    expect(anonymous.status).toBe(401)
    const token = issuer.mint({ sub: 'bob', audience: host.url('/mcp') })
    const client = new Client({ name: 'hook-test', version: '1.0.0' })
    await client.connect(
      new StreamableHTTPClientTransport(new URL(host.url('/mcp')), {
        requestInit: { headers: bearer(token) },
      }),
    )
    try {
      expect(await whoami(client)).toMatchObject({ sub: 'bob', token })
    } finally {
      await client.close()
    }
  })
})

describe('tool scopes checked inside the server (legacy SSE mounted by hand)', () => {
  let host: LateBoundHttp
  let sse: NodeSseHandler
  const clients: Client[] = []

  beforeAll(async () => {
    host = await startLateBoundHttp()
    const auth = notesResource(host.origin)
    const server = new MCPServer({ name: 'notes', version: '1.0.0', tools: notesTools, auth })
    // The host authenticates with its own middleware and mounts the sessions itself: no
    // HTTP-level tool-scope check happens, so the server's own check is the one that counts.
    sse = new NodeSseHandler({ createServer: () => server.createSessionServer() })
    host.handle((req, res) => {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
      const scopes = token === 'writer' ? ['notes:write'] : []
      if (token) {
        ;(req as http.IncomingMessage & { auth?: AuthInfo }).auth = {
          token,
          clientId: 'app',
          scopes,
          extra: { sub: token },
        }
      }
      void sse.handle(req, res, { ssePath: '/sse', messagePath: '/message' })
    })
  })

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => {})))
    await sse?.close()
    await host?.close()
  })

  async function connect(token: string | undefined): Promise<Client> {
    const client = new Client({ name: 'in-server-test', version: '1.0.0' })
    await client.connect(
      new SSEClientTransport(new URL(host.url('/sse')), {
        requestInit: { headers: token ? bearer(token) : {} },
      }),
    )
    clients.push(client)
    return client
  }

  it('refuses the call with an MCP error naming the scopes; allows it with them', async () => {
    const reader = await connect('reader')
    expect((await whoami(reader)).sub).toBe('reader')
    await expect(reader.callTool({ name: 'delete_note', arguments: { id: 'n1' } })).rejects.toThrow(
      /delete_note.*needs the scopes notes:write/,
    )
    const anonymous = await connect(undefined)
    await expect(
      anonymous.callTool({ name: 'delete_note', arguments: { id: 'n1' } }),
    ).rejects.toThrow(/needs an OAuth access token/)

    const writer = await connect('writer')
    const deleted = await writer.callTool({ name: 'delete_note', arguments: { id: 'n1' } })
    expect(deleted.isError).toBeFalsy()
  })
})
