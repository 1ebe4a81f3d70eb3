// TypeScript compiled to CommonJS: error classes narrow with instanceof and `code`.
import assert = require('node:assert/strict')

import {
  createMCPTool,
  isMCPKitError,
  type MCPErrorCode,
  MCPServer,
  MCPServerError,
  type ToolListInfo,
} from '@mcpkit/mcp'
import { z } from 'zod'

async function main(): Promise<void> {
  assert.throws(
    () =>
      new MCPServer({
        name: 'umbrella-cts',
        version: '1.0.0',
        agents: { helper: { name: 'helper', generate: async () => ({ text: 'hi' }) } },
      }),
    (error: unknown) => {
      assert.ok(error instanceof MCPServerError)
      const code: MCPErrorCode = error.code
      assert.equal(code, 'INVALID_CONFIGURATION')
      return isMCPKitError(error, 'INVALID_CONFIGURATION')
    },
  )
  const server = new MCPServer({
    name: 'umbrella-cts',
    version: '1.0.0',
    tools: {
      ping: createMCPTool({
        id: 'ping',
        description: 'Answers pong',
        inputSchema: z.object({}),
        execute: async () => 'pong',
      }),
    },
    agents: {
      helper: {
        name: 'helper',
        description: 'Answers questions',
        generate: async (message: string) => ({ text: `you said ${message}` }),
      },
    },
  })
  const list: ToolListInfo = server.getToolListInfo()
  assert.deepEqual(list.tools.map((tool) => tool.name).sort(), ['ask_helper', 'ping'])
  const answer = await server.executeTool('ask_helper', { message: 'hi' })
  assert.deepEqual(answer.content, [{ type: 'text', text: 'you said hi' }])
  await server.close()
  console.log('SMOKE OK umbrella/main.cts')
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
