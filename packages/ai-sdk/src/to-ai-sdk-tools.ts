import type { JsonSchema, RequestContextInput, ToolExecutionContext } from '@mcpkit/types'
import { dynamicTool, jsonSchema, type Tool } from 'ai'
import { toModelOutput } from './model-output.js'

/**
 * What `toAISDKTools` takes: a tool from `MCPClient` (`listTools()`, a toolset of
 * `listToolsets()`) or any mcpkit `Tool`, e.g. one from `withApproval`.
 */
export interface AdaptableTool {
  readonly id: string
  readonly description: string
  readonly inputSchema: JsonSchema
  /** The approval policy (mcpkit tools have it); without it no call stops for approval here. */
  readonly approval?:
    | {
        required(
          input: Record<string, unknown>,
          options?: { requestContext?: RequestContextInput | null | undefined },
        ): Promise<boolean>
      }
    | undefined
  execute(input: Record<string, unknown>, context?: ToolExecutionContext): Promise<unknown>
}

/** Options of `toAISDKTools`. */
export interface ToAISDKToolsOptions {
  /**
   * The request context of every call these tools make (for your `fetch`, your approval
   * policy and its principal). Build the tools per request when it differs per request.
   */
  requestContext?: RequestContextInput | null | undefined
  /**
   * Who asks for approval of the calls a tool's policy holds:
   * - `'framework'` (default): the AI SDK. Held calls get `needsApproval`, so `generateText` /
   *   `streamText` stop with a `tool-approval-request`; a call the AI SDK then runs (the user
   *   approved it) is not asked about again by mcpkit. A held call the AI SDK did not ask
   *   about still goes to mcpkit's `approval.handler` (denied without one).
   * - `'mcpkit'`: mcpkit's `approval.handler` (e.g. an `ApprovalQueue`) asks inside `execute`;
   *   the AI SDK never stops.
   */
  approval?: 'framework' | 'mcpkit'
}

/** The AI SDK tools `toAISDKTools` returns, by tool id. */
export type AISDKTools = Record<string, Tool<unknown, unknown>>

/**
 * mcpkit's tools as AI SDK tools, for `generateText({ tools })` / `streamText({ tools })`:
 * the JSON Schema as the tool's input schema, the AI SDK's `abortSignal` cancelling the MCP
 * call, images and audio given to the model as file parts, structured results as JSON,
 * invalid input and tool errors as tool errors the model reads, and each held call approved
 * exactly once (see `approval`).
 *
 * Takes `listTools()` (keys kept) or an array of tools (keyed by `id`).
 */
export function toAISDKTools(
  tools: Readonly<Record<string, AdaptableTool>> | readonly AdaptableTool[],
  options: ToAISDKToolsOptions = {},
): AISDKTools {
  const mode = options.approval ?? 'framework'
  if (mode !== 'framework' && mode !== 'mcpkit') {
    throw new TypeError(
      `toAISDKTools: \`approval\` must be 'framework' or 'mcpkit'; got ${String(mode)}`,
    )
  }
  const entries: [string, AdaptableTool][] = Array.isArray(tools)
    ? (tools as readonly AdaptableTool[]).map((tool) => [tool.id, tool])
    : Object.entries(tools as Record<string, AdaptableTool>)
  const result: AISDKTools = {}
  for (const [key, tool] of entries) {
    result[key] = adapt(tool, options.requestContext ?? null, mode)
  }
  return result
}

function adapt(
  tool: AdaptableTool,
  requestContext: RequestContextInput | null,
  mode: 'framework' | 'mcpkit',
): Tool<unknown, unknown> {
  // The calls the AI SDK asked approval for, by tool call id: only those count as approved
  // by it when it runs them. The AI SDK asks again (same id) before it runs an approved call,
  // so this holds across the two generateText calls of an approval round trip.
  const asked = new Set<string>()
  const approval = mode === 'framework' ? tool.approval : undefined
  return dynamicTool({
    description: tool.description,
    inputSchema: jsonSchema(tool.inputSchema as Parameters<typeof jsonSchema>[0]),
    ...(approval
      ? {
          needsApproval: async (input: unknown, { toolCallId }: { toolCallId: string }) => {
            const held = await approval.required(asArgs(input), { requestContext })
            if (held) asked.add(toolCallId)
            else asked.delete(toolCallId)
            return held
          },
        }
      : {}),
    execute: (input, { abortSignal, toolCallId }) => {
      const approvedBy = asked.delete(toolCallId) ? 'ai-sdk' : undefined
      return tool.execute(asArgs(input), {
        requestContext,
        ...(abortSignal ? { signal: abortSignal } : {}),
        ...(approvedBy ? { approvedBy } : {}),
      })
    },
    toModelOutput: ({ output }) => toModelOutput(output),
  })
}

function asArgs(input: unknown): Record<string, unknown> {
  return typeof input === 'object' && input !== null && !Array.isArray(input)
    ? (input as Record<string, unknown>)
    : {}
}
