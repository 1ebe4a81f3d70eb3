import {
  type GetPromptResult,
  type InputRequiredResult,
  type PromptMessage,
  ProtocolError,
  ProtocolErrorCode,
  type ServerContext,
} from '@modelcontextprotocol/server'
import type { ServerCatalog } from './catalog.js'
import { clientInputOf, InputRound } from './input-rounds.js'
import { requestExtra } from './request-extra.js'
import type { MCPServerPromptMessages, MCPServerPrompts } from './server-config.js'
import { NO_TRACE, type RequestTrace } from './tracing.js'

/** `prompts/get` params, `version` (`@mastra/mcp`'s extension) included. */
export interface PromptRequest {
  name: string
  arguments?: Record<string, string> | undefined
  version?: unknown
}

/**
 * Answers `prompts/get`: the listed prompt of that name (and `version`, when asked), its
 * required arguments checked, its messages from `getPromptMessages` (in either of its shapes,
 * asking the client for input on either era).
 */
export async function getPrompt(
  catalog: ServerCatalog,
  prompts: MCPServerPrompts,
  params: PromptRequest,
  ctx: ServerContext,
  era: 'legacy' | 'modern',
  trace: RequestTrace = NO_TRACE,
): Promise<GetPromptResult | InputRequiredResult> {
  const extra = requestExtra(ctx)
  const { name } = params
  const version = typeof params.version === 'string' ? params.version : undefined
  const args = params.arguments ?? {}
  const invalid = (message: string) => new ProtocolError(ProtocolErrorCode.InvalidParams, message)
  const all = await prompts.listPrompts({ extra })
  const listed = all.filter((prompt) => prompt.name === name)
  if (listed.length === 0) {
    const names = [...new Set(all.map((prompt) => prompt.name))]
    throw invalid(`Unknown prompt "${name}". Available prompts: ${names.join(', ') || '(none)'}`)
  }
  const prompt =
    version === undefined ? listed[0]! : listed.find((candidate) => candidate.version === version)
  if (!prompt) {
    const versions = listed.map((candidate) => candidate.version ?? '(none)').join(', ')
    throw invalid(`Prompt "${name}" has no version "${version}". Versions: ${versions}`)
  }
  const missing = (prompt.arguments ?? [])
    .filter((argument) => argument.required && args[argument.name] === undefined)
    .map((argument) => argument.name)
  if (missing.length > 0) {
    throw invalid(`Prompt "${name}" is missing required arguments: ${missing.join(', ')}`)
  }
  if (!prompts.getPromptMessages) {
    throw new ProtocolError(
      ProtocolErrorCode.InternalError,
      `Prompt "${name}" has no getPromptMessages handler.`,
    )
  }
  const getPromptMessages = prompts.getPromptMessages.bind(prompts)
  const round = await InputRound.open({
    ctx,
    era,
    codec: catalog.requestState,
    trace,
    method: 'prompts/get',
    name,
    args: { arguments: args, ...(version === undefined ? {} : { version }) },
  })
  // Prompts have no suspend(): their state never carries a form to decline.
  if (!(round instanceof InputRound)) throw declinedError()
  const outcome = await round.run(() =>
    getPromptMessages({
      name,
      ...(version === undefined ? {} : { version }),
      args,
      extra: requestExtra(ctx, { round }),
      ...clientInputOf(round),
    }),
  )
  if (outcome.kind === 'input') return outcome.result
  const { messages, described } = promptMessagesOf(outcome.value, name)
  const description = described ?? prompt.description
  return { ...(description === undefined ? {} : { description }), messages }
}

function declinedError(): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidRequest, 'The user declined the request.')
}

/**
 * The messages of either shape `getPromptMessages` may return: `{ prompt?, messages }` (the
 * seed's) or the bare array (`@mastra/mcp`'s types). Anything else is the handler's bug, named.
 */
function promptMessagesOf(
  value: MCPServerPromptMessages,
  name: string,
): { messages: PromptMessage[]; described: string | undefined } {
  if (Array.isArray(value)) return { messages: value, described: undefined }
  if (value !== null && typeof value === 'object' && Array.isArray(value.messages)) {
    return { messages: value.messages, described: value.prompt?.description }
  }
  throw new ProtocolError(
    ProtocolErrorCode.InternalError,
    `getPromptMessages("${name}") returned neither an array of messages nor { messages }.`,
  )
}
