/** One content block of a `CallToolResult`, as far as the mapping reads it. */
interface ContentBlock {
  type: string
  text?: unknown
  data?: unknown
  mimeType?: unknown
  uri?: unknown
  name?: unknown
  resource?: { uri?: unknown; mimeType?: unknown; text?: unknown; blob?: unknown }
}

/** A part of what the model reads of a tool result (the AI SDK's `content` output parts). */
export type ModelOutputPart =
  | { type: 'text'; text: string }
  | { type: 'image-data'; data: string; mediaType: string }
  | { type: 'file-data'; data: string; mediaType: string }

/** What the model reads of a tool's output, in the shape Mastra's `toModelOutput` returns. */
export type ModelOutput =
  | { type: 'json'; value: unknown }
  | { type: 'error-text'; value: string }
  | { type: 'content'; value: ModelOutputPart[] }

/**
 * What the model reads of what `execute` returned (Mastra's `toModelOutput`): structured
 * content as JSON; a `CallToolResult` as content parts, images and audio as media parts
 * (never base64 inside JSON); an error result as an error text.
 */
export function toModelOutput(output: unknown): ModelOutput {
  const content = (output as { content?: unknown } | null)?.content
  if (typeof output !== 'object' || output === null || !Array.isArray(content)) {
    return { type: 'json', value: output ?? null }
  }
  const blocks = content as ContentBlock[]
  if ((output as { isError?: unknown }).isError === true) {
    const text = blocks
      .filter((block) => block.type === 'text')
      .map((block) => String(block.text ?? ''))
      .join('\n')
    return { type: 'error-text', value: text || 'The tool reported an error.' }
  }
  return { type: 'content', value: blocks.map(toPart) }
}

function toPart(block: ContentBlock): ModelOutputPart {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: String(block.text ?? '') }
    case 'image':
    case 'audio': {
      const mediaType = typeof block.mimeType === 'string' ? block.mimeType : block.type
      const data = typeof block.data === 'string' ? block.data : ''
      return block.type === 'image'
        ? { type: 'image-data', data, mediaType }
        : { type: 'file-data', data, mediaType }
    }
    case 'resource': {
      const resource = block.resource ?? {}
      if (typeof resource.text === 'string') return { type: 'text', text: resource.text }
      if (typeof resource.blob === 'string') {
        const mediaType =
          typeof resource.mimeType === 'string' ? resource.mimeType : 'application/octet-stream'
        return { type: 'file-data', data: resource.blob, mediaType }
      }
      return { type: 'text', text: `Resource: ${String(resource.uri)}` }
    }
    case 'resource_link':
      return {
        type: 'text',
        text: `Resource: ${String(block.uri)}${typeof block.name === 'string' ? ` (${block.name})` : ''}`,
      }
    default:
      return { type: 'text', text: JSON.stringify(block) }
  }
}
