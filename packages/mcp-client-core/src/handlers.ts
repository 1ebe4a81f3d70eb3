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

/** The notification handlers `MCPClient` keeps per server, by kind. */
export interface NotificationHandlers {
  resourceUpdated: (params: { uri: string }) => void
  resourceListChanged: () => void
  promptListChanged: () => void
  toolListChanged: () => void
  progress: (update: ProgressUpdate) => void
}

export type NotificationKind = keyof NotificationHandlers

/**
 * The kinds whose notifications a connection routes only once a handler of the kind exists
 * (`routeNotifications` in `sdk-client.ts`); tool-list changes and progress are always routed.
 */
export type OnDemandKind = Extract<
  NotificationKind,
  'resourceUpdated' | 'resourceListChanged' | 'promptListChanged'
>

/**
 * Handlers registered on `MCPClient` for one server; they outlive reconnects. A kind's set of
 * notification handlers is made when its first handler is added (see `handlerSet`).
 */
export interface ServerHandlers {
  resourceUpdated: Set<NotificationHandlers['resourceUpdated']> | undefined
  resourceListChanged: Set<NotificationHandlers['resourceListChanged']> | undefined
  promptListChanged: Set<NotificationHandlers['promptListChanged']> | undefined
  toolListChanged: Set<NotificationHandlers['toolListChanged']> | undefined
  progress: Set<NotificationHandlers['progress']> | undefined
  elicitation: ElicitationHandler | undefined
  sampling: SamplingHandler | undefined
  /** The roots offered to the server; `undefined` until set (then `roots` is announced). */
  roots: readonly Root[] | undefined
}

export function createServerHandlers(roots: readonly Root[] | undefined): ServerHandlers {
  return {
    resourceUpdated: undefined,
    resourceListChanged: undefined,
    promptListChanged: undefined,
    toolListChanged: undefined,
    progress: undefined,
    elicitation: undefined,
    sampling: undefined,
    roots,
  }
}

/** The server's handlers of one kind of notification, the set made on first use. */
export function handlerSet<Kind extends NotificationKind>(
  handlers: ServerHandlers,
  kind: Kind,
): Set<NotificationHandlers[Kind]> {
  let set = handlers[kind] as Set<NotificationHandlers[Kind]> | undefined
  if (!set) {
    set = new Set()
    handlers[kind] = set as ServerHandlers[Kind]
  }
  return set
}

/** Forgets every handler (on `disconnect()`). */
export function clearServerHandlers(handlers: ServerHandlers): void {
  handlers.resourceUpdated = undefined
  handlers.resourceListChanged = undefined
  handlers.promptListChanged = undefined
  handlers.toolListChanged = undefined
  handlers.progress = undefined
  handlers.elicitation = undefined
  handlers.sampling = undefined
}
