/**
 * `loadMcpServers`: the `mcpServers` files of Claude Desktop, Cursor and VS Code. A fixture file
 * (`fixtures/mcp-servers.json`) with a stdio entry, a Streamable HTTP entry with headers and
 * an SSE entry with headers connects to all three real servers (the HTTP ones answer 401
 * without the header); `${env:VAR}` references are resolved, a missing one is a clear error;
 * secrets reach no log line; an unknown key is a warning naming it (an error under `strict`),
 * whether it comes from a file or from code.
 */
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadMcpServers, MCPClient, mcpServersFromConfig } from '@mcpkit/mcp-client-core'
import type { LogMessage } from '@mcpkit/types'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildFixtures } from '../fixtures/build.mjs'
import { createEverythingServer } from '../fixtures/everything-server.js'
import { expectMCPError } from '../support/helpers.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const FIXTURE_FILE = path.join(here, '..', 'fixtures', 'mcp-servers.json')
const TOKEN = 'secret-token-7f3a'

let httpServer: http.Server
let baseUrl: string
let fixturesDir: string
const rejected: string[] = []
const clients: MCPClient[] = []

beforeAll(async () => {
  fixturesDir = buildFixtures().dir
  const server = createEverythingServer()
  httpServer = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', baseUrl)
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      rejected.push(url.pathname)
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}')
      return
    }
    const served =
      url.pathname === '/mcp'
        ? server.startHTTP({ url, httpPath: '/mcp', req, res, options: {} })
        : server.startSSE({ url, ssePath: '/sse', messagePath: '/message', req, res, options: {} })
    Promise.resolve(served).catch(() => res.headersSent || res.writeHead(500).end())
  })
  await new Promise<void>((resolve) => httpServer.listen({ port: 0, host: '127.0.0.1' }, resolve))
  const address = httpServer.address() as { port: number }
  baseUrl = `http://127.0.0.1:${address.port}`
})

afterAll(async () => {
  httpServer?.closeAllConnections()
  await new Promise((resolve) => httpServer?.close(resolve))
})

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.disconnect()))
  rejected.length = 0
})

const fileEnv = () => ({
  NODE_BINARY: process.execPath,
  FIXTURES_DIR: fixturesDir,
  NOTES_URL: `${baseUrl}/mcp`,
  NOTES_SSE_URL: `${baseUrl}/sse`,
  NOTES_TOKEN: TOKEN,
})

describe('loadMcpServers', () => {
  it('a file with stdio, HTTP-with-headers and SSE entries connects to all three', async () => {
    const logs: LogMessage[] = []
    const servers = await loadMcpServers(FIXTURE_FILE, {
      env: fileEnv(),
      logger: (line) => logs.push(line),
    })
    expect(Object.keys(servers)).toEqual(['local', 'remote', 'legacy']) // `off` is disabled
    const mcp = new MCPClient({ servers, logger: (line) => logs.push(line) })
    clients.push(mcp)
    const { toolsets, errors } = await mcp.listToolsetsWithErrors()
    expect(errors).toEqual({})
    expect(Object.keys(toolsets)).toEqual(['local', 'remote', 'legacy'])
    for (const name of ['local', 'remote', 'legacy']) {
      const result = (await toolsets[name]!.test_simple_text!.execute({})) as {
        content: Array<{ text: string }>
      }
      expect(result.content[0]?.text).toContain('simple text')
    }
    expect(rejected).toEqual([])
    expect(mcp.getServerProtocolEras().legacy).toBe('legacy')
    // The token reached the servers and no log line.
    expect(JSON.stringify(logs.map((line) => [line.message, line.details]))).not.toContain(TOKEN)
  })

  it('without the header the HTTP server answers 401: headers are not silently dropped', async () => {
    const servers = mcpServersFromConfig(
      { mcpServers: { remote: { type: 'http', url: `${baseUrl}/mcp` } } },
      { env: {} },
    )
    const mcp = new MCPClient({ servers })
    clients.push(mcp)
    await expectMCPError(mcp.listTools(), 'UNAUTHORIZED')
  })

  it('a missing env:VAR reference is an error naming it and its field, without any value', async () => {
    const env = { ...fileEnv(), NOTES_TOKEN: undefined }
    const error = await loadMcpServers(FIXTURE_FILE, { env }).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'INVALID_DEFINITION', serverName: 'remote' })
    expect((error as Error).message).toContain('NOTES_TOKEN')
    expect((error as Error).message).toContain('headers.Authorization')
    expect((error as Error).message).not.toContain(baseUrl)
  })

  it('a VAR:-default reference gives the default when the variable is not set', () => {
    const servers = mcpServersFromConfig(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an mcpServers reference, not a template
      { mcpServers: { a: { command: 'node', args: ['${MODE:-stdio}'] } } },
      { env: {} },
    )
    expect(servers.a).toEqual({ command: 'node', args: ['stdio'] })
  })

  it('a typo in a file is a warning naming the key (and the fix), an error under strict', () => {
    const logs: LogMessage[] = []
    const config = {
      mcpServers: {
        remote: { url: `${baseUrl}/mcp`, headres: { Authorization: `Bearer ${TOKEN}` } },
      },
    }
    const servers = mcpServersFromConfig(config, { env: {}, logger: (line) => logs.push(line) })
    expect(logs).toHaveLength(1)
    expect(logs[0]).toMatchObject({ level: 'warning', serverName: 'remote' })
    expect(logs[0]?.message).toContain('"headres" (did you mean "headers"?)')
    expect(logs[0]?.message).not.toContain(TOKEN)
    expect(servers.remote).toEqual({ url: `${baseUrl}/mcp` })
    expect(() => mcpServersFromConfig(config, { env: {}, strict: true })).toThrow(/headres/)
  })
})

describe('unknown keys in definitions written in code', () => {
  it('are a warning naming the key through the logger', () => {
    const logs: LogMessage[] = []
    const mcp = new MCPClient({
      id: 'typo-warning',
      servers: { notes: { url: `${baseUrl}/mcp`, requestInt: {} } as never },
      logger: (line) => logs.push(line),
    })
    clients.push(mcp)
    expect(logs.map((line) => line.message)).toEqual([
      'Server "notes": unknown key "requestInt" (did you mean "requestInit"?) in its definition; it is ignored.',
    ])
  })

  it('are an INVALID_DEFINITION error under strict', () => {
    expect(
      () =>
        new MCPClient({
          id: 'typo-strict',
          strict: true,
          servers: { notes: { command: 'node', arg: ['x'] } as never },
        }),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_DEFINITION',
        message: expect.stringContaining('"arg"'),
      }),
    )
  })
})
