// CommonJS: zod 4.2.0 (the floor of the peer range) under the .cjs builds: the server publishes
// the tool's properties, and the client's inputZodSchema, built with the app's zod through
// z.fromJSONSchema, is an object schema that rejects a bad field by name.
const assert = require('node:assert/strict')
const http = require('node:http')
const { MCPClient } = require('@mcpkit/mcp-client-core')
const { createMCPTool, MCPServer } = require('@mcpkit/mcp-server-core')
const { z } = require('zod')

async function main() {
  assert.equal(require('zod/package.json').version, '4.2.0')
  const server = new MCPServer({
    name: 'zod-floor-cjs',
    version: '1.0.0',
    tools: {
      rename: createMCPTool({
        id: 'rename',
        description: 'Renames a file',
        inputSchema: z.object({ from: z.string().min(1), to: z.string().min(1) }),
        execute: async ({ from, to }) => `${from} → ${to}`,
      }),
    },
  })
  const [published] = server.getToolListInfo().tools
  assert.deepEqual(Object.keys(published.inputSchema.properties).sort(), ['from', 'to'])
  const httpServer = http.createServer((req, res) => {
    void server.startHTTP({
      url: new URL(req.url ?? '/', 'http://127.0.0.1'),
      httpPath: '/mcp',
      req,
      res,
    })
  })
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
  const mcp = new MCPClient({
    servers: { files: { url: new URL(`http://127.0.0.1:${httpServer.address().port}/mcp`) } },
  })
  try {
    const { files } = await mcp.listToolsets()
    const schema = files.rename.inputZodSchema
    assert.ok(schema instanceof z.ZodObject, `inputZodSchema is a ${schema?.constructor?.name}`)
    assert.deepEqual(Object.keys(schema.shape).sort(), ['from', 'to'])
    assert.deepEqual(schema.parse({ from: 'a', to: 'b' }), { from: 'a', to: 'b' })
    const invalid = schema.safeParse({ from: 'a', to: 42 })
    assert.equal(invalid.success, false)
    assert.deepEqual(
      invalid.error.issues.map((issue) => issue.path.join('.')),
      ['to'],
    )
    const result = await files.rename.execute({ from: 'a', to: 'b' })
    assert.deepEqual(result.content, [{ type: 'text', text: 'a → b' }])
  } finally {
    await mcp.disconnect()
    await server.close()
    await new Promise((resolve) => httpServer.close(resolve))
  }
  console.log('SMOKE OK zod-floor/main.cjs')
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
