/**
 * The stand-in stdio server of `bench:overhead`: the bench's SDK v2 server (`serveStdio`, both
 * eras, the tools of `bench-tools.mjs`) answers the handshake and the lists. Once a tool has
 * answered, this process answers its calls itself, replaying that answer line with the call's
 * own id. A call then costs the server almost nothing. What the parent spends per call is its
 * client's own work and the pipe's. The server's CPU is this process's, not counted there.
 * Plain JavaScript, started with `node`; it ends when its stdin closes.
 */
import { createInterface } from 'node:readline'
import { PassThrough } from 'node:stream'
import { McpServer } from '@modelcontextprotocol/server'
import { StdioServerTransport, serveStdio } from '@modelcontextprotocol/server/stdio'
import { registerBenchTools } from '../bench-tools.mjs'

const toServer = new PassThrough()
const fromServer = new PassThrough()
serveStdio(() => registerBenchTools(new McpServer({ name: 'bench-overhead', version: '1.0.0' })), {
  transport: new StdioServerTransport(toServer, fromServer),
})

const ID = '"id":'
/** Each tool's recorded answer line, split around its id. */
const recorded = new Map()
/** The tool of each call passed on to the server, by id. */
const passedOn = new Map()

createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY }).on(
  'line',
  (line) => {
    const message = JSON.parse(line)
    if (message.method === 'tools/call') {
      const answer = recorded.get(message.params?.name)
      if (answer) {
        process.stdout.write(`${answer.before}${ID}${JSON.stringify(message.id)}${answer.after}\n`)
        return
      }
      passedOn.set(message.id, message.params?.name)
    }
    toServer.write(`${line}\n`)
  },
)

createInterface({ input: fromServer, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
  const message = JSON.parse(line)
  const tool = message.result ? passedOn.get(message.id) : undefined
  if (tool !== undefined) {
    passedOn.delete(message.id)
    const at = line.indexOf(`${ID}${JSON.stringify(message.id)}`)
    if (at >= 0) {
      const after = line.slice(at + ID.length + JSON.stringify(message.id).length)
      recorded.set(tool, { before: line.slice(0, at), after })
    }
  }
  process.stdout.write(`${line}\n`)
})

process.stdin.on('end', () => process.exit(0))
