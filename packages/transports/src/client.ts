export {
  type ClientConnection,
  type ConnectClientOptions,
  type ConnectionFailure,
  connectClient,
  type StandingStream,
} from './client/connect.js'
export {
  MODERN_PROTOCOL_VERSION,
  type ProtocolVerdict,
  type TransportKind,
} from './client/protocol-verdict.js'
export { runWithRequestContext } from './client/request-context-storage.js'
export {
  DEFAULT_MAX_RESPONSE_BYTES,
  needsRequestScope,
  type RequestScope,
  type RequestScopeOptions,
  requestScopeOptions,
  type ScopedOperation,
} from './client/request-scope.js'
