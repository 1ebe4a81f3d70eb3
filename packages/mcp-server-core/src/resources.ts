import {
  type InputRequiredResult,
  ProtocolError,
  ProtocolErrorCode,
  type ReadResourceResult,
  type Resource,
  ResourceNotFoundError,
  type ServerContext,
} from '@modelcontextprotocol/server'
import { combineHints } from './cache-hints.js'
import type { ServerCatalog } from './catalog.js'
import { clientInputOf, InputRound, type RoundOutcome } from './input-rounds.js'
import { type RequestExtra, requestExtra } from './request-extra.js'
import type { MCPServerResourceContent, MCPServerResources } from './server-config.js'
import { NO_TRACE, type RequestTrace } from './tracing.js'

/**
 * Answers `resources/read` from `getResourceContent`: one part or several, text or blob. A
 * part without `mimeType` takes the listed resource's. A callback that throws means the
 * resource does not exist (`-32602` with the URI, as the spec says). The callback may ask the
 * client for input on either era; on 2026-07-28 the parts' `cacheHint` becomes the result's.
 */
export async function readResource(
  catalog: ServerCatalog,
  resources: MCPServerResources,
  uri: string,
  ctx: ServerContext,
  era: 'legacy' | 'modern',
  trace: RequestTrace = NO_TRACE,
): Promise<ReadResourceResult | InputRequiredResult> {
  const round = await InputRound.open({
    ctx,
    era,
    codec: catalog.requestState,
    trace,
    method: 'resources/read',
    name: uri,
    args: {},
  })
  // Resources have no suspend(): their state never carries a form to decline.
  if (!(round instanceof InputRound)) {
    throw new ProtocolError(ProtocolErrorCode.InvalidRequest, 'The user declined the request.')
  }
  const extra = requestExtra(ctx, { round })
  let outcome: RoundOutcome<MCPServerResourceContent | MCPServerResourceContent[]>
  try {
    outcome = await round.run(() =>
      resources.getResourceContent({ uri, extra, ...clientInputOf(round) }),
    )
  } catch (error) {
    // Protocol errors (an undeclared capability's -32021 among them) go out as they are.
    if (error instanceof ProtocolError) throw error
    throw new ResourceNotFoundError(
      uri,
      `Resource ${uri}: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
  if (outcome.kind === 'input') return outcome.result
  const parts = Array.isArray(outcome.value) ? outcome.value : [outcome.value]
  const result: ReadResourceResult = { contents: await contentsOf(resources, uri, parts, extra) }
  const hint = era === 'modern' ? combineHints(parts.map((part) => part.cacheHint)) : undefined
  // The 2026-07-28 encoder takes a result's own `ttlMs` / `cacheScope` over the server's.
  return hint ? Object.assign(result, hint) : result
}

async function contentsOf(
  resources: MCPServerResources,
  uri: string,
  parts: MCPServerResourceContent[],
  extra: RequestExtra,
): Promise<ReadResourceResult['contents']> {
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
  return contents
}
