/**
 * A scripted model (generate and stream) for frameworks that stream (Mastra, LangChain's callers): the
 * real `MockLanguageModelV4` of `ai/test`, which calls the tools in `calls` on its first turn
 * and answers `done` once it has seen tool results. `prompts` keeps what it was shown.
 */
import { simulateReadableStream } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 1, text: 1, reasoning: undefined },
}

export interface ScriptedModel {
  model: MockLanguageModelV4
  /** The prompt of every model call, in order. */
  prompts: unknown[][]
}

export function streamingModelCalling(
  calls: Array<{ toolName: string; input: unknown }>,
): ScriptedModel {
  const prompts: unknown[][] = []
  let turn = 0
  const decide = (prompt: Array<{ role: string }>) => {
    prompts.push(prompt as unknown[])
    const answer = prompt.at(-1)?.role === 'tool' || turn > 0 || calls.length === 0
    turn += 1
    return answer
  }
  const toolCalls = calls.map((call, index) => ({
    type: 'tool-call' as const,
    toolCallId: `call-${index}`,
    toolName: call.toolName,
    input: JSON.stringify(call.input),
  }))
  const model = new MockLanguageModelV4({
    doGenerate: async (options) =>
      decide(options.prompt)
        ? {
            content: [{ type: 'text' as const, text: 'done' }],
            finishReason: { unified: 'stop' as const, raw: 'stop' },
            usage,
            warnings: [],
          }
        : {
            content: toolCalls,
            finishReason: { unified: 'tool-calls' as const, raw: 'tool_calls' },
            usage,
            warnings: [],
          },
    doStream: async (options) => {
      const answer = decide(options.prompt)
      // The stream parts of `@ai-sdk/provider`'s LanguageModelV4 (not exported by `ai`).
      const chunks: unknown[] = answer
        ? [
            { type: 'stream-start' as const, warnings: [] },
            { type: 'text-start' as const, id: 't' },
            { type: 'text-delta' as const, id: 't', delta: 'done' },
            { type: 'text-end' as const, id: 't' },
            {
              type: 'finish' as const,
              finishReason: { unified: 'stop' as const, raw: 'stop' },
              usage,
            },
          ]
        : [
            { type: 'stream-start' as const, warnings: [] },
            ...toolCalls,
            {
              type: 'finish' as const,
              finishReason: { unified: 'tool-calls' as const, raw: 'tool_calls' },
              usage,
            },
          ]
      return {
        stream: simulateReadableStream({
          chunks: chunks as never[],
          initialDelayInMs: null,
          chunkDelayInMs: null,
        }),
      }
    },
  })
  return { model, prompts }
}
