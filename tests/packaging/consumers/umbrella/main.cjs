// CommonJS: @mcpkit/mcp's legacy SSE server (startSSE) and a client forced onto SSE; error
// classes and RequestContext come from the same single import.
const assert = require('node:assert/strict')
const http = require('node:http')
const {
  createMCPTool,
  MCPClient,
  MCPClientError,
  MCPKitError,
  MCPServer,
  RequestContext,
} = require('@mcpkit/mcp')
const { z } = require('zod')

async function main() {
  const server = new MCPServer({
    name: 'umbrella-cjs',
    version: '1.0.0',
    tools: {
      echo: createMCPTool({
        id: 'echo',
        description: 'Echoes a message',
        inputSchema: z.object({ message: z.string() }),
        execute: async ({ message }) => message,
      }),
    },
  })
  const httpServer = http.createServer((req, res) => {
    void server.startSSE({
      url: new URL(req.url ?? '/', 'http://127.0.0.1'),
      ssePath: '/sse',
      messagePath: '/message',
      req,
      res,
    })
  })
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
  const url = new URL(`http://127.0.0.1:${httpServer.address().port}/sse`)
  const seen = []
  const mcp = new MCPClient({
    servers: {
      legacy: {
        url,
        transport: 'sse',
        fetch: (input, init, requestContext) => {
          seen.push(requestContext ? requestContext.get('user') : null)
          return fetch(input, init)
        },
      },
    },
  })
  try {
    const { legacy } = await mcp.listToolsets()
    const requestContext = new RequestContext({ user: 'u-1' })
    const result = await legacy.echo.execute({ message: 'over sse' }, { requestContext })
    assert.deepEqual(result.content, [{ type: 'text', text: 'over sse' }])
    assert.ok(seen.includes('u-1'), 'the request context reached the custom fetch')
    await assert.rejects(mcp.prompts.get({ serverName: 'nope', name: 'x' }), (error) => {
      assert.ok(error instanceof MCPClientError)
      assert.ok(error instanceof MCPKitError)
      assert.equal(error.code, 'SERVER_NOT_FOUND')
      return true
    })
  } finally {
    await mcp.disconnect()
    await server.close()
    await new Promise((resolve) => httpServer.close(resolve))
  }
  console.log('SMOKE OK umbrella/main.cjs')
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
