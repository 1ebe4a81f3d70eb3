import {
  type JsonSchema,
  type Log,
  MCPClientError,
  type RequestContext,
  type RequireToolApproval,
  type Tool,
  type ToolAnnotations,
  type ToolExecutionContext,
} from '@mcpkit/types'
import type { Tool as ProtocolTool } from '@modelcontextprotocol/client'
import { z } from 'zod'
import { withoutPatterns } from './safe-pattern.js'

/** A tool of an MCP server, ready for an agent. Plain object: safe to spread or destructure. */
export interface MCPTool<Input = Record<string, unknown>, Output = unknown>
  extends Tool<Input, Output> {
  /** `<server>_<tool>`, sanitised for model APIs (see `toolId`). */
  readonly id: string
  /** The tool's name on its server. */
  readonly name: string
  /** The server it belongs to (its key in `servers`). */
  readonly serverName: string
  readonly title: string | undefined
  readonly inputSchema: JsonSchema
  /** `inputSchema` as a zod schema, built on first access. */
  readonly inputZodSchema: z.ZodType
  /** From the server definition's `requireToolApproval`; `undefined` when not set. */
  readonly requireApproval: RequireToolApproval | undefined
  /**
   * Whether this call would wait for approval, in the AI SDK's shape, for agent frameworks
   * that show their own approval UI. Informational: `execute` enforces approval either way.
   */
  readonly needsApproval: (
    input: Record<string, unknown>,
    options?: { requestContext?: RequestContext | null | undefined },
  ) => Promise<boolean>
  /** The tool as the server listed it. */
  readonly definition: ProtocolTool
}

/** Runs a tool's calls: the server connection it belongs to. */
export interface ToolCaller {
  /** Validates, checks, approves, sends and maps one call (see `tool-call.ts`). */
  callTool(
    tool: MCPTool,
    input: Record<string, unknown>,
    context: ToolExecutionContext,
  ): Promise<unknown>
  needsApproval(
    tool: MCPTool,
    input: Record<string, unknown>,
    requestContext: RequestContext | null,
  ): Promise<boolean>
}

export interface BuildToolOptions {
  id: string
  serverName: string
  definition: ProtocolTool
  requireApproval: RequireToolApproval | undefined
  caller: ToolCaller
  /** Where a schema zod cannot express is reported. */
  log: Log
}

export function buildTool(options: BuildToolOptions): MCPTool {
  const { definition, caller, serverName } = options
  const inputSchema = definition.inputSchema as JsonSchema
  let zodSchema: z.ZodType | undefined
  const tool: MCPTool = {
    id: options.id,
    name: definition.name,
    serverName,
    title: definition.title ?? definition.annotations?.title,
    description: definition.description ?? '',
    inputSchema,
    outputSchema: definition.outputSchema as JsonSchema | undefined,
    annotations: definition.annotations as ToolAnnotations | undefined,
    requireApproval: options.requireApproval,
    needsApproval: (input, approvalOptions) =>
      caller.needsApproval(tool, input ?? {}, approvalOptions?.requestContext ?? null),
    definition,
    get inputZodSchema() {
      zodSchema ??= toZod(inputSchema, definition.name, options.log)
      return zodSchema
    },
    execute(input, context = {}) {
      return caller.callTool(tool, input ?? {}, context)
    },
  }
  return tool
}

/**
 * `schema` as zod, built with the app's own zod (a peer dependency, so frameworks that take
 * zod schemas get one they recognise). Needs zod 4.2 or later, which has `z.fromJSONSchema`:
 * an older zod is an error, never a silent fallback.
 */
function toZod(schema: JsonSchema, toolName: string, log: Log): z.ZodType {
  if (typeof z.fromJSONSchema !== 'function') {
    throw new MCPClientError(
      'INVALID_CONFIGURATION',
      `inputZodSchema of tool "${toolName}" needs zod 4.2 or later (z.fromJSONSchema); install zod@^4.2.0.`,
    )
  }
  try {
    // zod would compile the server's patterns with `RegExp` (a backtracking engine, open to
    // ReDoS); `execute` checks them in linear time instead.
    return z.fromJSONSchema(withoutPatterns(schema) as Parameters<typeof z.fromJSONSchema>[0])
  } catch (error) {
    // A schema zod cannot express: accept any object; `execute` still validates the JSON Schema.
    log(
      'warning',
      `tool "${toolName}": its input schema cannot be expressed in zod (${error instanceof Error ? error.message : String(error)}); inputZodSchema accepts any object`,
    )
    return z.record(z.string(), z.unknown())
  }
}
