// MCPClient against a `@mastra/mcp` 2.x `MCPServer`, which serves only the 2026-07-28 revision
// (a 2025 client falls back to SSE and gets 405 from it): over Streamable HTTP (`startHTTP`)
// and stdio (`startStdio`), in the default `auto` mode. A tool that suspends for input asks
// through `input_required`, answered by `elicitation.onRequest`.
import { createServer, type Server } from 'node:http'
import { MCPClient, type ServerDefinition } from '@mcpkit/mcp-client-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildFixtures } from '../fixtures/build.mjs'
import { createMastraServer } from '../fixtures/mastra-server.js'
import { cleanupsAfterEach, expectMCPError, textOf } from '../support/helpers.js'

const cleanups = cleanupsAfterEach()

let fixturesDir: string
beforeAll(() => {
  fixturesDir = buildFixtures().dir
})

async function mastraHttp(): Promise<URL> {
  const mcpServer = createMastraServer()
  const http: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    mcpServer.startHTTP({ url, httpPath: '/mcp', req, res }).catch(() => res.destroy())
  })
  await new Promise<void>((resolve) => http.listen({ port: 0, host: '127.0.0.1' }, resolve))
  cleanups.push(async () => {
    http.closeAllConnections()
    await new Promise((resolve) => http.close(resolve))
    await mcpServer.close().catch(() => {})
  })
  const { port } = http.address() as { port: number }
  return new URL(`http://127.0.0.1:${port}/mcp`)
}

describe.each(['http', 'stdio'] as const)(
  'MCPClient and a @mastra/mcp 2.x MCPServer (%s)',
  (peer) => {
    async function client(): Promise<MCPClient> {
      const definition: ServerDefinition =
        peer === 'http'
          ? { url: await mastraHttp() }
          : {
              command: process.execPath,
              args: [`${fixturesDir}/serve-mastra.js`],
              stderr: 'ignore',
            }
      const mcp = new MCPClient({ id: `mastra-${peer}`, servers: { mastra: definition } })
      cleanups.push(() => mcp.disconnect())
      return mcp
    }

    it('reaches it on the 2026-07-28 era and calls its tools', async () => {
      const mcp = await client()
      const tools = await mcp.listTools()
      expect(Object.keys(tools)).toEqual(expect.arrayContaining(['mastra_echo', 'mastra_book']))
      expect(mcp.getServerProtocolVersions()).toEqual({ mastra: '2026-07-28' })
      expect(textOf(await tools.mastra_echo!.execute({ text: 'hi' }))).toBe('echo: hi')
    })

    it('refuses a subscription the server cannot give with a typed error, sending nothing', async () => {
      const mcp = await client()
      await mcp.listTools()
      const error = await expectMCPError(
        mcp.resources.subscribe('mastra', 'mastra://anything'),
        'CAPABILITY_NOT_SUPPORTED',
      )
      expect(error.message).toContain('"mastra"')
    })

    it('answers a tool that suspends for input with elicitation.onRequest', async () => {
      const mcp = await client()
      const asked: string[] = []
      mcp.elicitation.onRequest('mastra', async (request) => {
        asked.push(request.message)
        return { action: 'accept', content: { address: '1 Main St' } }
      })
      const toolsets = await mcp.listToolsets()
      const result = await toolsets.mastra!.book!.execute({ item: 'lamp' })
      expect(textOf(result)).toBe('booked lamp to 1 Main St')
      expect(asked).toHaveLength(1)
    })
  },
)
