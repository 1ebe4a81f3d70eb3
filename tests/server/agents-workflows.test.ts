// Agents become `ask_<key>` tools and workflows `run_<key>` tools, called by a real client over
// Streamable HTTP; the configuration errors a user can make are caught at construction.
import { createMCPTool, MCPServer } from '@mcpkit/mcp-server-core'
import type { LogMessage, MCPAgent, MCPWorkflow } from '@mcpkit/types'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { textOf } from '../support/helpers.js'
import { connectSdkClient, type Host, hostServer } from '../support/server-host.js'

/** A fake agent in the shape of a Mastra `Agent`: it records what it was asked. */
function fakeAgent(description: string | undefined, name = 'Helper') {
  const asked: Array<{ message: string; options: unknown }> = []
  const agent: MCPAgent & { asked: typeof asked } = {
    name,
    ...(description === undefined ? {} : { description }),
    asked,
    async generate(message: string, options?: Record<string, unknown>) {
      asked.push({ message, options })
      return {
        text: `${name} says: ${message.toUpperCase()}`,
        usage: { totalTokens: 7 },
        finishReason: 'stop',
        toolCalls: [],
      }
    },
  }
  return agent
}

/** A fake workflow in the shape of a Mastra `Workflow`. */
function fakeWorkflow(description: string | undefined): MCPWorkflow {
  return {
    id: 'double',
    ...(description === undefined ? {} : { description }),
    inputSchema: z.object({ n: z.number().describe('the number to double') }),
    createRun: () => ({
      start: async ({ inputData }) => ({
        status: 'success',
        result: { doubled: (inputData as { n: number }).n * 2 },
      }),
    }),
  }
}

describe('agents and workflows as tools', () => {
  const logs: LogMessage[] = []
  const helper = fakeAgent('Answers questions in capitals')
  let server: MCPServer
  let host: Host
  let client: Client

  beforeAll(async () => {
    server = new MCPServer({
      name: 'agents',
      version: '1.0.0',
      logger: (message) => logs.push(message),
      tools: {
        ping: createMCPTool({
          id: 'ping',
          description: 'pong',
          inputSchema: z.object({}),
          execute: async () => 'pong',
        }),
      },
      agents: { helper },
      workflows: { double: fakeWorkflow('Doubles a number') },
    })
    host = await hostServer(server)
    client = await connectSdkClient('http', host.mcpUrl)
  })

  afterAll(async () => {
    await client?.close()
    await host?.close()
  })

  it('lists ask_<key> with a { message: string } input and run_<key> with the workflow input', async () => {
    const { tools } = await client.listTools()
    expect(tools.map((tool) => tool.name).sort()).toEqual(['ask_helper', 'ping', 'run_double'])
    const ask = tools.find((tool) => tool.name === 'ask_helper')
    expect(ask?.description).toContain('Answers questions in capitals')
    expect(ask?.inputSchema).toMatchObject({
      type: 'object',
      properties: { message: { type: 'string' } },
      required: ['message'],
    })
    const run = tools.find((tool) => tool.name === 'run_double')
    expect(run?.description).toContain('Doubles a number')
    expect(run?.inputSchema).toMatchObject({
      type: 'object',
      properties: { n: { type: 'number' } },
      required: ['n'],
    })
    expect(
      server
        .getToolListInfo()
        .tools.map((tool) => [tool.name, tool.toolType])
        .sort(),
    ).toEqual([
      ['ask_helper', 'agent'],
      ['ping', 'tool'],
      ['run_double', 'workflow'],
    ])
  })

  it('ask_<key> calls generate(message) and returns its text, with the whole result as structured content', async () => {
    const result = await client.callTool({ name: 'ask_helper', arguments: { message: 'hello' } })
    expect(result.isError).toBeFalsy()
    expect(textOf(result)).toBe('Helper says: HELLO')
    expect(result.structuredContent).toMatchObject({
      text: 'Helper says: HELLO',
      usage: { totalTokens: 7 },
    })
    expect(helper.asked.at(-1)?.message).toBe('hello')
  })

  it('ask_<key> rejects input without a message string, naming the field', async () => {
    const before = helper.asked.length
    const result = await client.callTool({ name: 'ask_helper', arguments: { question: 'hi' } })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toMatch(/message/)
    expect(helper.asked.length).toBe(before)
  })

  it('run_<key> starts a run with the input and returns its result', async () => {
    const result = await client.callTool({ name: 'run_double', arguments: { n: 21 } })
    expect(result.isError).toBeFalsy()
    expect(JSON.parse(textOf(result))).toMatchObject({
      status: 'success',
      result: { doubled: 42 },
    })
    const invalid = await client.callTool({ name: 'run_double', arguments: { n: 'x' } })
    expect(invalid.isError).toBe(true)
    expect(textOf(invalid)).toMatch(/\bn\b/)
  })

  it('executeTool() runs an agent tool in-process, validated like a remote call', async () => {
    const result = await server.executeTool('ask_helper', { message: 'local' })
    expect(textOf(result)).toBe('Helper says: LOCAL')
    await expect(server.executeTool('ask_helper', {})).rejects.toThrow(/message/)
  })
})

describe('configuration errors and name collisions', () => {
  it('an agent without a description throws at construction, naming the agent', () => {
    expect(
      () =>
        new MCPServer({
          name: 's',
          version: '1',
          tools: {},
          agents: { silent: fakeAgent(undefined) },
        }),
    ).toThrow(/silent[\s\S]*description|description[\s\S]*silent/)
    expect(
      () =>
        new MCPServer({ name: 's', version: '1', tools: {}, agents: { blank: fakeAgent('  ') } }),
    ).toThrow(/description/)
  })

  it('a workflow without a description throws at construction, naming the workflow', () => {
    expect(
      () =>
        new MCPServer({
          name: 's',
          version: '1',
          tools: {},
          workflows: { quiet: fakeWorkflow(undefined) },
        }),
    ).toThrow(/quiet[\s\S]*description|description[\s\S]*quiet/)
  })

  it('an explicit tool with the name of a generated one wins, and the logger gets a warning', async () => {
    const logs: LogMessage[] = []
    const agent = fakeAgent('Would be ask_helper')
    const server = new MCPServer({
      name: 'collision',
      version: '1.0.0',
      logger: (message) => logs.push(message),
      tools: {
        ask_helper: createMCPTool({
          id: 'ask_helper',
          description: 'The explicit ask_helper',
          inputSchema: z.object({ message: z.string() }),
          execute: async ({ message }) => `explicit: ${message}`,
        }),
      },
      agents: { helper: agent },
    })
    const warnings = logs.filter((log) => log.level === 'warning')
    expect(warnings.length).toBe(1)
    expect(warnings[0]?.message).toContain('ask_helper')

    const host = await hostServer(server)
    const client = await connectSdkClient('http', host.mcpUrl)
    try {
      const { tools } = await client.listTools()
      expect(tools.map((tool) => [tool.name, tool.description])).toEqual([
        ['ask_helper', 'The explicit ask_helper'],
      ])
      const result = await client.callTool({ name: 'ask_helper', arguments: { message: 'x' } })
      expect(textOf(result)).toBe('explicit: x')
      expect(agent.asked).toEqual([])
    } finally {
      await client.close()
      await host.close()
    }
  })
})
