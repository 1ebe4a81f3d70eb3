import type { CompleteResult } from '@modelcontextprotocol/server'
import type { CompletionAnswer, MCPServerPrompts, MCPServerResources } from './server-config.js'

/** The most values one answer carries, as the spec says. */
const MAX_VALUES = 100

/**
 * Answers `completion/complete` from the prompts' or resources' `completeArgument`: at most
 * 100 values, with `total` and `hasMore` (computed when the callback gives a plain list).
 */
export async function complete(
  sources: { prompts: MCPServerPrompts | undefined; resources: MCPServerResources | undefined },
  params: {
    ref: { type: string; name?: string | undefined; uri?: string | undefined }
    argument: { name: string; value: string }
    context?: { arguments?: Record<string, string> | undefined } | undefined
  },
): Promise<CompleteResult> {
  const { ref, argument } = params
  const context = params.context?.arguments ?? {}
  let answer: CompletionAnswer | undefined
  if (ref.type === 'ref/prompt' && ref.name !== undefined) {
    answer = await sources.prompts?.completeArgument?.({
      name: ref.name,
      argument,
      arguments: context,
    })
  } else if (ref.type === 'ref/resource' && ref.uri !== undefined) {
    answer = await sources.resources?.completeArgument?.({
      uriTemplate: ref.uri,
      argument,
      arguments: context,
    })
  }
  const values = Array.isArray(answer) ? answer : (answer?.values ?? [])
  const completion: CompleteResult['completion'] = { values: values.slice(0, MAX_VALUES) }
  completion.total = Array.isArray(answer) ? values.length : (answer?.total ?? values.length)
  completion.hasMore = Array.isArray(answer)
    ? values.length > MAX_VALUES
    : (answer?.hasMore ?? values.length > MAX_VALUES)
  return { completion }
}
