import type { JsonSchema, ToolAnnotations } from '@mcpkit/types'
import type {
  LoggingLevel,
  StandardSchemaV1,
  StandardSchemaWithJSON,
} from '@modelcontextprotocol/server'
import type { ClientInput } from './client-input.js'
import type { RequestExtra } from './request-extra.js'

/**
 * A tool's input or output schema: a zod object schema (zod 4.2+), any other Standard Schema
 * with JSON Schema conversion (ArkType, Valibot, …), a zod raw shape (`{ city: z.string() }`),
 * or a JSON Schema object with `type: 'object'`.
 */
export type ToolSchema = StandardSchemaV1 | JsonSchema

/**
 * The second argument of a tool's `execute` when it runs for an MCP client.
 *
 * `elicitation.sendRequest`, `sampling.createMessage` and `roots.list` ask the calling client,
 * on both protocol eras (see `ClientInput`): on a 2026-07-28 request `execute` then runs again
 * for the same call, once per round of questions, so what it does before its last question
 * must be safe to repeat. `suspend` / `resumeData` are `@mastra/mcp` 2.x's spelling of a
 * question.
 */
export interface MCPToolContext<ResumeData = unknown> extends ClientInput {
  /** The MCP request: `authInfo`, `sessionId`, `signal`, `requestId`, `sendNotification`, `sendRequest`. */
  extra: RequestExtra
  /**
   * Sends `notifications/message` to the caller: on 2025 sessions honouring `logging/setLevel`,
   * on 2026-07-28 requests only when the request asked for logs (`logLevel` in its `_meta`).
   */
  log(level: LoggingLevel, data: unknown): Promise<void>
  /** Sends `notifications/progress` when the caller asked for progress (sent a `progressToken`). */
  progress(progress: number, total?: number, message?: string): Promise<void>
  /**
   * Asks the client to fill in the tool's `resumeSchema` form (`payload.message` is its
   * message), then ends this run: return after calling it. When the user accepts, `execute` runs
   * again for the same call with `resumeData` (the form's content, checked against
   * `resumeSchema`) and `suspendPayload` (`payload`); when the user declines or cancels, the
   * call ends with an `isError` result and `execute` does not run again. Works on both eras.
   */
  suspend(payload?: unknown): Promise<void>
  /** The answer to the `suspend()` of the previous run; `undefined` on a first run. */
  resumeData?: ResumeData | undefined
  /** What the previous run passed to `suspend()`. */
  suspendPayload?: unknown
}

/** What `execute` receives: the parsed output of the input schema, or the raw object. */
export type ToolInput<InputSchema> = InputSchema extends StandardSchemaV1
  ? StandardSchemaWithJSON.InferOutput<InputSchema>
  : Record<string, unknown>

/** A tool `MCPServer` can serve: what `createMCPTool` returns. */
export interface MCPServerTool<
  InputSchema extends ToolSchema = ToolSchema,
  OutputSchema extends ToolSchema | undefined = ToolSchema | undefined,
  ResumeSchema extends ToolSchema | undefined = ToolSchema | undefined,
> {
  /** The name clients call it by. */
  id: string
  description: string
  /** A zod object schema (zod 4.2+), another Standard Schema, or a JSON Schema object. */
  inputSchema?: InputSchema
  outputSchema?: OutputSchema
  annotations?: ToolAnnotations
  /**
   * The form `suspend()` asks the client to fill in (a flat object of strings, numbers,
   * booleans and enums, as elicitation allows); its answer reaches the next run as `resumeData`.
   * Without it `suspend()` asks an empty form, a plain confirmation.
   */
  resumeSchema?: ResumeSchema
  /** Extra `_meta` to publish with the tool in `tools/list`. */
  _meta?: Record<string, unknown>
  /**
   * Longest a call of this tool may run, in ms; overrides the server's `toolTimeoutMs`. Past
   * it the call is answered with an `isError` result and `extra.signal` aborts. `Infinity`
   * lets it run as long as it takes.
   */
  timeoutMs?: number
  execute(
    input: ToolInput<InputSchema>,
    context: MCPToolContext<ResumeSchema extends ToolSchema ? ToolInput<ResumeSchema> : unknown>,
  ): unknown
}

/**
 * Defines a tool for `MCPServer`. The input is validated against `inputSchema` before `execute`
 * runs; with an `outputSchema`, what `execute` returns is validated and sent as
 * `structuredContent`.
 */
export function createMCPTool<
  InputSchema extends ToolSchema,
  OutputSchema extends ToolSchema | undefined = undefined,
  ResumeSchema extends ToolSchema | undefined = undefined,
>(
  tool: MCPServerTool<InputSchema, OutputSchema, ResumeSchema>,
): MCPServerTool<InputSchema, OutputSchema, ResumeSchema> {
  return tool
}
