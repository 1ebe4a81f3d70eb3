import type { ElicitRequestFormParams, ElicitResult } from '@modelcontextprotocol/client'

/**
 * An accepted elicitation answer with the requested schema's defaults filled in for the fields
 * the handler left out (SEP-1034): a user who leaves a field alone accepts its default. Fields
 * the handler gave, declines and cancels are returned as they are.
 */
export function withSchemaDefaults(
  request: Pick<ElicitRequestFormParams, 'requestedSchema'>,
  result: ElicitResult,
): ElicitResult {
  if (result.action !== 'accept') return result
  const properties = request.requestedSchema?.properties
  if (!properties) return result
  let content = result.content
  for (const [field, schema] of Object.entries(properties)) {
    const fallback = (schema as { default?: unknown }).default
    if (fallback === undefined || (content !== undefined && field in content)) continue
    content = { ...content, [field]: fallback as NonNullable<ElicitResult['content']>[string] }
  }
  return content === result.content ? result : { ...result, content }
}
