/**
 * What `MCPServer` needs of an agent to expose it as `ask_<key>`. A Mastra `Agent` satisfies it;
 * so does any object with a non-empty `description` and a `generate` method.
 */
export interface MCPAgent {
  /** Shown in the tool description. */
  name?: string
  /** Required and non-empty: it tells clients when to ask this agent. */
  description?: string
  /** Mastra-style accessor, used when `description` is not a plain property. */
  getDescription?: () => string
  /** Answers one message; the result's `text` (when present) becomes the tool's text output. */
  generate(message: string, options?: Record<string, unknown>): Promise<unknown>
}

/** One run of a workflow, as `MCPWorkflow.createRun` returns it. */
export interface MCPWorkflowRun {
  start(options: { inputData: unknown }): Promise<unknown>
}

/**
 * What `MCPServer` needs of a workflow to expose it as `run_<key>`. A Mastra `Workflow`
 * satisfies it.
 */
export interface MCPWorkflow {
  id?: string
  name?: string
  /** Required and non-empty. */
  description?: string
  /** A zod schema of the workflow's input; the tool's input schema. */
  inputSchema?: unknown
  createRun(options?: Record<string, unknown>): MCPWorkflowRun | Promise<MCPWorkflowRun>
}
