import {
  type CallToolResult,
  ProtocolError,
  ProtocolErrorCode,
  type ServerContext,
} from '@modelcontextprotocol/server'
import type { ServerCatalog } from './catalog.js'
import { toolCallRefusal } from './http-auth.js'
import { requestExtra } from './request-extra.js'
import type { MCPToolContext } from './server-tool.js'

/**
 * Answers `tools/call`: finds the tool, checks the caller's scopes, validates the arguments,
 * runs it, and shapes what it returned. A tool that throws, or arguments that fail the schema,
 * become an `isError` result the model reads; an unknown tool is a JSON-RPC error.
 */
export async function runTool(
  catalog: ServerCatalog,
  name: string,
  args: Record<string, unknown> | undefined,
  ctx: ServerContext,
): Promise<CallToolResult> {
  const entry = catalog.tools.get(name)
  if (!entry) {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `Unknown tool "${name}". Available tools: ${[...catalog.tools.keys()].join(', ') || '(none)'}`,
    )
  }
  const refusal = toolCallRefusal(catalog.auth, name, ctx.http?.authInfo)
  if (refusal) throw refusal
  const checked = await entry.checkInput(args ?? {})
  if ('error' in checked) {
    return errorResult(`Invalid arguments for tool "${name}": ${checked.error}`)
  }
  try {
    return await entry.run(checked.data, toolContext(catalog, ctx))
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    catalog.log('error', `tool "${name}" failed: ${message}`, {
      tool: name,
      ...(error instanceof Error && error.stack ? { stack: error.stack } : {}),
    })
    return errorResult(message)
  }
}

/** The second argument of `execute`, for a call from an MCP client. */
function toolContext(catalog: ServerCatalog, ctx: ServerContext): MCPToolContext {
  const { mcpReq } = ctx
  const progressToken = mcpReq._meta?.progressToken
  return {
    extra: requestExtra(ctx),
    elicitation: {
      // On the request's own stream (the SDK's helper alone would use the session's GET stream).
      sendRequest: (request) =>
        mcpReq.elicitInput({ ...request, mode: 'form' }, { relatedRequestId: mcpReq.id }),
    },
    // The session's `logging/setLevel` filters these (the SDK keeps the level per session).
    log: (level, data) => mcpReq.log(level, data, catalog.info.name),
    progress: async (progress, total, message) => {
      if (progressToken === undefined) return
      await mcpReq.notify({
        method: 'notifications/progress',
        params: {
          progressToken,
          progress,
          ...(total === undefined ? {} : { total }),
          ...(message === undefined ? {} : { message }),
        },
      })
    },
  }
}

export function errorResult(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true }
}
