// ESM: the lowest zod the `^4.2.0` peer range allows, installed exactly (zod@4.2.0), with the
// client core and the server core. 4.2 is the first zod with `z.fromJSONSchema`; on an older zod
// a swallowed TypeError once turned every converted schema into `z.record(...)`. So: the server
// publishes the tool's JSON Schema with its properties, and the client's `inputZodSchema` is a
// real object schema that accepts a valid input and rejects an invalid one naming the field.
import assert from 'node:assert/strict'
import http from 'node:http'
import { createRequire } from 'node:module'
import { MCPClient } from '@mcpkit/mcp-client-core'
import { createMCPTool, MCPServer } from '@mcpkit/mcp-server-core'
import { z } from 'zod'

const require = createRequire(import.meta.url)
const resolveFrom = (path, specifier) => createRequire(path).resolve(specifier)

// Every package runs on the app's zod 4.2.0: mcpkit (peer) and the SDK (its own dependency).
assert.equal(require('zod/package.json').version, '4.2.0')
const clientCore = require.resolve('@mcpkit/mcp-client-core')
const serverCore = require.resolve('@mcpkit/mcp-server-core')
for (const user of [
  clientCore,
  serverCore,
  resolveFrom(clientCore, '@modelcontextprotocol/client'),
  resolveFrom(serverCore, '@modelcontextprotocol/server'),
]) {
  assert.equal(resolveFrom(user, 'zod'), require.resolve('zod'), `zod as ${user} sees it`)
}

const FIELDS = ['attendees', 'kind', 'room', 'tags', 'when']
const server = new MCPServer({
  name: 'zod-floor',
  version: '1.0.0',
  tools: {
    book_room: createMCPTool({
      id: 'book_room',
      description: 'Books a meeting room',
      inputSchema: z.object({
        room: z.string().min(1),
        attendees: z.number().int().min(1).max(20),
        when: z.object({ date: z.string(), minutes: z.number().positive() }),
        tags: z.array(z.string()).optional(),
        kind: z.enum(['meeting', 'call']).optional(),
      }),
      execute: async ({ room, attendees, when }) =>
        `booked ${room} for ${attendees} on ${when.date}`,
    }),
  },
})

// Server side: the published JSON Schema has every property, and the required ones.
const [published] = server.getToolListInfo().tools
assert.deepEqual(Object.keys(published.inputSchema.properties ?? {}).sort(), FIELDS)
assert.deepEqual([...(published.inputSchema.required ?? [])].sort(), ['attendees', 'room', 'when'])

const httpServer = http.createServer((req, res) => {
  void server.startHTTP({
    url: new URL(req.url ?? '/', 'http://127.0.0.1'),
    httpPath: '/mcp',
    req,
    res,
  })
})
await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
const logged = []
const mcp = new MCPClient({
  servers: { rooms: { url: new URL(`http://127.0.0.1:${httpServer.address().port}/mcp`) } },
  logger: (message) => logged.push(message),
})
try {
  const tool = (await mcp.listTools()).rooms_book_room
  // What came over the wire.
  assert.deepEqual(Object.keys(tool.inputSchema.properties ?? {}).sort(), FIELDS)

  // Client side: inputZodSchema is an object schema of the app's zod, with the same fields.
  const schema = tool.inputZodSchema
  assert.ok(schema instanceof z.ZodObject, `inputZodSchema is a ${schema?.constructor?.name}`)
  assert.deepEqual(Object.keys(schema.shape).sort(), FIELDS)
  const valid = { room: 'Ada', attendees: 4, when: { date: '2026-12-04', minutes: 30 } }
  assert.deepEqual(schema.parse(valid), valid)
  const invalid = schema.safeParse({ room: 'Ada', attendees: 'four', when: valid.when })
  assert.equal(invalid.success, false, 'an invalid input is rejected (z.record would accept it)')
  assert.deepEqual(
    invalid.error.issues.map((issue) => issue.path.join('.')),
    ['attendees'],
  )
  const nested = schema.safeParse({ ...valid, when: { date: '2026-12-04', minutes: -1 } })
  assert.deepEqual(
    nested.error?.issues.map((issue) => issue.path.join('.')),
    ['when.minutes'],
  )
  assert.equal(schema.safeParse({ room: 'Ada', attendees: 4 }).success, false, 'when is required')
  assert.deepEqual(
    logged.filter((message) => /cannot be expressed in zod|needs zod/.test(message.message)),
    [],
  )

  // And the tool itself, through both validations.
  const result = await tool.execute(valid)
  assert.deepEqual(result.content, [{ type: 'text', text: 'booked Ada for 4 on 2026-12-04' }])
  await assert.rejects(tool.execute({ ...valid, attendees: 99 }), (error) => {
    assert.equal(error.code, 'INVALID_TOOL_INPUT')
    assert.match(error.message, /attendees/)
    return true
  })
} finally {
  await mcp.disconnect()
  await server.close()
  await new Promise((resolve) => httpServer.close(resolve))
}
console.log('SMOKE OK zod-floor/main.mjs')
