// Stateless Streamable HTTP (`sessionIdGenerator: undefined`): no session ids, every request
// served on its own, and clients work as usual for everything that needs no session.
import type { MCPServer } from '@mcpkit/mcp-server-core'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createEverythingServer,
  SIMPLE_TEXT,
  STATIC_TEXT,
  STATIC_TEXT_URI,
} from '../fixtures/everything-server.js'
import { textOf } from '../support/helpers.js'
import {
  connectSdkClient,
  type Host,
  hostServer,
  initializeBody,
  mcpPostHeaders,
  rawRequest,
} from '../support/server-host.js'

describe('stateless Streamable HTTP', () => {
  let server: MCPServer
  let host: Host
  let client: Client

  beforeAll(async () => {
    server = createEverythingServer()
    host = await hostServer(server, { options: { sessionIdGenerator: undefined } })
    client = await connectSdkClient('http', host.mcpUrl)
  })

  afterAll(async () => {
    await client?.close()
    await host?.close()
  })

  it('hands out no session id', async () => {
    const response = await rawRequest(host.mcpUrl, {
      headers: mcpPostHeaders(),
      body: initializeBody(),
    })
    expect(response.status).toBe(200)
    expect(response.headers['mcp-session-id']).toBeUndefined()
  })

  it('serves tools, resources and prompts to a client, many requests at once', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => client.callTool({ name: 'test_simple_text' })),
    )
    for (const result of results) expect(textOf(result)).toBe(SIMPLE_TEXT)
    const read = await client.readResource({ uri: STATIC_TEXT_URI })
    expect(read.contents).toEqual([
      { uri: STATIC_TEXT_URI, mimeType: 'text/plain', text: STATIC_TEXT },
    ])
    const prompt = await client.getPrompt({ name: 'test_simple_prompt' })
    expect(prompt.messages).toHaveLength(1)
  })

  it('still validates Host', async () => {
    const response = await rawRequest(host.mcpUrl, {
      headers: { ...mcpPostHeaders(), host: 'evil.example.com' },
      body: initializeBody(),
    })
    expect(response.status).toBe(403)
  })
})
