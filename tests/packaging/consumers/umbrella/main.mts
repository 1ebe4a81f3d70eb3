// TypeScript (ESM, skipLibCheck: false): the @mastra/mcp type names a migrating user imports
// from @mcpkit/mcp, used the way the @mastra/mcp reference uses them.
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createMCPTool,
  type MastraFetchLike,
  type MastraMCPServerDefinition,
  MCPClient,
  MCPServer,
  type MCPServerPrompts,
  type MCPServerResourceContent,
  type MCPServerResources,
  type Prompt,
  type PromptMessage,
  type Resource,
  type ResourceTemplate,
} from '@mcpkit/mcp'
import { z } from 'zod'

const myResources: Resource[] = [
  { uri: 'file://data/123.txt', name: 'Data File', mimeType: 'text/plain' },
]
const myResourceTemplates: ResourceTemplate[] = [
  { uriTemplate: 'file://data/{id}', name: 'Data File', mimeType: 'text/plain' },
]
const contents: Record<string, MCPServerResourceContent> = {
  'file://data/123.txt': { text: 'data file 123' },
}
const resources: MCPServerResources = {
  listResources: async () => myResources,
  getResourceContent: async ({ uri }) => {
    const content = contents[uri]
    if (!content) throw new Error(`no resource ${uri}`)
    return content
  },
  resourceTemplates: async () => myResourceTemplates,
}
const prompts: Prompt[] = [{ name: 'analyze-code', description: 'Analyze code', version: 'v1' }]
const promptHandlers: MCPServerPrompts = {
  listPrompts: async () => prompts,
  getPromptMessages: async ({ args }) => {
    const messages: PromptMessage[] = [
      { role: 'user', content: { type: 'text', text: `Analyze: ${args.code}` } },
    ]
    return { prompt: prompts[0], messages }
  },
}

const server = new MCPServer({
  name: 'umbrella-ts',
  version: '1.0.0',
  tools: {
    collectContactInfo: createMCPTool({
      id: 'collectContactInfo',
      description: 'Asks the user for a name',
      inputSchema: z.object({ reason: z.string().optional() }),
      execute: async ({ reason }, { elicitation }) => {
        const answer = await elicitation.sendRequest({
          message: reason ?? 'Who are you?',
          requestedSchema: {
            type: 'object',
            properties: { name: { type: 'string' } },
            required: ['name'],
          },
        })
        return answer.action === 'accept' ? `hello ${String(answer.content?.name)}` : 'declined'
      },
    }),
  },
  resources,
  prompts: promptHandlers,
})
const httpServer = http.createServer((req, res) => {
  void server.startHTTP({
    url: new URL(req.url ?? '/', 'http://127.0.0.1'),
    httpPath: '/mcp',
    req,
    res,
  })
})
await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
const { port } = httpServer.address() as AddressInfo

const fetchWithUser: MastraFetchLike = (url, init, requestContext) => {
  const headers = new Headers(init?.headers)
  const user = requestContext?.get('user')
  if (typeof user === 'string') headers.set('x-user', user)
  return fetch(url, { ...init, headers })
}
const definition: MastraMCPServerDefinition = {
  url: new URL(`http://127.0.0.1:${port}/mcp`),
  fetch: fetchWithUser,
}
const mcp = new MCPClient({ id: 'umbrella-ts', servers: { data: definition } })
try {
  mcp.elicitation.onRequest('data', async (request) => {
    assert.equal(request.message, 'for the test')
    return { action: 'accept', content: { name: 'Ada' } }
  })
  const tools = await mcp.listTools()
  const collect = tools.data_collectContactInfo
  if (!collect) throw new Error('data_collectContactInfo is not listed')
  const result = (await collect.execute({ reason: 'for the test' })) as {
    content: { type: string; text: string }[]
  }
  assert.deepEqual(result.content, [{ type: 'text', text: 'hello Ada' }])
  const templates = await mcp.resources.templates()
  assert.equal(templates.data?.[0]?.uriTemplate, 'file://data/{id}')
  const read = await mcp.resources.read('data', 'file://data/123.txt')
  assert.deepEqual(read.contents[0], {
    uri: 'file://data/123.txt',
    mimeType: 'text/plain',
    text: 'data file 123',
  })
  const prompt = await mcp.prompts.get({
    serverName: 'data',
    name: 'analyze-code',
    args: { code: 'x = 1' },
  })
  assert.deepEqual(prompt.messages[0]?.content, { type: 'text', text: 'Analyze: x = 1' })
} finally {
  await mcp.disconnect()
  await server.close()
  await new Promise<void>((resolve) => httpServer.close(() => resolve()))
}
console.log('SMOKE OK umbrella/main.mts')
