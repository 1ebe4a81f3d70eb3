import { MCPServerError } from '@mcpkit/types'
import {
  type AuthInfo,
  ProtocolError,
  ProtocolErrorCode,
  type RequestId,
  type RequestMeta,
  type ServerContext,
  type ServerNotification,
} from '@modelcontextprotocol/server'
import type { InputMethod, InputRound } from './input-rounds.js'

/**
 * What a tool, resource or prompt callback learns about the MCP request it serves: the
 * seed's `extra` (`@mastra/mcp`'s `RequestHandlerExtra`), kept stable by mcpkit whatever the
 * SDK calls these things.
 */
export interface RequestExtra {
  /** The verified credentials of the request (HTTP with an authenticator or auth middleware). */
  authInfo?: AuthInfo
  /** The 2025 client session (Streamable HTTP and legacy SSE); `undefined` on stdio, stateless and 2026-07-28 requests. */
  sessionId?: string
  /** Aborts when the client cancels the request, goes away, or the session ends. */
  signal: AbortSignal
  /** The JSON-RPC id of the request. */
  requestId: RequestId
  /** The request's `_meta` (its `progressToken`, …). */
  _meta?: RequestMeta
  /** The HTTP request that carried the message (Streamable HTTP and legacy SSE). */
  request?: Request
  /** A notification to the client, on this request's stream. */
  sendNotification(notification: ServerNotification): Promise<void>
  /**
   * A request to the client, related to this one. On 2026-07-28 requests only
   * `elicitation/create`, `sampling/createMessage` and `roots/list` can be asked (they become
   * an `input_required` answer, as with `elicitation.sendRequest`); other methods reject.
   */
  sendRequest: ServerContext['mcpReq']['send']
}

const ASKABLE = new Set<string>(['elicitation/create', 'sampling/createMessage', 'roots/list'])

/**
 * The `extra` of a request, from the SDK's handler context. `signal` replaces the request's own
 * (a tool's run may end before its request does); `round` routes 2026-07-28 questions.
 */
export function requestExtra(
  ctx: ServerContext,
  options: { signal?: AbortSignal | undefined; round?: InputRound | undefined } = {},
): RequestExtra {
  const { mcpReq, http } = ctx
  const { round } = options
  const extra: RequestExtra = {
    signal: options.signal ?? mcpReq.signal,
    requestId: mcpReq.id,
    sendNotification: (notification) => mcpReq.notify(notification),
    sendRequest: round?.era === 'modern' ? askThrough(round) : mcpReq.send,
  }
  if (http?.authInfo) extra.authInfo = http.authInfo
  if (ctx.sessionId !== undefined) extra.sessionId = ctx.sessionId
  if (mcpReq._meta) extra._meta = mcpReq._meta
  if (http?.req) extra.request = http.req
  return extra
}

type Schema = {
  '~standard': { validate(value: unknown): unknown }
}

/** `sendRequest` of a 2026-07-28 request: the three askable methods go through the round. */
function askThrough(round: InputRound): ServerContext['mcpReq']['send'] {
  const send = async (
    request: { method: string; params?: Record<string, unknown> },
    schema?: unknown,
  ): Promise<unknown> => {
    if (!ASKABLE.has(request.method)) {
      throw new MCPServerError(
        'INVALID_CONFIGURATION',
        `sendRequest("${request.method}") has no 2026-07-28 equivalent: that revision has no requests from server to client. Only elicitation/create, sampling/createMessage and roots/list can be asked, and they are answered through input_required.`,
      )
    }
    const answer = await round.ask(request.method as InputMethod, request.params ?? {})
    const standard = (schema as Partial<Schema> | undefined)?.['~standard']
    if (!standard) return answer
    const checked = (await standard.validate(answer)) as { value?: unknown; issues?: unknown }
    if (checked.issues) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `The client's answer to ${request.method} does not match the result schema.`,
      )
    }
    return checked.value
  }
  return send as ServerContext['mcpReq']['send']
}
