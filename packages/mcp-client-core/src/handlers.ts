import type { ElicitRequestFormParams, ElicitResult } from '@modelcontextprotocol/client'

/** A progress notification as `progress.onUpdate` handlers receive it. */
export interface ProgressUpdate {
  progressToken: string
  progress: number
  total?: number
  message?: string
}

/**
 * Answers a server's `elicitation/create` request. Form mode only: that is what the client
 * announces, and URL-mode requests are declined before they reach a handler.
 */
export type ElicitationHandler = (
  request: ElicitRequestFormParams,
) => ElicitResult | Promise<ElicitResult>

/** Handlers registered on `MCPClient` for one server; they outlive reconnects. */
export interface ServerHandlers {
  readonly resourceUpdated: Set<(params: { uri: string }) => void>
  readonly resourceListChanged: Set<() => void>
  readonly promptListChanged: Set<() => void>
  readonly progress: Set<(update: ProgressUpdate) => void>
  elicitation: ElicitationHandler | undefined
}

export function createServerHandlers(): ServerHandlers {
  return {
    resourceUpdated: new Set(),
    resourceListChanged: new Set(),
    promptListChanged: new Set(),
    progress: new Set(),
    elicitation: undefined,
  }
}

/** Forgets every handler (on `disconnect()`). */
export function clearServerHandlers(handlers: ServerHandlers): void {
  handlers.resourceUpdated.clear()
  handlers.resourceListChanged.clear()
  handlers.promptListChanged.clear()
  handlers.progress.clear()
  handlers.elicitation = undefined
}
