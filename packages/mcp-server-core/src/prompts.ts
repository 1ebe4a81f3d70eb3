import {
  type GetPromptResult,
  type PromptMessage,
  ProtocolError,
  ProtocolErrorCode,
} from '@modelcontextprotocol/server'
import type { RequestExtra } from './request-extra.js'
import type { MCPServerPrompts } from './server-config.js'

/** `prompts/get` params, `version` (`@mastra/mcp`'s extension) included. */
export interface PromptRequest {
  name: string
  arguments?: Record<string, string> | undefined
  version?: unknown
}

/**
 * Answers `prompts/get`: the listed prompt of that name (and `version`, when asked), its
 * required arguments checked, its messages from `getPromptMessages`.
 */
export async function getPrompt(
  prompts: MCPServerPrompts,
  params: PromptRequest,
  extra: RequestExtra,
): Promise<GetPromptResult> {
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
  const result = await prompts.getPromptMessages({
    name,
    ...(version === undefined ? {} : { version }),
    args,
    extra,
  })
  const description = result.prompt?.description ?? prompt.description
  return {
    ...(description === undefined ? {} : { description }),
    messages: result.messages as PromptMessage[],
  }
}
