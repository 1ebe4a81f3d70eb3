export {
  type ClientConnection,
  type ConnectClientOptions,
  type ConnectionFailure,
  connectClient,
} from './client/connect.js'
export {
  MODERN_PROTOCOL_VERSION,
  type ProtocolVerdict,
  type TransportKind,
} from './client/protocol-verdict.js'
export { runWithRequestContext } from './client/request-context-storage.js'
