import type { JsonSchema, ToolAnnotations } from '@mcpkit/types'
import type {
  ElicitRequestFormParams,
  ElicitResult,
  LoggingLevel,
  StandardSchemaV1,
  StandardSchemaWithJSON,
} from '@modelcontextprotocol/server'
import type { RequestExtra } from './request-extra.js'

/**
 * A tool's input or output schema: a zod object schema (zod 4.2+), any other Standard Schema
 * with JSON Schema conversion (ArkType, Valibot, …), a zod raw shape (`{ city: z.string() }`),
 * or a JSON Schema object with `type: 'object'`.
 */
export type ToolSchema = StandardSchemaV1 | JsonSchema

/** The second argument of a tool's `execute` when it runs for an MCP client. */
export interface MCPToolContext {
  /** Asks the calling client's user for input; the request goes to that session only. */
  elicitation: {
    sendRequest(
      request: Omit<ElicitRequestFormParams, 'mode'> & { mode?: 'form' },
    ): Promise<ElicitResult>
  }
  /** The MCP request: `authInfo`, `sessionId`, `signal`, `requestId`, `sendNotification`, `sendRequest`. */
  extra: RequestExtra
  /** Sends `notifications/message` to the calling session, honouring its `logging/setLevel`. */
  log(level: LoggingLevel, data: unknown): Promise<void>
  /** Sends `notifications/progress` when the caller asked for progress (sent a `progressToken`). */
  progress(progress: number, total?: number, message?: string): Promise<void>
}

/** What `execute` receives: the parsed output of the input schema, or the raw object. */
export type ToolInput<InputSchema> = InputSchema extends StandardSchemaV1
  ? StandardSchemaWithJSON.InferOutput<InputSchema>
  : Record<string, unknown>

/** A tool `MCPServer` can serve: what `createMCPTool` returns. */
export interface MCPServerTool<
  InputSchema extends ToolSchema = ToolSchema,
  OutputSchema extends ToolSchema | undefined = ToolSchema | undefined,
> {
  /** The name clients call it by. */
  id: string
  description: string
  /** A zod object schema (zod 4.2+), another Standard Schema, or a JSON Schema object. */
  inputSchema?: InputSchema
  outputSchema?: OutputSchema
  annotations?: ToolAnnotations
  /** Extra `_meta` to publish with the tool in `tools/list`. */
  _meta?: Record<string, unknown>
  execute(input: ToolInput<InputSchema>, context: MCPToolContext): unknown
}

/**
 * Defines a tool for `MCPServer`. The input is validated against `inputSchema` before `execute`
 * runs; with an `outputSchema`, what `execute` returns is validated and sent as
 * `structuredContent`.
 */
export function createMCPTool<
  InputSchema extends ToolSchema,
  OutputSchema extends ToolSchema | undefined = undefined,
>(tool: MCPServerTool<InputSchema, OutputSchema>): MCPServerTool<InputSchema, OutputSchema> {
  return tool
}
