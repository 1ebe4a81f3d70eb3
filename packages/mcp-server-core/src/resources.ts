import {
  ProtocolError,
  type ReadResourceResult,
  type Resource,
  ResourceNotFoundError,
} from '@modelcontextprotocol/server'
import type { RequestExtra } from './request-extra.js'
import type { MCPServerResourceContent, MCPServerResources } from './server-config.js'

/**
 * Answers `resources/read` from `getResourceContent`: one part or several, text or blob. A
 * part without `mimeType` takes the listed resource's. A callback that throws means the
 * resource does not exist (`-32602` with the URI, as the spec says).
 */
export async function readResource(
  resources: MCPServerResources,
  uri: string,
  extra: RequestExtra,
): Promise<ReadResourceResult> {
  let content: MCPServerResourceContent | MCPServerResourceContent[]
  try {
    content = await resources.getResourceContent({ uri, extra })
  } catch (error) {
    if (error instanceof ProtocolError) throw error
    throw new ResourceNotFoundError(
      uri,
      `Resource ${uri}: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
  const parts = Array.isArray(content) ? content : [content]
  let listed: Resource[] | undefined
  const contents: ReadResourceResult['contents'] = []
  for (const part of parts) {
    let mimeType = part.mimeType
    if (mimeType === undefined) {
      listed ??= await Promise.resolve(resources.listResources({ extra })).catch(() => [])
      mimeType = listed.find((resource) => resource.uri === (part.uri ?? uri))?.mimeType
    }
    const base = { uri: part.uri ?? uri, ...(mimeType ? { mimeType } : {}) }
    contents.push('blob' in part ? { ...base, blob: part.blob } : { ...base, text: part.text })
  }
  return { contents }
}
