// CommonJS: serves an MCPServer over Streamable HTTP on 127.0.0.1 and speaks raw JSON-RPC to it
// with fetch (no client package installed): initialize, tools/list, tools/call.
const assert = require('node:assert/strict')
const http = require('node:http')
const { createMCPTool, MCPServer } = require('@mcpkit/mcp-server-core')
const { z } = require('zod')

const server = new MCPServer({
  name: 'smoke-cjs',
  version: '1.0.0',
  tools: {
    greet: createMCPTool({
      id: 'greet',
      description: 'Greets someone',
      inputSchema: z.object({ name: z.string() }),
      execute: async ({ name }) => `hello, ${name}`,
    }),
  },
})

/** POSTs one JSON-RPC message; returns the session id and the JSON-RPC answer (JSON or SSE). */
async function post(url, sessionId, message) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(sessionId ? { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' } : {}),
    },
    body: JSON.stringify(message),
  })
  assert.ok(response.ok, `${message.method} answered HTTP ${response.status}`)
  const text = await response.text()
  const data = text.startsWith('{')
    ? text
    : text
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('')
  return {
    sessionId: response.headers.get('mcp-session-id') ?? sessionId,
    answer: data === '' ? undefined : JSON.parse(data),
  }
}

async function main() {
  const httpServer = http.createServer((req, res) => {
    void server.startHTTP({
      url: new URL(req.url ?? '/', 'http://127.0.0.1'),
      httpPath: '/mcp',
      req,
      res,
    })
  })
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${httpServer.address().port}/mcp`
  try {
    const init = await post(url, undefined, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'raw-fetch', version: '1.0.0' },
      },
    })
    assert.equal(init.answer.result.serverInfo.name, 'smoke-cjs')
    assert.ok(init.sessionId, 'a session id')
    await post(url, init.sessionId, { jsonrpc: '2.0', method: 'notifications/initialized' })
    const list = await post(url, init.sessionId, { jsonrpc: '2.0', id: 2, method: 'tools/list' })
    assert.deepEqual(
      list.answer.result.tools.map((tool) => tool.name),
      ['greet'],
    )
    const call = await post(url, init.sessionId, {
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'greet', arguments: { name: 'cjs' } },
    })
    assert.deepEqual(call.answer.result.content, [{ type: 'text', text: 'hello, cjs' }])
  } finally {
    await server.close()
    await new Promise((resolve) => httpServer.close(resolve))
  }
  console.log('SMOKE OK server-alone/main.cjs')
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
