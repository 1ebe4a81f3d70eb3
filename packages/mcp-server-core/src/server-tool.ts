import type { JsonSchema, ToolAnnotations } from '@mcpkit/types'
import type { AnySchema, SchemaOutput } from '@modelcontextprotocol/sdk/server/zod-compat.js'
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js'
import type {
  ElicitRequestFormParams,
  ElicitResult,
  LoggingLevel,
  ServerNotification,
  ServerRequest,
} from '@modelcontextprotocol/sdk/types.js'

/** What the SDK hands a request handler: `authInfo`, `sessionId`, `signal`, `sendNotification`, `sendRequest`, … */
export type RequestExtra = RequestHandlerExtra<ServerRequest, ServerNotification>

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

/** A tool `MCPServer` can serve: what `createMCPTool` returns. */
export interface MCPServerTool<
  InputSchema extends AnySchema = AnySchema,
  OutputSchema extends AnySchema | undefined = AnySchema | undefined,
> {
  /** The name clients call it by. */
  id: string
  description: string
  /** A zod object schema (zod 3.25+ or 4), or a JSON Schema object for hand-written schemas. */
  inputSchema?: InputSchema | JsonSchema
  outputSchema?: OutputSchema | JsonSchema
  annotations?: ToolAnnotations
  /** Extra `_meta` to publish with the tool in `tools/list`. */
  _meta?: Record<string, unknown>
  execute(
    input: InputSchema extends AnySchema ? SchemaOutput<InputSchema> : Record<string, unknown>,
    context: MCPToolContext,
  ): unknown
}

/**
 * Defines a tool for `MCPServer`. The input is validated against `inputSchema` before `execute`
 * runs; with an `outputSchema`, what `execute` returns is validated and sent as
 * `structuredContent`.
 */
export function createMCPTool<
  InputSchema extends AnySchema,
  OutputSchema extends AnySchema | undefined = undefined,
>(tool: MCPServerTool<InputSchema, OutputSchema>): MCPServerTool<InputSchema, OutputSchema> {
  return tool
}
