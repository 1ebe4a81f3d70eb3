// What a client gets back when it calls MCPServer wrongly, and what the server operator sees:
// clear errors that name what exists or what is wrong, no stack traces on the wire, and a
// server that goes on serving.
import { createMCPTool, type MCPServer } from '@mcpkit/mcp-server-core'
import type { LogMessage } from '@mcpkit/types'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  createEverythingServer,
  ERROR_MESSAGE,
  EVERYTHING_TOOL_NAMES,
  SIMPLE_TEXT,
} from '../fixtures/everything-server.js'
import { textOf, thrownBy } from '../support/helpers.js'
import { connectSdkClient, type Host, hostServer } from '../support/server-host.js'

const weather = createMCPTool({
  id: 'weather',
  description: 'Current weather for a city',
  inputSchema: z.object({ city: z.string() }),
  outputSchema: z.object({ city: z.string(), celsius: z.number() }),
  execute: async ({ city }) =>
    city === 'broken' ? { city, celsius: 'warm' as unknown as number } : { city, celsius: 21 },
})

describe.each(['http', 'sse'] as const)('bad tool calls over %s', (transport) => {
  const logs: LogMessage[] = []
  let server: MCPServer
  let host: Host
  let client: Client

  beforeAll(async () => {
    server = createEverythingServer({
      logger: (message) => logs.push(message),
      extraTools: { weather },
    })
    host = await hostServer(server)
    client = await connectSdkClient(transport, transport === 'http' ? host.mcpUrl : host.sseUrl)
  })

  afterAll(async () => {
    await client?.close()
    await host?.close()
  })

  it('an unknown tool is a JSON-RPC error that names the unknown tool and every available one', async () => {
    const error = await thrownBy(() => client.callTool({ name: 'no_such_tool', arguments: {} }))
    expect(error).toBeInstanceOf(McpError)
    expect((error as McpError).code).toBe(ErrorCode.InvalidParams)
    const message = (error as McpError).message
    expect(message).toContain('no_such_tool')
    for (const name of EVERYTHING_TOOL_NAMES) expect(message).toContain(name)
  })

  it('arguments that fail the schema give an isError result naming the field', async () => {
    const wrongType = await client.callTool({ name: 'test_sampling', arguments: { prompt: 42 } })
    expect(wrongType.isError).toBe(true)
    expect(textOf(wrongType)).toMatch(/\bprompt\b/)

    const missing = await client.callTool({ name: 'test_elicitation', arguments: {} })
    expect(missing.isError).toBe(true)
    expect(textOf(missing)).toMatch(/\bmessage\b/)
  })

  it('a throwing tool gives isError with its message; the stack stays in the server log', async () => {
    logs.length = 0
    const result = await client.callTool({ name: 'test_error_handling', arguments: {} })
    expect(result.isError).toBe(true)
    const text = textOf(result)
    expect(text).toContain(ERROR_MESSAGE)
    expect(text).not.toMatch(/\n\s+at\s/)
    expect(text).not.toMatch(/everything-server|node:internal|\.[cm]?[jt]s:\d+/)
    expect(JSON.stringify(result)).not.toMatch(/\bat .*:\d+:\d+/)

    const logged = logs.find((log) => log.level === 'error')
    expect(logged?.message).toContain(ERROR_MESSAGE)
    expect(JSON.stringify(logged?.details ?? {})).toMatch(/everything-server/)
  })

  it('a prompt with a missing required argument, an unknown prompt and an unknown resource are JSON-RPC errors', async () => {
    const missingArgument = await thrownBy(() =>
      client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'only one' } }),
    )
    expect(missingArgument).toBeInstanceOf(McpError)
    expect((missingArgument as McpError).message).toMatch(/arg2/)

    const unknownPrompt = await thrownBy(() => client.getPrompt({ name: 'no_such_prompt' }))
    expect(unknownPrompt).toBeInstanceOf(McpError)
    expect((unknownPrompt as McpError).message).toMatch(/test_simple_prompt/)

    const unknownResource = await thrownBy(() => client.readResource({ uri: 'test://nothing' }))
    expect(unknownResource).toBeInstanceOf(McpError)
    // -32602 (invalid params) with the URI: the SDK v2 sends every revision's unknown resource so.
    expect((unknownResource as McpError).code).toBe(-32602)
    expect((unknownResource as McpError).message).toContain('test://nothing')
  })

  it('an outputSchema result goes out as structuredContent; output that breaks the schema is an isError result', async () => {
    const good = await client.callTool({ name: 'weather', arguments: { city: 'Oslo' } })
    expect(good.isError).toBeFalsy()
    expect(good.structuredContent).toEqual({ city: 'Oslo', celsius: 21 })
    expect(JSON.parse(textOf(good))).toEqual({ city: 'Oslo', celsius: 21 })

    const bad = await client.callTool({ name: 'weather', arguments: { city: 'broken' } })
    expect(bad.isError).toBe(true)
    expect(textOf(bad)).toMatch(/celsius/)
    expect(bad.structuredContent).toBeUndefined()
  })

  it('the session keeps serving after every one of these', async () => {
    expect(textOf(await client.callTool({ name: 'test_simple_text' }))).toBe(SIMPLE_TEXT)
  })
})
