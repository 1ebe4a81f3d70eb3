/**
 * The `@mastra/mcp` 2.x members users of it look for, against real servers on 127.0.0.1:
 * `tools.onListChanged`, `getServerInstructions`, `reconnectServer`, `listToolDefinitions`
 * and a server definition's `traceContext`.
 */
import { MCPClient } from '@mcpkit/mcp-client-core'
import { createMCPTool, MCPServer } from '@mcpkit/mcp-server-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type FixtureServer, startFixture } from '../support/fixture-server.js'
import { waitFor } from '../support/processes.js'
import { type Host, hostServer } from '../support/server-host.js'

/** What `whoami` answered (its object comes back as JSON text). */
function answer(result: unknown): {
  sessionId: string | null
  traceparent: string | null
  baggage: string | null
} {
  return JSON.parse((result as { content: Array<{ text: string }> }).content[0]!.text)
}

let host: Host
let fixture: FixtureServer

beforeAll(async () => {
  const server = new MCPServer({
    name: 'parity',
    version: '1.0.0',
    instructions: 'Call whoami first.',
    tools: {
      whoami: createMCPTool({
        id: 'whoami',
        description: 'The session and trace context this call arrived with',
        inputSchema: z.object({}),
        annotations: { readOnlyHint: true },
        execute: async (_input, { extra }) => ({
          sessionId: extra?.sessionId ?? null,
          traceparent: (extra?._meta as { traceparent?: string } | undefined)?.traceparent ?? null,
          baggage: (extra?._meta as { baggage?: string } | undefined)?.baggage ?? null,
        }),
      }),
    },
  })
  host = await hostServer(server)
  fixture = await startFixture()
})
afterAll(async () => {
  await host?.close()
  await fixture?.stop()
})

describe('@mastra/mcp 2.x parity', () => {
  it('getServerInstructions: undefined before connecting, the server’s text after', async () => {
    const mcp = new MCPClient({ id: 'instructions', servers: { parity: { url: host.mcpUrl } } })
    try {
      expect(mcp.getServerInstructions()).toEqual({ parity: undefined })
      await mcp.listTools()
      expect(mcp.getServerInstructions()).toEqual({ parity: 'Call whoami first.' })
    } finally {
      await mcp.disconnect()
    }
  })

  it('reconnectServer opens a new connection (a new session), and tools keep working', async () => {
    const mcp = new MCPClient({
      id: 'reconnect',
      servers: { parity: { url: host.mcpUrl, protocolVersion: 'legacy' } },
    })
    try {
      const tools = await mcp.listTools()
      const before = answer(await tools.parity_whoami!.execute({}))
      await mcp.reconnectServer('parity')
      const after = answer(await tools.parity_whoami!.execute({}))
      expect(before.sessionId).toBeTypeOf('string')
      expect(after.sessionId).toBeTypeOf('string')
      expect(after.sessionId).not.toBe(before.sessionId)
      await expect(mcp.reconnectServer('nope')).rejects.toMatchObject({ code: 'SERVER_NOT_FOUND' })
    } finally {
      await mcp.disconnect()
    }
  })

  it('listToolDefinitions: plain JSON by server and tool name', async () => {
    const mcp = new MCPClient({ id: 'definitions', servers: { parity: { url: host.mcpUrl } } })
    try {
      const definitions = await mcp.listToolDefinitions()
      expect(JSON.parse(JSON.stringify(definitions))).toEqual(definitions)
      expect(definitions.parity?.whoami).toMatchObject({
        name: 'whoami',
        serverName: 'parity',
        description: 'The session and trace context this call arrived with',
        inputSchema: { type: 'object' },
      })
    } finally {
      await mcp.disconnect()
    }
  })

  it('traceContext: its traceparent and baggage reach the server in _meta', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    const mcp = new MCPClient({
      id: 'trace-context',
      servers: {
        parity: { url: host.mcpUrl, traceContext: () => ({ traceparent, baggage: 'tenant=42' }) },
      },
    })
    try {
      const tools = await mcp.listTools()
      expect(answer(await tools.parity_whoami!.execute({}))).toMatchObject({
        traceparent,
        baggage: 'tenant=42',
      })
    } finally {
      await mcp.disconnect()
    }
  })

  it('tools.onListChanged: the handler hears a tool added on the server, until removed', async () => {
    const mcp = new MCPClient({ id: 'tools-changed', servers: { fixture: { url: fixture.url } } })
    let changes = 0
    let removedCalls = 0
    try {
      mcp.tools.onListChanged('fixture', () => changes++)
      mcp.tools.onListChanged('fixture', () => removedCalls++)()
      await mcp.listTools()
      // The notification travels on the session's GET stream: wait until it is open.
      expect(
        await waitFor(() => fixture.requests.some((request) => request.method === 'GET')),
      ).toBe(true)
      fixture.addTool('parity_extra')
      expect(await waitFor(() => changes === 1, { timeoutMs: 10_000 })).toBe(true)
      expect(Object.keys(await mcp.listTools())).toContain('fixture_parity_extra')
      expect(removedCalls).toBe(0)
    } finally {
      fixture.removeTool('parity_extra')
      await mcp.disconnect()
    }
  })
})
