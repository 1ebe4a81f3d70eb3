/** LangChain message content: a string, or standard content blocks. */
export type LangChainContent = string | Array<Record<string, unknown>>

interface McpContent {
  type: string
  text?: unknown
  data?: unknown
  mimeType?: unknown
  uri?: unknown
  name?: unknown
  resource?: { uri?: unknown; mimeType?: unknown; text?: unknown; blob?: unknown }
}

/**
 * A tool's output as a `ToolMessage`'s content: structured content as JSON text (the value
 * itself as `artifact`); a `CallToolResult` as standard content blocks (`text`, and `image`,
 * `audio` or `file` blocks with `mimeType` and base64 `data`); an error result as `failed`.
 */
export function toLangChainContent(output: unknown): {
  content: LangChainContent
  artifact: unknown
  failed: boolean
} {
  const blocks = (output as { content?: unknown } | null)?.content
  if (typeof output !== 'object' || output === null || !Array.isArray(blocks)) {
    return {
      content: typeof output === 'string' ? output : JSON.stringify(output ?? null),
      artifact: output,
      failed: false,
    }
  }
  const failed = (output as { isError?: unknown }).isError === true
  const content = (blocks as McpContent[]).map(toBlock)
  const onlyText = content.every((block) => block.type === 'text')
  return {
    content: onlyText ? content.map((block) => String(block.text)).join('\n') : content,
    artifact: output,
    failed,
  }
}

function toBlock(block: McpContent): Record<string, unknown> {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: String(block.text ?? '') }
    case 'image':
    case 'audio':
      return {
        type: block.type,
        mimeType: typeof block.mimeType === 'string' ? block.mimeType : undefined,
        data: block.data,
      }
    case 'resource': {
      const resource = block.resource ?? {}
      if (typeof resource.text === 'string') return { type: 'text', text: resource.text }
      if (typeof resource.blob === 'string') {
        return {
          type: 'file',
          mimeType:
            typeof resource.mimeType === 'string' ? resource.mimeType : 'application/octet-stream',
          data: resource.blob,
        }
      }
      return { type: 'text', text: `Resource: ${String(resource.uri)}` }
    }
    case 'resource_link':
      return { type: 'text', text: `Resource: ${String(block.uri)}` }
    default:
      return { type: 'text', text: JSON.stringify(block) }
  }
}
