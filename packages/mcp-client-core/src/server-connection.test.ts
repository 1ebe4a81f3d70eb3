import { afterEach, describe, expect, it } from 'vitest'
import { defaultResponseStore, ProtocolEraCache } from './client-cache.js'
import { InputValidatorCache } from './input-validator.js'
import { ServerConnection } from './server-connection.js'

/** A 2025-era stdio server in a few lines: `initialize`, one tool, and nothing else. */
const SERVER = `
const lines = require('node:readline').createInterface({ input: process.stdin })
lines.on('line', (line) => {
  const message = JSON.parse(line)
  if (message.id === undefined) return
  const answer = (body) =>
    process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: message.id, ...body }) + '\\n')
  if (message.method === 'initialize') {
    answer({ result: {
      protocolVersion: message.params.protocolVersion,
      capabilities: { tools: {} },
      serverInfo: { name: 'scope-test', version: '1.0.0' },
    } })
  } else if (message.method === 'tools/list') {
    answer({ result: { tools: [{ name: 'echo', inputSchema: { type: 'object' } }] } })
  } else if (message.method === 'tools/call') {
    answer({ result: { content: [{ type: 'text', text: 'ok' }] } })
  } else {
    answer({ error: { code: -32601, message: 'Method not found' } })
  }
})
`

const connections: ServerConnection[] = []
afterEach(async () => {
  await Promise.all(connections.splice(0).map((connection) => connection.close()))
})

function stdioConnection(): ServerConnection {
  const connection = new ServerConnection({
    name: 'local',
    definition: { command: process.execPath, args: ['-e', SERVER], protocolVersion: 'legacy' },
    timeout: 10_000,
    logger: undefined,
    validators: new InputValidatorCache(),
    approval: undefined,
    cache: { partition: '', responses: defaultResponseStore(), eras: new ProtocolEraCache() },
  })
  connections.push(connection)
  return connection
}

describe('ServerConnection.request scopes', () => {
  it('sends one stdio request without a request scope, and a stdio list within one', async () => {
    const connection = stdioConnection()
    const call = await connection.request(
      { what: 'tools/call "echo"', idempotent: false, requestContext: null },
      async (client, _era, options) => ({
        options,
        result: await client.callTool({ name: 'echo', arguments: {} }, options),
      }),
    )
    // No scope: nothing to abort the request with, and nothing for the transport to report to.
    expect(call.options).toBeUndefined()
    expect(call.result.content).toEqual([{ type: 'text', text: 'ok' }])

    const list = await connection.request(
      { what: 'tools/list', idempotent: true, list: true, requestContext: null },
      async (client, _era, options) => ({
        options,
        result: await client.listTools(undefined, options),
      }),
    )
    expect(list.options?.signal).toBeInstanceOf(AbortSignal)
    expect(list.options?.onresumptiontoken).toBeTypeOf('function')
    expect(list.result.tools.map((tool) => tool.name)).toEqual(['echo'])
  })

  it('lists and calls the tools as before', async () => {
    const connection = stdioConnection()
    const [tool] = await connection.tools(null)
    expect(tool?.name).toBe('echo')
    await expect(connection.callTool(tool!, {}, {})).resolves.toMatchObject({
      content: [{ type: 'text', text: 'ok' }],
    })
  })
})
