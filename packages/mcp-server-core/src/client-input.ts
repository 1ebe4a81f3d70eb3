import type {
  CreateMessageRequestParams,
  CreateMessageResult,
  ElicitRequestFormParams,
  ElicitResult,
  ListRootsResult,
} from '@modelcontextprotocol/server'

/** Options of one question to the client. */
export interface InputRequestOptions {
  /**
   * The question's key in a 2026-07-28 `input_required` answer (`inputRequests`, and its
   * answer's in `inputResponses`). Default `input-<n>`, `<n>` its position in the handler's call
   * order. Not sent to 2025 sessions.
   */
  key?: string | undefined
}

/** A form elicitation, as a handler asks it (`mode` is always `'form'`). */
export type ElicitationRequest = Omit<ElicitRequestFormParams, 'mode'> & { mode?: 'form' }

/**
 * What a handler (a tool's `execute`, `getPromptMessages`, `getResourceContent`) may ask the
 * client, on either protocol era: on a 2025 session each call is a server→client request to
 * the calling session; on a 2026-07-28 request it becomes an `input_required` answer, and the
 * handler runs again on the client's retry, where the same call, in the same order, returns
 * the answer. A client that did not declare the capability gets the call rejected (on
 * 2026-07-28 with `MissingRequiredClientCapabilityError`, `-32021`, which becomes the call's
 * error when the handler does not catch it).
 */
export interface ClientInput {
  /** Asks the user to fill in a form (`elicitation/create`). */
  elicitation: {
    sendRequest(request: ElicitationRequest, options?: InputRequestOptions): Promise<ElicitResult>
  }
  /** Asks the client's LLM for a completion (`sampling/createMessage`; deprecated by 2026-07-28). */
  sampling: {
    createMessage(
      params: CreateMessageRequestParams,
      options?: InputRequestOptions,
    ): Promise<CreateMessageResult>
  }
  /** Asks the client for its roots (`roots/list`; deprecated by 2026-07-28). */
  roots: {
    list(options?: InputRequestOptions): Promise<ListRootsResult>
  }
}
