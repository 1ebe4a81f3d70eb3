import {
  canonicalJson,
  type JsonSchema,
  type Log,
  MCPClientError,
  type RequestContext,
  type RequestContextInput,
  type RequireToolApproval,
  type Tool,
  type ToolAnnotations,
  type ToolExecutionContext,
  toRequestContext,
} from '@mcpkit/types'
import type { Tool as ProtocolTool } from '@modelcontextprotocol/client'
import { z } from 'zod'
import { type ModelOutput, toModelOutput } from './model-output.js'
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
   * The tool's approval policy, for adapters that map it onto their framework's own approval
   * flow (`@mcpkit/ai-sdk` onto `needsApproval`): `policy` is the server definition's
   * `requireToolApproval`; `required(args, { requestContext })` evaluates it for one call
   * (nobody is asked). A plain-object `requestContext` is accepted.
   */
  readonly approval: ToolApprovalInfo
  /**
   * Mastra's per-call approval function (`needsApprovalFn`, authoritative over the agent's
   * `requireToolApproval`): Mastra suspends exactly the calls the policy holds, and a held
   * call Mastra then runs (after its approval) is not asked about again by mcpkit's handler.
   * A held call that reaches `execute` without Mastra having asked still waits for the
   * handler (or is denied without one).
   */
  readonly needsApprovalFn: (
    input: Record<string, unknown>,
    options?: { requestContext?: RequestContextInput | null | undefined },
  ) => Promise<boolean>
  /**
   * What the model reads of a result (Mastra's name): structured content as JSON, images and
   * audio as media parts, an error result as an error text. See `toModelOutput`.
   */
  readonly toModelOutput: (output: unknown) => ModelOutput
  /** The tool as the server listed it. */
  readonly definition: ProtocolTool
}

/** A tool's approval policy, as adapters read it (see `MCPTool.approval`). */
export interface ToolApprovalInfo {
  /** The server definition's `requireToolApproval`; `undefined` when no call is held. */
  readonly policy: RequireToolApproval | undefined
  /** Whether this call would wait for approval (policy only, nobody is asked). */
  required(
    input: Record<string, unknown>,
    options?: { requestContext?: RequestContextInput | null | undefined },
  ): Promise<boolean>
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
  /** Who a call with this context is made for (the approval principal); throws if unknown. */
  approvalPrincipal(requestContext: RequestContext | null): string
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
  const policy = options.requireApproval
  const unheld = policy === undefined || policy === false
  /**
   * The calls Mastra's approval flow asked about: built on the first one it holds (most tools
   * of most clients never have one), dropped again once every one was spent.
   */
  let tickets: FrameworkTickets | undefined
  const execute: MCPTool['execute'] = (input, context = {}) => {
    const args = input ?? {}
    if (context.approvedBy !== undefined || tickets === undefined) {
      return caller.callTool(tool, args, context)
    }
    const requestContext = toRequestContext(context.requestContext)
    const key = ticketKey(caller, args, requestContext)
    const approvedBy = key !== undefined && tickets.take(key) ? 'mastra' : undefined
    if (tickets.size === 0) tickets = undefined
    return caller.callTool(tool, args, { ...context, requestContext, approvedBy })
  }
  const tool: MCPTool = {
    id: options.id,
    name: definition.name,
    serverName,
    title: definition.title ?? definition.annotations?.title,
    description: definition.description ?? '',
    inputSchema,
    outputSchema: definition.outputSchema as JsonSchema | undefined,
    annotations: definition.annotations as ToolAnnotations | undefined,
    requireApproval: policy,
    // Without a policy no call is held: every such tool shares one pair of functions.
    approval: unheld
      ? unheldApproval(policy)
      : {
          policy,
          required: (input, requiredOptions) =>
            caller.needsApproval(
              tool,
              input ?? {},
              toRequestContext(requiredOptions?.requestContext),
            ),
        },
    needsApprovalFn: unheld
      ? neverHeld
      : async (input, approvalOptions) => {
          const requestContext = toRequestContext(approvalOptions?.requestContext)
          const held = await caller.needsApproval(tool, input ?? {}, requestContext)
          // Mastra suspends this call and runs it only once approved: remember that it asked.
          const key = held ? ticketKey(caller, input, requestContext) : undefined
          if (key !== undefined) {
            tickets ??= new FrameworkTickets()
            tickets.add(key)
          }
          return held
        },
    toModelOutput,
    definition,
  } satisfies Omit<MCPTool, 'inputZodSchema' | 'execute'> as MCPTool
  // One getter for every tool: a getter written in this literal would be a new function per
  // tool, which puts each tool's properties in a dictionary of its own (~0.8 KB a tool).
  // `execute` comes after it, as it did in the literal.
  zodSources.set(definition, { log: options.log, schema: undefined })
  Object.defineProperty(tool, 'inputZodSchema', inputZodSchemaProperty)
  tool.execute = execute
  return tool
}

/** `needsApprovalFn` of every tool whose server holds no call (`requireToolApproval` unset). */
const neverHeld = (): Promise<boolean> => Promise.resolve(false)

const UNHELD_APPROVAL = {
  unset: Object.freeze({ policy: undefined, required: neverHeld }),
  off: Object.freeze({ policy: false, required: neverHeld }),
} satisfies Record<string, ToolApprovalInfo>

function unheldApproval(policy: undefined | false): ToolApprovalInfo {
  return policy === false ? UNHELD_APPROVAL.off : UNHELD_APPROVAL.unset
}

/** Where a tool's log goes and its zod schema once built, by the tool's `definition`. */
interface ZodSource {
  readonly log: Log
  schema: z.ZodType | undefined
}

/**
 * By `definition`, which a copy of a tool (its property descriptors) or a proxy of it reaches
 * too. Each tool has its own `definition` object, parsed from its client's own list.
 */
const zodSources = new WeakMap<ProtocolTool, ZodSource>()

/** Every tool's `inputZodSchema`: the property a getter in an object literal makes. */
const inputZodSchemaProperty = Object.getOwnPropertyDescriptor(
  {
    get inputZodSchema(): z.ZodType {
      return zodSchemaOf(this as unknown as MCPTool)
    },
  },
  'inputZodSchema',
) as PropertyDescriptor

/** `inputSchema` as a zod schema, built on first use. */
function zodSchemaOf(tool: MCPTool): z.ZodType {
  const { definition } = tool
  const inputSchema = definition.inputSchema as JsonSchema
  const source = zodSources.get(definition)
  // Only a copy whose `definition` was replaced has none: built for it, and not kept.
  if (!source) return toZod(inputSchema, definition.name, () => {})
  source.schema ??= toZod(inputSchema, definition.name, source.log)
  return source.schema
}

/** The call a Mastra approval is for: its principal and its arguments; `undefined` if unknown. */
function ticketKey(
  caller: ToolCaller,
  input: Record<string, unknown>,
  requestContext: RequestContext | null,
): string | undefined {
  try {
    return `${caller.approvalPrincipal(requestContext)}\u0000${canonicalJson(input ?? {})}`
  } catch {
    return undefined
  }
}

/** How long Mastra's question about a call counts as asked: the default approval timeout. */
const TICKET_TTL_MS = 300_000
/** At most this many calls asked about and not yet run are remembered per tool. */
const MAX_TICKETS = 1_000

/**
 * The held calls Mastra's approval flow asked about (through `needsApprovalFn`) and has not
 * run yet, by principal and arguments. Each is spent by one `execute`, and forgotten after
 * `TICKET_TTL_MS`.
 */
class FrameworkTickets {
  readonly #expiries = new Map<string, number[]>()

  get size(): number {
    return this.#expiries.size
  }

  add(key: string): void {
    const now = Date.now()
    if (this.#expiries.size >= MAX_TICKETS) this.#prune(now)
    if (this.#expiries.size >= MAX_TICKETS) return
    const list = this.#expiries.get(key) ?? []
    list.push(now + TICKET_TTL_MS)
    this.#expiries.set(key, list)
  }

  take(key: string): boolean {
    const now = Date.now()
    const list = this.#expiries.get(key)
    if (!list) return false
    while (list.length > 0 && list[0]! <= now) list.shift()
    const found = list.shift() !== undefined
    if (list.length === 0) this.#expiries.delete(key)
    return found
  }

  #prune(now: number): void {
    for (const [key, list] of this.#expiries) {
      const live = list.filter((expiry) => expiry > now)
      if (live.length === 0) this.#expiries.delete(key)
      else this.#expiries.set(key, live)
    }
  }
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
