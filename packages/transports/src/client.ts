export {
  type ClientConnection,
  type ConnectClientOptions,
  type ConnectionFailure,
  connectClient,
  type TransportKind,
} from './client/connect.js'
export { runWithRequestContext } from './client/request-context-storage.js'
export {
  ProcessStdioTransport,
  type ProcessStdioTransportOptions,
} from './client/stdio-transport.js'
