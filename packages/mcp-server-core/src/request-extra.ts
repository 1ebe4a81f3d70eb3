import type {
  AuthInfo,
  RequestId,
  RequestMeta,
  ServerContext,
  ServerNotification,
} from '@modelcontextprotocol/server'

/**
 * What a tool, resource or prompt callback learns about the MCP request it serves: the
 * seed's `extra` (`@mastra/mcp`'s `RequestHandlerExtra`), kept stable by mcpkit whatever the
 * SDK calls these things.
 */
export interface RequestExtra {
  /** The verified credentials of the request (HTTP with an authenticator or auth middleware). */
  authInfo?: AuthInfo
  /** The client session (Streamable HTTP and legacy SSE); `undefined` on stdio and stateless. */
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
  /** A request to the client (sampling, roots, elicitation), related to this one. */
  sendRequest: ServerContext['mcpReq']['send']
}

/** The `extra` of a request, from the SDK's handler context. */
export function requestExtra(ctx: ServerContext): RequestExtra {
  const { mcpReq, http } = ctx
  const extra: RequestExtra = {
    signal: mcpReq.signal,
    requestId: mcpReq.id,
    sendNotification: (notification) => mcpReq.notify(notification),
    sendRequest: mcpReq.send,
  }
  if (http?.authInfo) extra.authInfo = http.authInfo
  if (ctx.sessionId !== undefined) extra.sessionId = ctx.sessionId
  if (mcpReq._meta) extra._meta = mcpReq._meta
  if (http?.req) extra.request = http.req
  return extra
}
