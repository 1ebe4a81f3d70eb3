import type { Tool } from 'ai'

/** The AI SDK's `ToolResultOutput` (not exported by name from `ai`). */
export type ToolResultOutput = Awaited<ReturnType<NonNullable<Tool['toModelOutput']>>>

type ContentPart = Extract<ToolResultOutput, { type: 'content' }>['value'][number]

/** One content block of an MCP `CallToolResult`, as far as this mapping reads it. */
interface McpContent {
  type: string
  text?: unknown
  data?: unknown
  mimeType?: unknown
  uri?: unknown
  name?: unknown
  resource?: { uri?: unknown; mimeType?: unknown; text?: unknown; blob?: unknown }
}

/** Whether a tool's output is an MCP `CallToolResult` (what mcpkit returns without structured content). */
export function isCallToolResult(
  value: unknown,
): value is { content: McpContent[]; isError?: boolean } {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { content?: unknown }).content)
  )
}

/**
 * What the model reads of a tool's output: structured content as JSON; a `CallToolResult` as
 * the AI SDK's content parts, text as text and images, audio and binary resources as file
 * parts (never base64 inside JSON); an error result (a denial, `toolErrors: 'return'`) as an
 * error text.
 */
export function toModelOutput(output: unknown): ToolResultOutput {
  if (!isCallToolResult(output)) {
    return { type: 'json', value: (output ?? null) as never }
  }
  if (output.isError === true) {
    return { type: 'error-text', value: textOf(output.content) || 'The tool reported an error.' }
  }
  const parts: ContentPart[] = []
  for (const block of output.content) {
    const part = toPart(block)
    if (part) parts.push(part)
  }
  return { type: 'content', value: parts }
}

function toPart(block: McpContent): ContentPart | undefined {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: String(block.text ?? '') }
    case 'image':
    case 'audio':
      if (typeof block.data !== 'string') return undefined
      return {
        type: 'file',
        mediaType: typeof block.mimeType === 'string' ? block.mimeType : block.type,
        data: { type: 'data', data: block.data },
      }
    case 'resource_link':
      return {
        type: 'text',
        text: `Resource: ${String(block.uri)}${typeof block.name === 'string' ? ` (${block.name})` : ''}`,
      }
    case 'resource': {
      const resource = block.resource ?? {}
      if (typeof resource.text === 'string') return { type: 'text', text: resource.text }
      if (typeof resource.blob === 'string') {
        return {
          type: 'file',
          mediaType:
            typeof resource.mimeType === 'string' ? resource.mimeType : 'application/octet-stream',
          data: { type: 'data', data: resource.blob },
        }
      }
      return { type: 'text', text: `Resource: ${String(resource.uri)}` }
    }
    default:
      return { type: 'text', text: JSON.stringify(block) }
  }
}

function textOf(content: McpContent[]): string {
  return content
    .filter((block) => block.type === 'text')
    .map((block) => String(block.text ?? ''))
    .join('\n')
    .trim()
}
