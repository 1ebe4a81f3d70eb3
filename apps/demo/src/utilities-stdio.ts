// Entry point of the utilities server child process: speaks MCP on stdin/stdout. The demo
// starts it through its shared MCPClient (`command: node --import tsx utilities-stdio.ts`).
import { createUtilitiesServer } from './utilities-server.js'

const server = createUtilitiesServer()
await server.startStdio()

// stdin closing is how the client says goodbye; SIGTERM is how it insists.
const stop = (): void => {
  void server.close().finally(() => process.exit(0))
}
process.stdin.once('end', stop)
process.once('SIGTERM', stop)
