export {
  type ClientConnection,
  type ConnectClientOptions,
  connectClient,
  isUnauthorized,
  type TransportKind,
} from './client/connect.js'
export { currentRequestContext, runWithRequestContext } from './client/request-context-storage.js'
export {
  ProcessStdioTransport,
  type ProcessStdioTransportOptions,
} from './client/stdio-transport.js'
