import type { JsonSchema, MCPAgent, MCPWorkflow } from '@mcpkit/types'
import { MCPServerError } from '@mcpkit/types'
import {
  type CallToolResult,
  type Tool as ProtocolTool,
  specTypeSchemas,
} from '@modelcontextprotocol/server'
import { z } from 'zod'
import type { ResumeForm } from './input-rounds.js'
import type { MCPServerTool, MCPToolContext, ToolSchema } from './server-tool.js'
import { compileSchema } from './tool-schemas.js'

const EMPTY_INPUT: JsonSchema = { type: 'object', properties: {} }

/** What the server knows of one tool, prepared once at construction. */
export interface ToolEntry {
  readonly name: string
  readonly kind: 'tool' | 'agent' | 'workflow'
  /** Exactly what `tools/list` publishes. */
  readonly definition: ProtocolTool
  /** The form `suspend()` asks, from the tool's `resumeSchema`. */
  readonly resumeForm: ResumeForm | undefined
  /** The tool's own `timeoutMs`, overriding the server's `toolTimeoutMs`. */
  readonly timeoutMs: number | undefined
  /** The parsed input, or a message naming the fields that failed. */
  checkInput(input: unknown): Promise<{ data: unknown } | { error: string }>
  /** Runs the tool and shapes what it returned into a `CallToolResult`. */
  run(input: unknown, context: MCPToolContext): Promise<CallToolResult>
}

/** Builds the entry of a tool given in `tools`. */
export function toolEntry(name: string, tool: MCPServerTool): ToolEntry {
  const where = `Tool "${name}"`
  if (typeof tool?.execute !== 'function') {
    throw new MCPServerError('INVALID_CONFIGURATION', `${where} has no execute function.`)
  }
  const input = compileSchema(tool.inputSchema, 'input', where)
  const output = compileSchema(tool.outputSchema, 'output', where)
  const resume = compileSchema(tool.resumeSchema, 'input', `${where} (resumeSchema)`)
  if (resume) checkForm(resume.jsonSchema, where)
  const timeoutMs = tool.timeoutMs
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs > 0)) {
    throw new MCPServerError(
      'INVALID_CONFIGURATION',
      `${where}: \`timeoutMs\` must be a positive number of milliseconds (or Infinity).`,
    )
  }
  const definition: ProtocolTool = {
    name,
    description: tool.description ?? '',
    inputSchema: (input?.jsonSchema ?? EMPTY_INPUT) as ProtocolTool['inputSchema'],
  }
  if (output) definition.outputSchema = output.jsonSchema as ProtocolTool['outputSchema']
  if (tool.annotations) definition.annotations = tool.annotations
  if (tool._meta) definition._meta = tool._meta
  return {
    name,
    kind: 'tool',
    definition,
    timeoutMs,
    resumeForm: resume
      ? { requestedSchema: resume.jsonSchema as Record<string, unknown>, validate: resume.validate }
      : undefined,
    checkInput: input ? input.validate : async (value) => ({ data: value ?? {} }),
    async run(value, context) {
      const returned = await tool.execute(value as never, context)
      if (!output) return toResult(returned)
      if (isCallToolResult(returned)) return returned
      const checked = await output.validate(returned)
      if ('error' in checked) {
        throw new Error(
          `${where} returned output that does not match its outputSchema: ${checked.error}`,
        )
      }
      return {
        content: [{ type: 'text', text: JSON.stringify(checked.data) }],
        structuredContent: checked.data as Record<string, unknown>,
      }
    },
  }
}

/** A `resumeSchema` must be a form a client can show: flat, of primitives, as elicitation says. */
function checkForm(jsonSchema: JsonSchema, where: string): void {
  const checked = specTypeSchemas.ElicitRequestFormParams['~standard'].validate({
    message: 'resume',
    requestedSchema: jsonSchema,
  })
  if (checked instanceof Promise || checked.issues) {
    throw new MCPServerError(
      'INVALID_CONFIGURATION',
      `${where}: the resumeSchema cannot be asked as a form: it must be an object whose properties are strings, numbers, booleans or enums.`,
    )
  }
}

const agentInput = z.object({
  message: z.string().describe('The question or request for the agent'),
})

/** `ask_<key>`: sends `{ message }` to the agent's `generate` and returns its text. */
export function agentEntry(key: string, agent: MCPAgent): ToolEntry {
  const name = `ask_${key}`
  const description = describe(agent)
  if (!description) {
    throw new MCPServerError(
      'INVALID_CONFIGURATION',
      `Agent "${key}" needs a non-empty description to be exposed as tool "${name}": it tells clients when to ask this agent.`,
    )
  }
  if (typeof agent.generate !== 'function') {
    throw new MCPServerError('INVALID_CONFIGURATION', `Agent "${key}" has no generate() method.`)
  }
  const entry = toolEntry(name, {
    id: name,
    description: `Ask agent "${agent.name ?? key}" a question. Agent description: ${description}`,
    inputSchema: agentInput,
    async execute({ message }, { extra }) {
      const result = await agent.generate(message, { abortSignal: extra.signal })
      const text =
        typeof result === 'string'
          ? result
          : String((result as { text?: unknown })?.text ?? JSON.stringify(toJson(result)))
      return { content: [{ type: 'text', text }], structuredContent: asObject(toJson(result)) }
    },
  })
  return { ...entry, kind: 'agent' }
}

/** `run_<key>`: starts a run with the input and returns its result. */
export function workflowEntry(key: string, workflow: MCPWorkflow): ToolEntry {
  const name = `run_${key}`
  if (typeof workflow.description !== 'string' || workflow.description.trim() === '') {
    throw new MCPServerError(
      'INVALID_CONFIGURATION',
      `Workflow "${key}" needs a non-empty description to be exposed as tool "${name}".`,
    )
  }
  if (typeof workflow.createRun !== 'function') {
    throw new MCPServerError(
      'INVALID_CONFIGURATION',
      `Workflow "${key}" has no createRun() method.`,
    )
  }
  const entry = toolEntry(name, {
    id: name,
    description: `Run workflow "${workflow.name ?? workflow.id ?? key}". Workflow description: ${workflow.description}`,
    inputSchema: (workflow.inputSchema ?? z.object({}).passthrough()) as ToolSchema,
    async execute(inputData) {
      const run = await workflow.createRun()
      const result = toJson(await run.start({ inputData }))
      const failed = (result as { status?: unknown })?.status === 'failed'
      return {
        content: [{ type: 'text', text: JSON.stringify(result) }],
        structuredContent: asObject(result),
        ...(failed ? { isError: true } : {}),
      }
    },
  })
  return { ...entry, kind: 'workflow' }
}

function describe(agent: MCPAgent): string | undefined {
  const description =
    typeof agent.description === 'string' ? agent.description : agent.getDescription?.()
  return typeof description === 'string' && description.trim() !== '' ? description : undefined
}

function isCallToolResult(value: unknown): value is CallToolResult {
  return (
    typeof value === 'object' && value !== null && Array.isArray((value as CallToolResult).content)
  )
}

/** What a tool returned, as a `CallToolResult`. */
export function toResult(value: unknown): CallToolResult {
  if (isCallToolResult(value)) return value
  if (value === undefined) return { content: [] }
  if (typeof value === 'string') return { content: [{ type: 'text', text: value }] }
  return { content: [{ type: 'text', text: JSON.stringify(toJson(value)) }] }
}

/**
 * A JSON-safe copy: functions dropped, bigints as strings, a reference back to an enclosing
 * object (a cycle) as `"[Circular]"`. An object referenced twice without a cycle is copied
 * twice, as `JSON.stringify` would: it is not a cycle.
 */
function toJson(value: unknown): unknown {
  const ancestors: object[] = []
  const text = JSON.stringify(value, function (this: unknown, _key, item: unknown) {
    if (typeof item === 'bigint') return item.toString()
    if (typeof item === 'function' || typeof item === 'symbol') return undefined
    if (typeof item === 'object' && item !== null) {
      // `this` is the object holding `item`: everything deeper in the stack was left behind.
      while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop()
      if (ancestors.includes(item)) return '[Circular]'
      ancestors.push(item)
    }
    return item
  })
  return text === undefined ? null : JSON.parse(text)
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : { result: value }
}
