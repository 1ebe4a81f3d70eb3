// The stdio client transport on its own entry: `@mcpkit/transports/client` loads no
// `node:child_process` (connectClient imports this module on the first stdio connect).
export {
  ProcessStdioTransport,
  type ProcessStdioTransportOptions,
} from './client/stdio-transport.js'
