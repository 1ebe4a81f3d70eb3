// The clients people point at an MCPServer, on one endpoint at once: `@mastra/mcp` 2.x's
// MCPClient and `@ai-sdk/mcp` 2.x's createMCPClient (both probe and land on 2026-07-28), the
// MCP Inspector 2.x CLI in each of its protocol eras, mcpkit's own MCPClient (2025 until it
// negotiates), and the v2 SDK Client over stdio, where the connection's first message pins the
// era. Everything on 127.0.0.1 or over real pipes.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMCPClient } from '@ai-sdk/mcp'
import { MCPClient as MastraClient } from '@mastra/mcp'
import { MCPClient } from '@mcpkit/mcp-client-core'
import { Client } from '@modelcontextprotocol/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createErasServer } from '../support/eras-server.js'
import { textOf } from '../support/helpers.js'
import {
  everythingStdioTransport,
  type Host,
  hostServer,
  INSPECTOR_2_CLI,
  runInspector,
} from '../support/server-host.js'

let host: Host
beforeAll(async () => {
  host = await hostServer(createErasServer().server)
})
afterAll(async () => {
  await host.close()
})

const sessionOf = (result: unknown) =>
  (JSON.parse(textOf(result)) as { sessionId: string | null }).sessionId

describe('@mastra/mcp 2.x MCPClient', () => {
  it('lands on 2026-07-28 and answers an elicitation and a suspend() through inputRequests', async () => {
    const asked: string[] = []
    const mastra = new MastraClient({
      id: 'mastra-interop',
      servers: {
        eras: {
          url: host.mcpUrl,
          inputRequests: async ({ params }) => {
            const message = String(params.message)
            asked.push(message)
            return {
              action: 'accept',
              content: message.startsWith('Delivery')
                ? { address: 'Mastra road' }
                : { name: 'Mastra' },
            }
          },
        },
      },
    })
    try {
      const tools = await mastra.listTools()
      expect(mastra.getServerProtocolVersions()).toEqual({ eras: '2026-07-28' })
      const call = (name: string, args: Record<string, unknown>) =>
        (
          tools[`eras_${name}`] as { execute(input: unknown, context: unknown): Promise<unknown> }
        ).execute(args, {})
      expect(sessionOf(await call('whoami', {}))).toBeNull()
      expect(textOf(await call('greet', {}))).toBe('Hello, Mastra!')
      expect(textOf(await call('deliver', { orderId: 'm-1' }))).toBe(
        'order m-1 goes to Mastra road',
      )
      expect(asked).toEqual(['What is your name?', 'Delivery address for m-1?'])
    } finally {
      await mastra.disconnect()
    }
  })
})

describe('@ai-sdk/mcp 2.x createMCPClient', () => {
  it('lands on 2026-07-28 (server/discover) and answers an elicitation', async () => {
    const client = await createMCPClient({
      transport: { type: 'http', url: String(host.mcpUrl) },
      capabilities: { elicitation: {} },
    })
    try {
      client.onElicitationRequest(
        (await import('@ai-sdk/mcp')).ElicitationRequestSchema,
        async () => ({ action: 'accept', content: { name: 'AI SDK' } }),
      )
      const tools = await client.tools()
      const options = { toolCallId: 'call-1', messages: [], context: {} }
      expect(sessionOf(await tools.whoami!.execute({}, options))).toBeNull()
      expect(textOf(await tools.greet!.execute({ greeting: 'Hey' }, options))).toBe('Hey, AI SDK!')
    } finally {
      await client.close()
    }
  })
})

describe("mcpkit's MCPClient", () => {
  it('lands on 2026-07-28 by default (no session) and answers a two-question round', async () => {
    const client = new MCPClient({ id: 'mcpkit-interop', servers: { eras: { url: host.mcpUrl } } })
    try {
      client.elicitation.onRequest('eras', (request) => ({
        action: 'accept',
        content: /dish/i.test(request.message) ? { dish: 'ramen' } : { table: 4 },
      }))
      const tools = await client.listTools()
      expect(client.getServerProtocolEras()).toEqual({ eras: 'modern' })
      expect(sessionOf(await tools.eras_whoami!.execute({}))).toBeNull()
      expect(textOf(await tools.eras_order!.execute({ restaurant: 'Kaze' }))).toBe(
        'Kaze: ramen at table 4',
      )
    } finally {
      await client.disconnect()
    }
  })

  it("is served a 2025 session on the same endpoint with protocolVersion: 'legacy'", async () => {
    const client = new MCPClient({
      id: 'mcpkit-interop-legacy',
      servers: { eras: { url: host.mcpUrl, protocolVersion: 'legacy' } },
    })
    try {
      const tools = await client.listTools()
      expect(client.getServerProtocolEras()).toEqual({ eras: 'legacy' })
      expect(sessionOf(await tools.eras_whoami!.execute({}))).toEqual(expect.any(String))
    } finally {
      await client.disconnect()
    }
  })
})

describe('MCP Inspector 2.x CLI', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcpkit-inspector-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  /** Runs the CLI on a config file whose server has `protocolEra`, with its own HOME. */
  async function inspect(protocolEra: string, args: string[]) {
    const config = join(dir, `${protocolEra}.json`)
    await writeFile(
      config,
      JSON.stringify({
        mcpServers: { eras: { type: 'streamable-http', url: String(host.mcpUrl), protocolEra } },
      }),
    )
    const run = await runInspector(
      ['--config', config, '--server', 'eras', '--format', 'json', ...args],
      30_000,
      { cli: INSPECTOR_2_CLI, env: { HOME: dir } },
    )
    return { ...run, json: run.json as { result?: unknown } }
  }

  it.each([
    ['modern', false],
    ['auto', false],
    ['legacy', true],
  ])('protocolEra %s calls a tool (session: %s)', async (protocolEra, hasSession) => {
    const run = await inspect(protocolEra, ['--method', 'tools/call', '--tool-name', 'whoami'])
    expect(run.code, run.stderr).toBe(0)
    expect(sessionOf(run.json.result) !== null).toBe(hasSession)
  })

  it('lists tools and reads a resource on 2026-07-28', async () => {
    const tools = await inspect('modern', ['--method', 'tools/list'])
    expect(tools.code, tools.stderr).toBe(0)
    expect(JSON.stringify(tools.json)).toContain('"deliver"')
    const read = await inspect('modern', ['--method', 'resources/read', '--uri', 'note://shared'])
    expect(read.code, read.stderr).toBe(0)
    expect(JSON.stringify(read.json)).toContain('for everyone')
  })
})

describe('stdio: the first message pins the era of the connection', () => {
  it.each([
    ['legacy', 'legacy'],
    ['auto', 'modern'],
    [{ pin: '2026-07-28' }, 'modern'],
  ] as const)('a v2 Client in mode %j is served on the %s era', async (mode, era) => {
    const client = new Client(
      { name: 'stdio-eras', version: '1.0.0' },
      { capabilities: { elicitation: {} }, versionNegotiation: { mode } },
    )
    client.setRequestHandler('elicitation/create', () => ({
      action: 'accept',
      content: { name: 'Stdio' },
    }))
    await client.connect(everythingStdioTransport())
    try {
      expect(client.getProtocolEra()).toBe(era)
      const result = await client.callTool({
        name: 'test_input_required_result_elicitation',
        arguments: {},
      })
      expect(textOf(result)).toBe('Hello, Stdio!')
    } finally {
      await client.close()
    }
  })
})
