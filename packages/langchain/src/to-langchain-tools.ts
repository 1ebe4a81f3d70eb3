import { ToolMessage } from '@langchain/core/messages'
import {
  DynamicStructuredTool,
  type StructuredToolInterface,
  ToolInputParsingException,
} from '@langchain/core/tools'
import type { JsonSchema, RequestContextInput, ToolExecutionContext } from '@mcpkit/types'
import { type LangChainContent, toLangChainContent } from './content.js'

/** What `toLangChainTools` takes: a tool from `MCPClient` or any mcpkit `Tool`. */
export interface AdaptableTool {
  readonly id: string
  readonly description: string
  readonly inputSchema: JsonSchema
  execute(input: Record<string, unknown>, context?: ToolExecutionContext): Promise<unknown>
}

/** Options of `toLangChainTools`. */
export interface ToLangChainToolsOptions {
  /**
   * The request context of every call (for your `fetch`, approval policy and principal).
   * Build the tools per request when it differs per request.
   */
  requestContext?: RequestContextInput | null | undefined
}

/**
 * mcpkit's tools as LangChain.js tools, for `model.bindTools(tools)` and agents: the JSON
 * Schema as the tool's schema, the run's `signal` cancelling the MCP call, images and audio as
 * standard content blocks, structured results as JSON text with the value as the message's
 * `artifact`, and invalid input or a failed call as a `ToolMessage` with `status: 'error'`
 * the model reads (when invoked with a tool call). Approval: LangChain has no approval flow
 * of its own, so mcpkit's `approval.handler` decides the calls a policy holds.
 *
 * Takes `listTools()` (keys become tool names) or an array of tools (named by `id`).
 */
export function toLangChainTools(
  tools: Readonly<Record<string, AdaptableTool>> | readonly AdaptableTool[],
  options: ToLangChainToolsOptions = {},
): StructuredToolInterface[] {
  const entries: [string, AdaptableTool][] = Array.isArray(tools)
    ? (tools as readonly AdaptableTool[]).map((tool) => [tool.id, tool])
    : Object.entries(tools as Record<string, AdaptableTool>)
  return entries.map(([name, tool]) => adapt(name, tool, options.requestContext ?? null))
}

/** A LangChain tool whose input errors go back to the model instead of throwing. */
class MCPKitLangChainTool extends DynamicStructuredTool {
  // biome-ignore lint/suspicious/noExplicitAny: the base method's overloaded generic signature.
  override async call(arg: any, configArg?: any, tags?: string[]): Promise<any> {
    try {
      return await super.call(arg, configArg, tags)
    } catch (error) {
      // `invoke(toolCall)` hands the call's arguments here and the call in the config.
      const toolCallId =
        (arg as { type?: unknown; id?: unknown } | null)?.type === 'tool_call'
          ? (arg as { id?: unknown }).id
          : (configArg as { toolCall?: { id?: unknown } } | undefined)?.toolCall?.id
      if (error instanceof ToolInputParsingException && typeof toolCallId === 'string') {
        return new ToolMessage({
          status: 'error',
          content: `${error.message}: ${error.output ?? ''}`,
          tool_call_id: toolCallId,
          name: this.name,
        })
      }
      throw error
    }
  }
}

function adapt(
  name: string,
  tool: AdaptableTool,
  requestContext: RequestContextInput | null,
): StructuredToolInterface {
  return new MCPKitLangChainTool({
    name,
    description: tool.description,
    schema: tool.inputSchema as Record<string, unknown>,
    verboseParsingErrors: true,
    func: async (
      input: unknown,
      _runManager?: unknown,
      config?: { signal?: AbortSignal; toolCall?: { id?: string } },
    ) => {
      const toolCallId = config?.toolCall?.id
      let content: LangChainContent
      let artifact: unknown
      let failed = false
      try {
        const output = await tool.execute(asArgs(input), {
          requestContext,
          ...(config?.signal ? { signal: config.signal } : {}),
        })
        ;({ content, artifact, failed } = toLangChainContent(output))
      } catch (error) {
        // A signal that aborted rejects as it should: the run was cancelled.
        if (config?.signal?.aborted) throw error
        content = error instanceof Error ? error.message : String(error)
        failed = true
      }
      if (toolCallId === undefined) {
        if (failed) throw new Error(typeof content === 'string' ? content : JSON.stringify(content))
        return content
      }
      return new ToolMessage({
        status: failed ? 'error' : 'success',
        content: content as never,
        artifact,
        tool_call_id: toolCallId,
        name,
      })
    },
  }) as unknown as StructuredToolInterface
}

function asArgs(input: unknown): Record<string, unknown> {
  return typeof input === 'object' && input !== null && !Array.isArray(input)
    ? (input as Record<string, unknown>)
    : {}
}
