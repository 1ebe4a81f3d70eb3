import type {
  AgentMessage,
  ModelProvider,
  ModelRequest,
  ModelTurn,
  ToolCallRequest,
} from './agent.js'

/** Options of `OpenAICompatibleProvider`. */
export interface OpenAICompatibleProviderOptions {
  apiKey: string
  /** Default `https://api.openai.com/v1`; any server speaking `/chat/completions` works. */
  baseUrl?: string
  /** Default `gpt-4o-mini`. */
  model?: string
  /** Milliseconds per model call. Default 60000. */
  timeout?: number
  fetch?: typeof fetch
}

/** The model server answered with an error, or something the provider could not read. */
export class ModelProviderError extends Error {
  readonly code = 'MODEL_ERROR'
}

interface ChatCompletionMessage {
  role: string
  content?: string | null
  tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[]
}

/**
 * A model behind an OpenAI-compatible `/chat/completions` endpoint (OpenAI, Azure OpenAI,
 * vLLM, Ollama, LM Studio, …), through plain `fetch` with function calling.
 */
export class OpenAICompatibleProvider implements ModelProvider {
  readonly name: string
  readonly #apiKey: string
  readonly #endpoint: string
  readonly #model: string
  readonly #timeout: number
  readonly #fetch: typeof fetch

  constructor(options: OpenAICompatibleProviderOptions) {
    if (!options.apiKey) throw new ModelProviderError('OpenAICompatibleProvider needs an apiKey.')
    this.#apiKey = options.apiKey
    this.#endpoint = `${(options.baseUrl ?? 'https://api.openai.com/v1').replace(/\/+$/, '')}/chat/completions`
    this.#model = options.model ?? 'gpt-4o-mini'
    this.#timeout = options.timeout ?? 60_000
    this.#fetch = options.fetch ?? fetch
    this.name = `openai:${this.#model}`
  }

  async generate(request: ModelRequest): Promise<ModelTurn> {
    const timeout = AbortSignal.timeout(this.#timeout)
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout
    const body = {
      model: this.#model,
      messages: request.messages.map(toWire),
      ...(request.tools.length > 0
        ? {
            tools: request.tools.map((tool) => ({
              type: 'function',
              function: {
                name: tool.name,
                description: tool.needsApproval
                  ? `${tool.description} (each call waits for the user's approval)`
                  : tool.description,
                parameters: tool.inputSchema,
              },
            })),
          }
        : {}),
    }
    let response: Response
    try {
      response = await this.#fetch(this.#endpoint, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.#apiKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
        signal,
      })
    } catch (error) {
      throw new ModelProviderError(
        `Could not reach the model at ${this.#endpoint}: ${error instanceof Error ? error.message : String(error)}. Check OPENAI_BASE_URL.`,
        { cause: error },
      )
    }
    const text = await response.text()
    if (!response.ok) {
      throw new ModelProviderError(
        `The model server answered HTTP ${response.status}: ${text.slice(0, 300)}. Check OPENAI_API_KEY and OPENAI_MODEL.`,
      )
    }
    let message: ChatCompletionMessage | undefined
    try {
      message = (JSON.parse(text) as { choices?: { message?: ChatCompletionMessage }[] })
        .choices?.[0]?.message
    } catch {
      throw new ModelProviderError(`The model server did not answer JSON: ${text.slice(0, 200)}`)
    }
    if (!message) throw new ModelProviderError('The model server answered without a message.')
    const calls: ToolCallRequest[] = (message.tool_calls ?? []).map((call) => ({
      id: call.id,
      tool: call.function.name,
      args: parseArguments(call.function.arguments),
    }))
    if (calls.length > 0) {
      return message.content
        ? { type: 'tool-calls', calls, text: message.content }
        : { type: 'tool-calls', calls }
    }
    return { type: 'text', text: message.content ?? '' }
  }
}

function toWire(message: AgentMessage): Record<string, unknown> {
  switch (message.role) {
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content === '' ? null : message.content,
        ...(message.toolCalls?.length
          ? {
              tool_calls: message.toolCalls.map((call) => ({
                id: call.id,
                type: 'function',
                function: { name: call.tool, arguments: JSON.stringify(call.args) },
              })),
            }
          : {}),
      }
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content }
    default:
      return { role: message.role, content: message.content }
  }
}

function parseArguments(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text || '{}')
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {}
  } catch {
    // The tool's input validation names what is missing; the model can retry.
    return {}
  }
}

/**
 * The provider the environment asks for: `OPENAI_API_KEY` (with optional `OPENAI_BASE_URL`,
 * `OPENAI_MODEL`) selects an OpenAI-compatible model, else `undefined` (use the rule-based one).
 */
export function providerFromEnvironment(
  environment: Record<string, string | undefined>,
): OpenAICompatibleProvider | undefined {
  const apiKey = environment.OPENAI_API_KEY
  if (!apiKey) return undefined
  const options: OpenAICompatibleProviderOptions = { apiKey }
  if (environment.OPENAI_BASE_URL) options.baseUrl = environment.OPENAI_BASE_URL
  if (environment.OPENAI_MODEL) options.model = environment.OPENAI_MODEL
  return new OpenAICompatibleProvider(options)
}
