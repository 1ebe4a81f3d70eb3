import type { Root } from '@mcpkit/types'
import type {
  CreateMessageRequestParams,
  CreateMessageResult,
  CreateMessageResultWithTools,
  ElicitRequestFormParams,
  ElicitResult,
} from '@modelcontextprotocol/client'

/** A progress notification as `progress.onUpdate` handlers receive it. */
export interface ProgressUpdate {
  progressToken: string
  progress: number
  total?: number
  message?: string
}

/**
 * Answers a server's request for user input (`elicitation/create`, or an elicitation embedded
 * in a 2026-07-28 `input_required` result). Form mode only: that is what the client announces,
 * and URL-mode requests are declined before they reach a handler. Fields the handler leaves out
 * of an accepted answer are filled with the schema's defaults (SEP-1034).
 */
export type ElicitationHandler = (
  request: ElicitRequestFormParams,
) => ElicitResult | Promise<ElicitResult>

/**
 * Answers a server's request for an LLM completion (`sampling/createMessage`, or one embedded
 * in an `input_required` result): run `request.messages` through your model and return
 * `{ model, role: 'assistant', content }`. Deprecated by the 2026-07-28 revision (SEP-2577) but
 * still part of both eras.
 */
export type SamplingHandler = (
  request: CreateMessageRequestParams,
) =>
  | CreateMessageResult
  | CreateMessageResultWithTools
  | Promise<CreateMessageResult | CreateMessageResultWithTools>

/** Handlers registered on `MCPClient` for one server; they outlive reconnects. */
export interface ServerHandlers {
  readonly resourceUpdated: Set<(params: { uri: string }) => void>
  readonly resourceListChanged: Set<() => void>
  readonly promptListChanged: Set<() => void>
  readonly toolListChanged: Set<() => void>
  readonly progress: Set<(update: ProgressUpdate) => void>
  elicitation: ElicitationHandler | undefined
  sampling: SamplingHandler | undefined
  /** The roots offered to the server; `undefined` until set (then `roots` is announced). */
  roots: readonly Root[] | undefined
}

export function createServerHandlers(roots: readonly Root[] | undefined): ServerHandlers {
  return {
    resourceUpdated: new Set(),
    resourceListChanged: new Set(),
    promptListChanged: new Set(),
    toolListChanged: new Set(),
    progress: new Set(),
    elicitation: undefined,
    sampling: undefined,
    roots,
  }
}

/** Forgets every handler (on `disconnect()`). */
export function clearServerHandlers(handlers: ServerHandlers): void {
  handlers.resourceUpdated.clear()
  handlers.resourceListChanged.clear()
  handlers.promptListChanged.clear()
  handlers.toolListChanged.clear()
  handlers.progress.clear()
  handlers.elicitation = undefined
  handlers.sampling = undefined
}
