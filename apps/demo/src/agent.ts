import type { JsonSchema } from '@mcpkit/types'

/** A tool as the model sees it: name, what it does, what it takes. */
export interface ToolDescription {
  /** The id the model calls it by (`<server>_<tool>`). */
  name: string
  description: string
  inputSchema: JsonSchema
  /** Whether a human must approve each call; models may mention it before calling. */
  needsApproval: boolean
}

/** A tool call the model asked for. */
export interface ToolCallRequest {
  /** Correlates the call with its result message (OpenAI's `tool_call_id`). */
  id: string
  tool: string
  args: Record<string, unknown>
}

/** How a human settled (or did not settle) an approval request. */
export interface ApprovalRecord {
  requestId: string
  outcome: 'approved' | 'denied' | 'expired'
  reason?: string
  by?: string
}

/** What running a tool gave: its result, or an error the model can read. */
export type ToolOutcome =
  | { ok: true; result: unknown; approval?: ApprovalRecord }
  | { ok: false; error: string; approval?: ApprovalRecord }

/** One message of the conversation the agent loop builds. */
export type AgentMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCallRequest[] }
  | { role: 'tool'; toolCallId: string; tool: string; content: string; outcome: ToolOutcome }

/** What the model answers in one step: a final text, or tools to run first. */
export type ModelTurn =
  | { type: 'text'; text: string }
  | { type: 'tool-calls'; calls: ToolCallRequest[]; text?: string }

/** What a provider receives for one step. */
export interface ModelRequest {
  messages: readonly AgentMessage[]
  tools: readonly ToolDescription[]
  signal?: AbortSignal | undefined
}

/**
 * A language model behind the agent loop: given the conversation and the tools, it answers
 * text or asks for tool calls. The demo ships a deterministic rule-based one and an
 * OpenAI-compatible one.
 */
export interface ModelProvider {
  /** Shown in the page and the logs, e.g. `rule-based` or `openai:gpt-4o-mini`. */
  readonly name: string
  generate(request: ModelRequest): Promise<ModelTurn>
}

/** A tool the agent loop can run. */
export interface AgentTool {
  description: ToolDescription
  run(args: Record<string, unknown>, signal: AbortSignal | undefined): Promise<ToolOutcome>
}

/** One tool call as the API reports it. */
export interface ToolCallReport {
  tool: string
  args: Record<string, unknown>
  result?: unknown
  error?: string
  approval?: ApprovalRecord
  durationMs: number
}

/** What one chat request answers. */
export interface AgentReply {
  reply: string
  toolCalls: ToolCallReport[]
}

/** Options of `runAgent`. */
export interface RunAgentOptions {
  provider: ModelProvider
  message: string
  tools: Record<string, AgentTool>
  /**
   * Servers whose tools could not be listed, with the reason. A call to one of their tools
   * gets this reason as its error, so the model can tell the user.
   */
  unavailableServers?: Record<string, string>
  systemPrompt?: string
  /** Model steps before the loop gives up. Default 6. */
  maxSteps?: number
  signal?: AbortSignal | undefined
}

const DEFAULT_SYSTEM_PROMPT =
  "You are the assistant of the mcpkit demo. You manage the user's notes and can tell the time and calculate. Use the tools; never invent note ids. Deleting a note needs the user's approval, which they give in the page; if a call is denied, say so."

/**
 * The agent loop: ask the model, run the tools it asks for, feed the results back, until it
 * answers text. Tool failures become tool results the model reads; they never end the request.
 */
export async function runAgent(options: RunAgentOptions): Promise<AgentReply> {
  const { provider, tools, signal } = options
  const maxSteps = options.maxSteps ?? 6
  const unavailable = options.unavailableServers ?? {}
  const descriptions = Object.values(tools).map((tool) => tool.description)
  const messages: AgentMessage[] = [
    { role: 'system', content: options.systemPrompt ?? DEFAULT_SYSTEM_PROMPT },
    { role: 'user', content: options.message },
  ]
  const toolCalls: ToolCallReport[] = []

  for (let step = 0; step < maxSteps; step++) {
    signal?.throwIfAborted()
    const turn = await provider.generate({ messages, tools: descriptions, signal })
    if (turn.type === 'text') return { reply: turn.text, toolCalls }
    messages.push({ role: 'assistant', content: turn.text ?? '', toolCalls: turn.calls })
    // Sequential on purpose: a model that asks for "add then list" expects that order.
    for (const call of turn.calls) {
      const started = performance.now()
      const outcome = await runOne(call, tools, unavailable, signal)
      const report: ToolCallReport = {
        tool: call.tool,
        args: call.args,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
      }
      if (outcome.ok) report.result = outcome.result
      else report.error = outcome.error
      if (outcome.approval) report.approval = outcome.approval
      toolCalls.push(report)
      messages.push({
        role: 'tool',
        toolCallId: call.id,
        tool: call.tool,
        content: outcome.ok
          ? JSON.stringify(outcome.result)
          : JSON.stringify({ error: outcome.error, approval: outcome.approval }),
        outcome,
      })
    }
  }
  return {
    reply: `I stopped after ${maxSteps} steps without a final answer; try a simpler request.`,
    toolCalls,
  }
}

async function runOne(
  call: ToolCallRequest,
  tools: Record<string, AgentTool>,
  unavailable: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<ToolOutcome> {
  const tool = tools[call.tool]
  if (tool) {
    try {
      return await tool.run(call.args, signal)
    } catch (error) {
      return { ok: false, error: describeError(error) }
    }
  }
  const server = Object.keys(unavailable).find((name) => call.tool.startsWith(`${name}_`))
  if (server !== undefined) {
    return {
      ok: false,
      error: `The ${server} server is unavailable, so ${call.tool} could not run: ${unavailable[server]}`,
    }
  }
  const known = Object.keys(tools).join(', ') || 'none'
  return { ok: false, error: `There is no tool "${call.tool}". Available tools: ${known}.` }
}

/** An error's message, with the error's code when it has one. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message
  }
  return String(error)
}
