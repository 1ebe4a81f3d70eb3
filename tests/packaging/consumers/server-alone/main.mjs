// ESM: starts stdio-server.mjs as a child process and speaks newline-delimited JSON-RPC to it
// over its stdin/stdout (no client package installed): initialize, tools/list, tools/call.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const child = spawn(
  process.execPath,
  [fileURLToPath(new URL('./stdio-server.mjs', import.meta.url))],
  {
    stdio: ['pipe', 'pipe', 'inherit'],
  },
)
const answers = new Map()
createInterface({ input: child.stdout }).on('line', (line) => {
  const message = JSON.parse(line)
  answers.get(message.id)?.(message)
})

function request(id, method, params) {
  const answered = new Promise((resolve, reject) => {
    answers.set(id, resolve)
    setTimeout(() => reject(new Error(`${method} got no answer in 10 s`)), 10_000).unref()
  })
  child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`)
  return answered
}

try {
  const init = await request(1, 'initialize', {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'raw-stdio', version: '1.0.0' },
  })
  assert.equal(init.result.serverInfo.name, 'smoke-notes')
  child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`)
  const list = await request(2, 'tools/list', {})
  assert.deepEqual(list.result.tools.map((tool) => tool.name).sort(), ['add', 'delete_note'])
  const call = await request(3, 'tools/call', { name: 'add', arguments: { a: 20, b: 22 } })
  assert.deepEqual(call.result.structuredContent, { sum: 42 })
  const invalid = await request(4, 'tools/call', { name: 'add', arguments: { a: 'x', b: 1 } })
  assert.equal(invalid.result.isError, true, 'invalid arguments give an error result')
} finally {
  // Closing stdin is how an MCP client ends a stdio server; it must exit by itself.
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.stdin.end()
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  const code = await exited
  clearTimeout(timer)
  assert.notEqual(code, null, 'the stdio server exits by itself when stdin closes')
}
console.log('SMOKE OK server-alone/main.mjs')
