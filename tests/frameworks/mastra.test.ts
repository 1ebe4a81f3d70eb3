/**
 * mcpkit's raw tools in a real `@mastra/core` `Agent` (no adapter), with the real mock model of
 * `ai/test`, against a real MCP server on 127.0.0.1: `tools: await mcp.listTools()` and
 * `toolsets: await mcp.listToolsets()` work as with `@mastra/mcp`; results reach the model
 * (images as media parts); aborting `generate()` cancels the MCP call; and Mastra's
 * `requireToolApproval` flow suspends exactly the calls mcpkit's policy holds, once, with
 * mcpkit's handler never asked a second time.
 */
import { Mastra } from '@mastra/core'
import { Agent } from '@mastra/core/agent'
import type { MastraModelConfig } from '@mastra/core/llm'
import { InMemoryStore } from '@mastra/core/storage'
import { MCPClient } from '@mcpkit/mcp-client-core'
import type { ApprovalEvent, RequireToolApproval } from '@mcpkit/types'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  type FrameworkServer,
  startFrameworkServer,
  TEST_IMAGE_BASE64,
} from '../support/framework-server.js'
import { streamingModelCalling as scripted } from '../support/mock-stream-model.js'

/**
 * The scripted `ai/test` model, typed for Mastra: Mastra types models with its own copy of
 * `@ai-sdk/provider` (a different patch release of the same V4 interface).
 */
function streamingModelCalling(calls: Parameters<typeof scripted>[0]) {
  const { model, prompts } = scripted(calls)
  return { model: model as unknown as MastraModelConfig, prompts }
}

vi.setConfig({ testTimeout: 20_000 })

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

function client(
  options: { policy?: RequireToolApproval; asked?: string[]; events?: ApprovalEvent[] } = {},
) {
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
        return false
      },
      onDecision: (event) => options.events?.push(event),
    },
  })
  clients.push(mcp)
  return mcp
}

/** The tool-result parts of the model's last prompt. */
function toolResults(prompts: unknown[][]): Array<{ toolName: string; output: unknown }> {
  const results: Array<{ toolName: string; output: unknown }> = []
  for (const message of (prompts.at(-1) ?? []) as Array<{ role: string; content: unknown }>) {
    if (message.role !== 'tool' || !Array.isArray(message.content)) continue
    for (const part of message.content as Array<{
      type: string
      toolName: string
      output: unknown
    }>) {
      if (part.type === 'tool-result')
        results.push({ toolName: part.toolName, output: part.output })
    }
  }
  return results
}

describe('Mastra Agent with mcpkit tools', () => {
  it('new Agent({ tools: await mcp.listTools() }): a call and its result reach the model', async () => {
    const { model, prompts } = streamingModelCalling([
      { toolName: 'notes_get_weather', input: { city: 'Paris' } },
    ])
    const agent = new Agent({
      id: 'weather',
      name: 'weather',
      instructions: 'answer',
      model,
      tools: await client().listTools(),
    })
    const output = await agent.generate('weather in Paris?')
    expect(output.text).toBe('done')
    expect(toolResults(prompts)).toEqual([
      {
        toolName: 'notes_get_weather',
        output: { type: 'json', value: { city: 'Paris', temperatureC: 21 } },
      },
    ])
  })

  it('generate(…, { toolsets: await mcp.listToolsets() }): an image reaches the model as a file part', async () => {
    const { model, prompts } = streamingModelCalling([{ toolName: 'snapshot', input: {} }])
    const agent = new Agent({ id: 'eyes', name: 'eyes', instructions: 'look', model })
    await agent.generate('look', { toolsets: await client().listToolsets() })
    const [result] = toolResults(prompts)
    expect(result?.output).toMatchObject({
      type: 'content',
      value: [
        { type: 'text', text: 'the room' },
        { type: 'file', mediaType: 'image/png' },
      ],
    })
    expect(JSON.stringify(result?.output)).toContain(TEST_IMAGE_BASE64)
  })

  it('aborting generate() cancels the MCP call within 100 ms', async () => {
    const { model } = streamingModelCalling([{ toolName: 'notes_slow', input: {} }])
    const agent = new Agent({
      id: 'slow',
      name: 'slow',
      instructions: 'wait',
      model,
      tools: await client().listTools(),
    })
    const controller = new AbortController()
    const running = agent.generate('wait', { abortSignal: controller.signal })
    running.catch(() => {})
    await server.slowStarted()
    const abortedAt = performance.now()
    controller.abort()
    await server.slowCancelled()
    expect(server.ledger.slow.cancelledAt! - abortedAt).toBeLessThan(100)
    await running.catch(() => {})
    expect(server.ledger.slow.finished).toBe(false)
  })
})

describe('Mastra requireToolApproval and mcpkit policy: one approval per call', () => {
  const policy: RequireToolApproval = { tools: { delete_note: true, list_notes: false } }

  it('suspends for the held tool only, and mcpkit does not ask again after Mastra approved', async () => {
    const asked: string[] = []
    const events: ApprovalEvent[] = []
    const { model } = streamingModelCalling([
      { toolName: 'notes_list_notes', input: {} },
      { toolName: 'notes_delete_note', input: { id: 'n1' } },
    ])
    const agent = new Agent({
      id: 'cleaner',
      name: 'cleaner',
      instructions: 'clean',
      model,
      tools: await client({ policy, asked, events }).listTools(),
    })
    // Suspended runs are kept in storage until they are approved.
    new Mastra({ agents: { cleaner: agent }, storage: new InMemoryStore(), logger: false })
    const first = await agent.generate('clean up', { requireToolApproval: true })
    expect(first.finishReason).toBe('suspended')
    expect((first.suspendPayload as { toolName?: string }).toolName).toBe('notes_delete_note')
    expect(server.ledger.listed).toBe(1) // exempt: ran without a suspension
    expect(server.ledger.deleted).toEqual([])

    const resumed = await agent.approveToolCallGenerate({
      runId: first.runId!,
      toolCallId: (first.suspendPayload as { toolCallId: string }).toolCallId,
    })
    expect(resumed.text).toBe('done')
    expect(server.ledger.deleted).toEqual(['n1'])
    expect(asked).toEqual([]) // Mastra's approval counted; mcpkit's handler was not asked again
    expect(events.map((event) => [event.toolName, event.outcome, event.decidedBy])).toEqual([
      ['list_notes', 'not-required', undefined],
      ['delete_note', 'approved', 'mastra'],
    ])
  })

  it('a plain-object requestContext is read by the policy and the principal (no fail-closed)', async () => {
    const tools = await client({
      policy: {
        tools: { delete_note: ({ requestContext }) => requestContext?.get('role') !== 'admin' },
      },
    }).listTools()
    const tool = tools.notes_delete_note!
    expect(await tool.needsApprovalFn({ id: 'x' }, { requestContext: { role: 'admin' } })).toBe(
      false,
    )
    expect(await tool.needsApprovalFn({ id: 'x' }, { requestContext: { role: 'user' } })).toBe(true)
    expect(await tool.approval.required({ id: 'x' }, { requestContext: { role: 'admin' } })).toBe(
      false,
    )
  })

  it('a held call that reaches execute without Mastra asking still goes to the handler', async () => {
    const asked: string[] = []
    const tools = await client({ policy, asked }).listTools()
    const result = await tools.notes_delete_note!.execute(
      { id: 'n9' },
      { abortSignal: new AbortController().signal },
    )
    expect(asked).toEqual(['delete_note'])
    expect(result).toMatchObject({ isError: true })
    expect(server.ledger.deleted).toEqual([])
  })
})
