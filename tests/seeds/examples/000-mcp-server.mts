// Seed 000 (production guide), "Building an MCPServer".
import { createMCPTool, MCPServer } from '@mcpkit/mcp' // CHANGED: was '@mastra/mcp'; createMCPTool for the stand-in tool
import { z } from 'zod' // CHANGED: added, for the stand-ins below
import { assert, ok, textOf } from './check.mjs'
import { Agent, workflow } from './mastra-stand-ins.mjs' // CHANGED: added, for the stand-ins below

// CHANGED: were imports from '../agents/my-agent', '../workflows/my-workflow' and
// '../tools/calculator'; stand-ins
const myAgent = new Agent({ name: 'myAgent', description: 'Answers questions about the app' })
const myWorkflow = workflow({
  id: 'myWorkflow',
  description: 'Runs the nightly report',
  inputSchema: z.object({ day: z.string() }),
})
const calculatorTool = createMCPTool({
  id: 'calculatorTool',
  description: 'Adds two numbers',
  inputSchema: z.object({ a: z.number(), b: z.number() }),
  execute: async ({ a, b }) => String(a + b),
})

export const myMcpServer = new MCPServer({
  id: 'my-mcp-server',
  name: 'My Production Server',
  version: '1.0.0',
  agents: { myAgent },
  tools: { calculatorTool },
  workflows: { myWorkflow },
})

// ── check (added by the test) ──
const names = myMcpServer
  .getToolListInfo()
  .tools.map((tool) => tool.name)
  .sort()
assert.deepEqual(names, ['ask_myAgent', 'calculatorTool', 'run_myWorkflow'])
assert.equal(myMcpServer.getServerInfo().id, 'my-mcp-server')
assert.equal(textOf(await myMcpServer.executeTool('calculatorTool', { a: 2, b: 3 })), '5')
await myMcpServer.close()
ok('000-mcp-server')
