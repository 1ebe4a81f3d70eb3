/**
 * `@mcpkit/langchain` with the real `@langchain/core` (its fake chat model, tools bound with
 * `bindTools`), against a real MCP server on 127.0.0.1: tool calls run and their results reach
 * the model (images as image blocks, structured results as JSON with the value as artifact),
 * invalid input comes back as an error `ToolMessage`, the run's signal cancels the MCP call,
 * and mcpkit's handler decides held calls (LangChain has no approval flow of its own).
 */
import {
  AIMessageChunk,
  type BaseMessage,
  HumanMessage,
  ToolMessage,
} from '@langchain/core/messages'
import type { StructuredToolInterface } from '@langchain/core/tools'
import { FakeStreamingChatModel } from '@langchain/core/utils/testing'
import { toLangChainTools } from '@mcpkit/langchain'
import { MCPClient } from '@mcpkit/mcp-client-core'
import type { RequireToolApproval } from '@mcpkit/types'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  type FrameworkServer,
  startFrameworkServer,
  TEST_IMAGE_BASE64,
} from '../support/framework-server.js'

let server: FrameworkServer
const clients: MCPClient[] = []

beforeAll(async () => {
  server = await startFrameworkServer()
})
afterAll(async () => {
  await server?.host.close()
})
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.disconnect()))
  server.reset()
})

function client(options: { policy?: RequireToolApproval; asked?: string[] } = {}) {
  const mcp = new MCPClient({
    servers: {
      notes: {
        url: server.host.mcpUrl,
        ...(options.policy === undefined ? {} : { requireToolApproval: options.policy }),
      },
    },
    approval: {
      principal: 'alice',
      handler: (request) => {
        options.asked?.push(request.toolName)
        return request.toolName === 'delete_note'
      },
    },
  })
  clients.push(mcp)
  return mcp
}

/**
 * One agent turn: the model asks for `calls`, each tool runs on its tool call, and the tool
 * messages go back to the model. Returns the tool messages and what the model saw next.
 */
async function turn(
  tools: StructuredToolInterface[],
  calls: Array<{ name: string; args: Record<string, unknown> }>,
  signal?: AbortSignal,
): Promise<{ toolMessages: ToolMessage[]; seen: BaseMessage[] }> {
  const model = new FakeStreamingChatModel({
    chunks: [
      new AIMessageChunk({
        content: '',
        tool_calls: calls.map((call, index) => ({
          id: `call-${index}`,
          name: call.name,
          args: call.args,
          type: 'tool_call' as const,
        })),
      }),
    ],
  }).bindTools(tools)
  const messages: BaseMessage[] = [new HumanMessage('go')]
  const ai = await model.invoke(messages)
  messages.push(ai)
  const toolMessages: ToolMessage[] = []
  for (const call of ai.tool_calls ?? []) {
    const tool = tools.find((each) => each.name === call.name)!
    const message = (await tool.invoke(call, signal ? { signal } : {})) as ToolMessage
    toolMessages.push(message)
    messages.push(message)
  }
  let seen: BaseMessage[] = []
  await model.invoke(messages, {
    callbacks: [
      {
        handleChatModelStart: (_llm: unknown, prompts: BaseMessage[][]) => {
          seen = prompts[0] ?? []
        },
      },
    ],
  })
  return { toolMessages, seen }
}

describe('toLangChainTools', () => {
  it('a tool call and its structured result reach the model', async () => {
    const tools = toLangChainTools(await client().listTools())
    const { toolMessages, seen } = await turn(tools, [
      { name: 'notes_get_weather', args: { city: 'Paris' } },
    ])
    const [message] = toolMessages
    expect(message?.status).toBe('success')
    expect(JSON.parse(String(message?.content))).toEqual({ city: 'Paris', temperatureC: 21 })
    expect(message?.artifact).toEqual({ city: 'Paris', temperatureC: 21 })
    expect(seen.at(-1)).toBeInstanceOf(ToolMessage)
    expect((seen.at(-1) as ToolMessage).tool_call_id).toBe('call-0')
  })

  it('an image result reaches the model as an image block', async () => {
    const tools = toLangChainTools(await client().listTools())
    const { seen } = await turn(tools, [{ name: 'notes_snapshot', args: {} }])
    expect((seen.at(-1) as ToolMessage).content).toEqual([
      { type: 'text', text: 'the room' },
      { type: 'image', mimeType: 'image/png', data: TEST_IMAGE_BASE64 },
    ])
  })

  it('invalid input comes back to the model as an error ToolMessage', async () => {
    const tools = toLangChainTools(await client().listTools())
    const { toolMessages } = await turn(tools, [{ name: 'notes_get_weather', args: {} }])
    expect(toolMessages[0]?.status).toBe('error')
    expect(String(toolMessages[0]?.content)).toContain('city')
  })

  it('aborting the run’s signal stops a slow tool on the server within 100 ms', async () => {
    const tools = toLangChainTools(await client().listTools())
    const controller = new AbortController()
    const running = turn(tools, [{ name: 'notes_slow', args: {} }], controller.signal)
    running.catch(() => {})
    await server.slowStarted()
    const abortedAt = performance.now()
    controller.abort()
    await server.slowCancelled()
    expect(server.ledger.slow.cancelledAt! - abortedAt).toBeLessThan(100)
    await expect(running).rejects.toThrow()
    expect(server.ledger.slow.finished).toBe(false)
  })

  it('a policy holding one tool and exempting another asks once, for the held one only', async () => {
    const asked: string[] = []
    const tools = toLangChainTools(
      await client({
        policy: { tools: { delete_note: true, list_notes: false } },
        asked,
      }).listTools(),
    )
    const { toolMessages } = await turn(tools, [
      { name: 'notes_list_notes', args: {} },
      { name: 'notes_delete_note', args: { id: 'n1' } },
    ])
    expect(asked).toEqual(['delete_note'])
    expect(toolMessages.map((message) => message.status)).toEqual(['success', 'success'])
    expect(server.ledger.deleted).toEqual(['n1'])
    expect(server.ledger.listed).toBe(1)
  })
})
