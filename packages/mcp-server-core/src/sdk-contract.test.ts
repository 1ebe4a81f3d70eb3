/**
 * The assumptions `sdk-contract.ts` documents, checked against the installed SDK: a real
 * 2026-07-28 exchange through the SDK's own `createMcpHandler` (driven through its `fetch`, as
 * the SDK's docs test servers). An SDK upgrade that breaks one fails here.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { createMcpHandler, Server } from '@modelcontextprotocol/server'
import { afterEach, describe, expect, it } from 'vitest'
import { declaredCapabilities } from './sdk-contract.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe('the SDK contract of mcp-server-core', () => {
  it('a 2026-07-28 request carries its declared capabilities in ctx.mcpReq.envelope', async () => {
    const handler = createMcpHandler(
      () => {
        const server = new Server(
          { name: 'contract', version: '1.0.0' },
          { capabilities: { tools: {} } },
        )
        server.setRequestHandler('tools/list', () => ({
          tools: [{ name: 'capabilities', inputSchema: { type: 'object' as const } }],
        }))
        server.setRequestHandler('tools/call', (_request, ctx) => ({
          content: [{ type: 'text', text: JSON.stringify(declaredCapabilities(ctx) ?? null) }],
        }))
        return server
      },
      { legacy: 'reject' },
    )
    cleanups.push(() => handler.close())
    const client = new Client(
      { name: 'contract-client', version: '1.0.0' },
      { capabilities: { sampling: {} }, versionNegotiation: { mode: { pin: '2026-07-28' } } },
    )
    client.setRequestHandler('sampling/createMessage', () => ({
      role: 'assistant',
      content: { type: 'text', text: '' },
      model: 'm',
    }))
    await client.connect(
      new StreamableHTTPClientTransport(new URL('http://contract.test/mcp'), {
        fetch: (url, init) => handler.fetch(new Request(url, init)),
      }),
    )
    cleanups.push(() => client.close())
    const result = await client.callTool({ name: 'capabilities', arguments: {} })
    const text = (result.content as { text: string }[])[0]?.text ?? 'null'
    expect(JSON.parse(text)).toMatchObject({ sampling: {} })
  })
})
