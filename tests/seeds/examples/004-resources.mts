// Seed 004 (MCPServer reference), "リソースハンドリング" (resources): the MCPServerResources
// example and the notification snippets.

import type {
  MCPServerResourceContent,
  MCPServerResources, // CHANGED: added; the seed uses the type without importing it
  Resource,
  ResourceTemplate,
} from '@mcpkit/mcp' // CHANGED: was "@mastra/mcp"
import { MCPClient, MCPServer } from '@mcpkit/mcp' // CHANGED: was "@mastra/mcp"; MCPClient for the check
import { assert, ok, serveForCheck } from './check.mjs'

// リソース/リソーステンプレートは通常動的に取得されます。
const myResources: Resource[] = [
  { uri: 'file://data/123.txt', name: 'Data File', mimeType: 'text/plain' },
]

const myResourceContents: Record<string, MCPServerResourceContent> = {
  'file://data.txt/123': { text: 'これはデータファイルの内容です。' },
}

const myResourceTemplates: ResourceTemplate[] = [
  {
    uriTemplate: 'file://data/{id}',
    name: 'Data File',
    description: 'データを含むファイル。',
    mimeType: 'text/plain',
  },
]

const myResourceHandlers: MCPServerResources = {
  listResources: async () => myResources,
  getResourceContent: async ({ uri }) => {
    if (myResourceContents[uri]) {
      return myResourceContents[uri]
    }
    throw new Error(`${uri}のリソースコンテンツが見つかりません`)
  },
  resourceTemplates: async () => myResourceTemplates,
}

const serverWithResources = new MCPServer({
  name: 'Resourceful Server',
  version: '1.0.0',
  tools: {
    /* ... あなたのツール ... */
  },
  resources: myResourceHandlers,
})

// ── check (added by the test): serve it and read through a client ──
const served = await serveForCheck(serverWithResources)
const client = new MCPClient({ servers: { files: { url: served.url } } })
const listed = await client.resources.list()
assert.equal(listed.files?.[0]?.uri, 'file://data/123.txt')
const templates = await client.resources.templates()
assert.equal(templates.files?.[0]?.uriTemplate, 'file://data/{id}')
// The seed's content map is keyed "file://data.txt/123", not the listed URI; both behave as coded.
const read = await client.resources.read('files', 'file://data.txt/123')
assert.deepEqual(read.contents[0], {
  uri: 'file://data.txt/123',
  text: 'これはデータファイルの内容です。',
})
await assert.rejects(client.resources.read('files', 'file://data/123.txt'))
const updates: string[] = []
client.resources.onUpdated('files', (params) => updates.push(params.uri))
let listChanged = false
client.resources.onListChanged('files', () => {
  listChanged = true
})
await client.resources.subscribe('files', 'file://data.txt')

// リソース変更のクライアント通知 (the seed's notification snippets)
// 'file://data.txt'のコンテンツを更新した後
await serverWithResources.resources.notifyUpdated({ uri: 'file://data.txt' })
// 'myResourceHandlers.listResources'によって管理されるリストに新しいリソースを追加した後
await serverWithResources.resources.notifyListChanged()

// ── check (added by the test) ──
for (let attempt = 0; attempt < 100 && (updates.length === 0 || !listChanged); attempt++) {
  await new Promise((resolve) => setTimeout(resolve, 20))
}
assert.deepEqual(updates, ['file://data.txt'])
assert.ok(listChanged)
await client.disconnect()
await served.close()
ok('004-resources')
