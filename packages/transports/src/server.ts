export type { BodyAuthorizer, RequestAuthenticator } from './server/authenticate.js'
export { JsonRpcErrorCode } from './server/json-rpc.js'
export {
  type CreateServer,
  DEFAULT_MAX_SUBSCRIPTIONS,
  DEFAULT_PROTOCOL_VERSION,
  type ProtocolEraOptions,
  type ServerFactoryContext,
} from './server/protocol-eras.js'
export { DEFAULT_MAX_REQUESTS_IN_FLIGHT } from './server/request-slots.js'
export {
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_BODY_BYTES_IN_FLIGHT,
  DEFAULT_MAX_BUFFERED_BYTES_PER_STREAM,
  DEFAULT_MAX_JSON_DEPTH,
  DEFAULT_STREAM_STALL_TIMEOUT_MS,
  type HttpServerSecurityOptions,
} from './server/security.js'
export {
  DEFAULT_MAX_SESSIONS,
  DEFAULT_MAX_SESSIONS_PER_PRINCIPAL,
  DEFAULT_SESSION_IDLE_TIMEOUT_MS,
  defaultPrincipalOf,
  type PrincipalOf,
  type ServerLog,
  type SessionHandlerOptions,
  type SessionOptions,
} from './server/session-registry.js'
export type { SseHandlerOptions, SseRequestContext } from './server/sse-sessions.js'
export {
  StreamableHttpHandler,
  type StreamableHttpRequestContext,
} from './server/streamable-http-handler.js'
export type { StreamableHttpHandlerOptions } from './server/streamable-http-sessions.js'
export { WebSseHandler } from './server/web-sse-handler.js'
export {
  DEFAULT_SSE_KEEP_ALIVE_MS,
  WebSseServerTransport,
  type WebSseServerTransportOptions,
} from './server/web-sse-transport.js'
