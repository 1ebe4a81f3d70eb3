export { type StreamLimits, writeWebResponse } from './node/node-http.js'
export { NodeSseHandler, type NodeSseRequestContext } from './node/node-sse-handler.js'
export {
  type NodeHttpRequestContext,
  NodeStreamableHttpHandler,
} from './node/node-streamable-http-handler.js'
export { type ServeStdioOptions, type ServeStdioResult, serveStdio } from './node/serve-stdio.js'
export type {
  BodyAuthorizer,
  CreateServer,
  HttpServerSecurityOptions,
  PrincipalOf,
  ProtocolEraOptions,
  RequestAuthenticator,
  ServerFactoryContext,
  ServerLog,
  SessionOptions,
  SseHandlerOptions,
  StreamableHttpHandlerOptions,
} from './server.js'
