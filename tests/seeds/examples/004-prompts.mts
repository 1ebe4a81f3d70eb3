// Seed 004 (MCPServer reference), "プロンプトハンドリング" (prompts): the MCPServerPrompts example
// and the notification snippet.

import type { MCPServerPrompts, Prompt, PromptMessage } from '@mcpkit/mcp' // CHANGED: was "@mastra/mcp"
import { MCPClient, MCPServer } from '@mcpkit/mcp' // CHANGED: was "@mastra/mcp"; MCPClient for the check
import { assert, ok, serveForCheck } from './check.mjs'

const prompts: Prompt[] = [
  {
    name: 'analyze-code',
    description: 'コードの改善点を分析',
    version: 'v1',
  },
  {
    name: 'analyze-code',
    description: 'コードの改善点を分析(新しいロジック)',
    version: 'v2',
  },
]

const myPromptHandlers: MCPServerPrompts = {
  listPrompts: async () => prompts,
  getPromptMessages: async ({ name, version, args }) => {
    if (name === 'analyze-code') {
      if (version === 'v2') {
        const prompt = prompts.find((p) => p.name === name && p.version === 'v2')
        if (!prompt) throw new Error('プロンプトバージョンが見つかりません')
        return {
          prompt,
          messages: [
            {
              role: 'user',
              content: {
                type: 'text',
                text: `新しいロジックでこのコードを分析してください:${args.code}`,
              },
            },
          ],
        }
      }
      // デフォルトまたはv1
      const prompt = prompts.find((p) => p.name === name && p.version === 'v1')
      if (!prompt) throw new Error('プロンプトバージョンが見つかりません')
      return {
        prompt,
        messages: [
          {
            role: 'user',
            content: { type: 'text', text: `このコードを分析してください:${args.code}` },
          },
        ],
      }
    }
    throw new Error('プロンプトが見つかりません')
  },
}

const serverWithPrompts = new MCPServer({
  name: 'Promptful Server',
  version: '1.0.0',
  tools: {
    /* ... */
  },
  prompts: myPromptHandlers,
})

// ── check (added by the test): serve it and get both versions through a client ──
const served = await serveForCheck(serverWithPrompts)
const client = new MCPClient({ servers: { code: { url: served.url } } })
const listed = await client.prompts.list()
// `version` is not part of MCP's prompts/list: clients see the two entries by name.
assert.deepEqual(
  listed.code?.map((prompt) => prompt.name),
  ['analyze-code', 'analyze-code'],
)
const v2 = await client.prompts.get({
  serverName: 'code',
  name: 'analyze-code',
  version: 'v2',
  args: { code: 'x = 1' },
})
assert.deepEqual(v2.messages[0]?.content, {
  type: 'text',
  text: '新しいロジックでこのコードを分析してください:x = 1',
})
const v1 = await client.prompts.get({
  serverName: 'code',
  name: 'analyze-code',
  args: { code: 'y' },
})
assert.deepEqual(v1.messages[0]?.content, { type: 'text', text: 'このコードを分析してください:y' })
let changed = false
client.prompts.onListChanged('code', () => {
  changed = true
})

// プロンプト変更のクライアント通知 (the seed's snippet)
await serverWithPrompts.prompts.notifyListChanged()

// ── check (added by the test) ──
for (let attempt = 0; attempt < 100 && !changed; attempt++) {
  await new Promise((resolve) => setTimeout(resolve, 20))
}
assert.ok(changed)
await client.disconnect()
await served.close()
ok('004-prompts')
