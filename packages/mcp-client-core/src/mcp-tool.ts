import {
  type JsonSchema,
  type RequestContext,
  type RequireToolApproval,
  type Tool,
  type ToolAnnotations,
  type ToolExecutionContext,
  ToolInputValidationError,
} from '@mcpkit/types'
import type { Tool as ProtocolTool } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import type { InputCheck } from './input-validator.js'

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

export interface ToolCaller {
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
  /** Compiles the input schema on the first `execute`. */
  inputCheck: (schema: JsonSchema) => InputCheck
}

export function buildTool(options: BuildToolOptions): MCPTool {
  const { definition, caller, serverName } = options
  const inputSchema = definition.inputSchema as JsonSchema
  let check: InputCheck | undefined
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
      zodSchema ??= toZod(inputSchema)
      return zodSchema
    },
    execute(input, context = {}) {
      const args = input ?? {}
      check ??= options.inputCheck(inputSchema)
      const issues = check(args)
      if (issues.length > 0) {
        return Promise.reject(
          new ToolInputValidationError({ toolName: definition.name, serverName, issues }),
        )
      }
      return caller.callTool(tool, args, context)
    },
  }
  return tool
}

function toZod(schema: JsonSchema): z.ZodType {
  try {
    return z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0])
  } catch {
    // A schema zod cannot express: accept any object and let JSON Schema validation decide.
    return z.record(z.string(), z.unknown())
  }
}
