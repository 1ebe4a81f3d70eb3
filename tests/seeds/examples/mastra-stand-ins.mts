/**
 * Structural stand-ins for the parts of Mastra's agent runtime (`@mastra/core`) the seeds'
 * examples use around their MCP code. No model is called: `generate`/`stream` run the tools they
 * were given that need nothing but a `message` (or nothing at all), the way an agent would pick
 * a tool, so an example's point — which tools, with which credentials and request context —
 * is exercised for real against the test's servers.
 */
import type { MCPAgent, RequestContext } from '@mcpkit/mcp'

/** What the stand-in agent can call: any tool with a JSON Schema and `execute`. */
interface CallableTool {
  inputSchema?: unknown
  execute?: (input: never, context?: { requestContext?: RequestContext | null }) => unknown
}

type Tools = Record<string, CallableTool>

export interface AgentConfig {
  id?: string
  name?: string
  description?: string
  instructions?: string
  model?: unknown
  tools?: Tools
}

export interface GenerateOptions {
  toolsets?: Record<string, Tools>
  requestContext?: RequestContext
}

/** What the stand-in returns: the results of the tools it called, by tool key. */
export interface GenerateResult {
  text: string
  toolResults: Record<string, unknown>
}

function requiredOf(tool: CallableTool): string[] {
  const schema = tool.inputSchema as { required?: unknown } | undefined
  return Array.isArray(schema?.required) ? (schema.required as string[]) : []
}

/** Stand-in for `@mastra/core/agent`'s `Agent`. */
export class Agent implements MCPAgent {
  readonly name: string
  readonly description: string
  readonly #tools: Tools

  constructor(config: AgentConfig) {
    this.name = config.name ?? config.id ?? 'agent'
    this.description = config.description ?? ''
    this.#tools = config.tools ?? {}
  }

  /** Calls every tool (own and `toolsets`) whose only required input is `message`, or none. */
  async generate(prompt: string, options: GenerateOptions = {}): Promise<GenerateResult> {
    const tools: Tools = { ...this.#tools }
    for (const [server, toolset] of Object.entries(options.toolsets ?? {})) {
      for (const [name, tool] of Object.entries(toolset)) tools[`${server}.${name}`] = tool
    }
    const toolResults: Record<string, unknown> = {}
    for (const [key, tool] of Object.entries(tools)) {
      const required = requiredOf(tool)
      if (!tool.execute || !required.every((field) => field === 'message')) continue
      const input = (required.includes('message') ? { message: prompt } : {}) as never
      toolResults[key] = await tool.execute(input, {
        requestContext: options.requestContext ?? null,
      })
    }
    return { text: `called ${Object.keys(toolResults).join(', ')}`, toolResults }
  }

  /** Like `generate`; Mastra's `stream` returns a stream, the stand-in the finished result. */
  stream(prompt: string, options: GenerateOptions = {}): Promise<GenerateResult> {
    return this.generate(prompt, options)
  }
}

/** Stand-in for `@ai-sdk/openai`'s `openai(model)`: just the model id. */
export function openai(model: string): string {
  return `openai/${model}`
}

/** Stand-in for a workflow (`createWorkflow(...).commit()`): what `MCPServer` needs of one. */
export function workflow(config: { id: string; description: string; inputSchema: unknown }) {
  return {
    ...config,
    createRun: async () => ({
      start: async ({ inputData }: { inputData: unknown }) => ({
        status: 'success',
        result: { processed: inputData },
      }),
    }),
  }
}

/** Stand-in for the app's `mastra` instance (`new Mastra({ agents })`). */
export const mastra = {
  getAgent(name: string): Agent {
    return new Agent({ id: name, name, description: `${name} (stand-in)` })
  },
}
