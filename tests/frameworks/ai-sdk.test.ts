/**
 * `@mcpkit/ai-sdk` with the real `ai` package and its mock model (`ai/test`), against a real
 * MCP server on 127.0.0.1 over Streamable HTTP: results reach the model (structured as JSON,
 * images as file parts, invalid input as a tool error), an abort cancels the MCP call, and a
 * held call is approved once, through the AI SDK's own approval flow, never twice and never
 * not at all.
 */
import { toAISDKTools } from '@mcpkit/ai-sdk'
import { MCPClient } from '@mcpkit/mcp-client-core'
import type { ApprovalEvent, RequireToolApproval } from '@mcpkit/types'
import { generateText, isStepCount, type ModelMessage } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
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

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 1, text: 1, reasoning: undefined },
}

/** A mock model that calls `calls` on its first turn and then answers with text. */
function modelCalling(calls: Array<{ toolName: string; input: unknown }>) {
  const prompts: ModelMessage[][] = []
  const model = new MockLanguageModelV4({
    doGenerate: async (options) => {
      prompts.push(options.prompt as ModelMessage[])
      const last = options.prompt.at(-1)
      if (last?.role === 'tool') {
        return {
          content: [{ type: 'text', text: 'done' }],
          finishReason: { unified: 'stop', raw: 'stop' },
          usage,
          warnings: [],
        }
      }
      return {
        content: calls.map((call, index) => ({
          type: 'tool-call' as const,
          toolCallId: `call-${index}`,
          toolName: call.toolName,
          input: JSON.stringify(call.input),
        })),
        finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
        usage,
        warnings: [],
      }
    },
  })
  return { model, prompts }
}

/** The tool results the model was shown, by tool name. */
function toolOutputs(prompts: ModelMessage[][]): Record<string, unknown> {
  const outputs: Record<string, unknown> = {}
  for (const message of prompts.at(-1) ?? []) {
    if (message.role !== 'tool') continue
    for (const part of message.content) {
      if (part.type === 'tool-result') outputs[part.toolName] = part.output
    }
  }
  return outputs
}

describe('toAISDKTools with generateText', () => {
  it('a tool call and its structured result reach the model as JSON', async () => {
    const tools = toAISDKTools(await client().listTools())
    const { model, prompts } = modelCalling([
      { toolName: 'notes_get_weather', input: { city: 'Paris' } },
    ])
    const result = await generateText({
      model,
      tools,
      prompt: 'weather?',
      stopWhen: isStepCount(3),
    })
    expect(result.text).toBe('done')
    expect(toolOutputs(prompts).notes_get_weather).toEqual({
      type: 'json',
      value: { city: 'Paris', temperatureC: 21 },
    })
  })

  it('an image result reaches the model as a file part, not base64 inside JSON', async () => {
    const tools = toAISDKTools(await client().listTools())
    const { model, prompts } = modelCalling([{ toolName: 'notes_snapshot', input: {} }])
    await generateText({ model, tools, prompt: 'look', stopWhen: isStepCount(3) })
    expect(toolOutputs(prompts).notes_snapshot).toEqual({
      type: 'content',
      value: [
        { type: 'text', text: 'the room' },
        { type: 'file', mediaType: 'image/png', data: { type: 'data', data: TEST_IMAGE_BASE64 } },
      ],
    })
  })

  it('invalid input comes back to the model as a tool error naming the field', async () => {
    const tools = toAISDKTools(await client().listTools())
    const { model, prompts } = modelCalling([{ toolName: 'notes_get_weather', input: {} }])
    await generateText({ model, tools, prompt: 'weather?', stopWhen: isStepCount(3) })
    const output = toolOutputs(prompts).notes_get_weather as { type: string; value: string }
    expect(output.type).toBe('error-text')
    expect(output.value).toContain('city')
  })

  it('an abort stops a slow tool on the server within 100 ms', async () => {
    const tools = toAISDKTools(await client().listTools())
    const { model } = modelCalling([{ toolName: 'notes_slow', input: {} }])
    const controller = new AbortController()
    const running = generateText({
      model,
      tools,
      prompt: 'wait',
      abortSignal: controller.signal,
      stopWhen: isStepCount(3),
    })
    running.catch(() => {})
    await server.slowStarted()
    const abortedAt = performance.now()
    controller.abort()
    await server.slowCancelled()
    expect(server.ledger.slow.cancelledAt! - abortedAt).toBeLessThan(100)
    await expect(running).rejects.toThrow()
    expect(server.ledger.slow.finished).toBe(false)
  })
})

describe('one approval per call, and never none', () => {
  const policy: RequireToolApproval = { tools: { delete_note: true, list_notes: false } }

  it('the AI SDK asks once for the held tool and never for the exempt one; mcpkit does not ask again', async () => {
    const asked: string[] = []
    const events: ApprovalEvent[] = []
    const tools = toAISDKTools(await client({ policy, asked, events }).listTools())
    const { model } = modelCalling([
      { toolName: 'notes_delete_note', input: { id: 'n1' } },
      { toolName: 'notes_list_notes', input: {} },
    ])
    const first = await generateText({ model, tools, prompt: 'clean up', stopWhen: isStepCount(3) })
    const requests = first.content.filter((part) => part.type === 'tool-approval-request')
    expect(requests.map((part) => part.toolCall.toolName)).toEqual(['notes_delete_note'])
    expect(server.ledger.listed).toBe(1) // the exempt tool ran without anyone being asked
    expect(server.ledger.deleted).toEqual([]) // the held one waits for the user

    // The user approves in the app's UI; the next generateText runs the call.
    const messages: ModelMessage[] = [
      { role: 'user', content: 'clean up' },
      ...first.response.messages,
      {
        role: 'tool',
        content: [
          { type: 'tool-approval-response', approvalId: requests[0]!.approvalId, approved: true },
        ],
      },
    ]
    const { model: next } = modelCalling([])
    await generateText({ model: next, tools, messages, stopWhen: isStepCount(3) })
    expect(server.ledger.deleted).toEqual(['n1'])
    expect(asked).toEqual([]) // mcpkit's handler was never asked: the AI SDK's approval counted
    expect(events.map((event) => [event.toolName, event.outcome, event.decidedBy])).toEqual([
      ['list_notes', 'not-required', undefined],
      ['delete_note', 'approved', 'ai-sdk'],
    ])
  })

  it('a denial in the AI SDK never reaches the server', async () => {
    const tools = toAISDKTools(await client({ policy }).listTools())
    const { model } = modelCalling([{ toolName: 'notes_delete_note', input: { id: 'n1' } }])
    const first = await generateText({ model, tools, prompt: 'delete', stopWhen: isStepCount(3) })
    const request = first.content.find((part) => part.type === 'tool-approval-request')!
    const messages: ModelMessage[] = [
      { role: 'user', content: 'delete' },
      ...first.response.messages,
      {
        role: 'tool',
        content: [
          { type: 'tool-approval-response', approvalId: request.approvalId, approved: false },
        ],
      },
    ]
    await generateText({ model: modelCalling([]).model, tools, messages, stopWhen: isStepCount(3) })
    expect(server.ledger.deleted).toEqual([])
  })

  it('a held call the AI SDK did not ask about goes to mcpkit’s handler (denied: not sent)', async () => {
    const asked: string[] = []
    const tools = toAISDKTools(await client({ policy, asked }).listTools())
    const execute = tools.notes_delete_note!.execute!
    const result = await execute({ id: 'n2' }, { toolCallId: 'never-asked', messages: [] } as never)
    expect(asked).toEqual(['delete_note'])
    expect(result).toMatchObject({ isError: true })
    expect(server.ledger.deleted).toEqual([])
  })

  it("approval: 'mcpkit' leaves the asking to mcpkit's handler; the AI SDK never stops", async () => {
    const asked: string[] = []
    const tools = toAISDKTools(await client({ policy, asked }).listTools(), { approval: 'mcpkit' })
    const { model, prompts } = modelCalling([
      { toolName: 'notes_delete_note', input: { id: 'n3' } },
    ])
    await generateText({ model, tools, prompt: 'delete', stopWhen: isStepCount(3) })
    expect(asked).toEqual(['delete_note'])
    expect(server.ledger.deleted).toEqual([])
    expect((toolOutputs(prompts).notes_delete_note as { type: string }).type).toBe('error-text')
  })
})
