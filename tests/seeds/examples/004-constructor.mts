// Seed 004 (MCPServer reference), "コンストラクター" (constructor) example.

import { createMCPTool, MCPServer } from '@mcpkit/mcp' // CHANGED: was '@mastra/mcp'
import { z } from 'zod'
import { assert, ok, textOf } from './check.mjs'
import { Agent, openai, workflow } from './mastra-stand-ins.mjs' // CHANGED: was '@ai-sdk/openai' and '@mastra/core/agent'; stand-ins (no model)

// CHANGED: was `import { dataProcessingWorkflow } from "../workflows/dataProcessingWorkflow"`; a stand-in workflow
const dataProcessingWorkflow = workflow({
  id: 'dataProcessingWorkflow',
  description: 'Processes a batch of records',
  inputSchema: z.object({ records: z.array(z.string()) }),
})

const myAgent = new Agent({
  name: 'MyExampleAgent',
  description: 'A generalist to help with basic questions.', // CHANGED: added the missing comma
  instructions: 'You are a helpful assistant.',
  model: openai('gpt-4o-mini'),
})

const weatherTool = createMCPTool({
  id: 'getWeather',
  description: 'Gets the current weather for a location.',
  inputSchema: z.object({ location: z.string() }),
  // CHANGED: was `async ({ context }) => ... context.location`; mcpkit passes the validated input itself
  execute: async ({ location }) => `Weather in ${location} is sunny.`,
})

const server = new MCPServer({
  name: 'My Custom Server',
  version: '1.0.0',
  tools: { weatherTool },
  agents: { myAgent }, // このエージェントはツール "ask_myAgent" になります
  workflows: {
    dataProcessingWorkflow, // このワークフローはツール "run_dataProcessingWorkflow" になります
  },
})

// ── check (added by the test) ──
const names = server
  .getToolListInfo()
  .tools.map((tool) => tool.name)
  .sort()
assert.deepEqual(names, ['ask_myAgent', 'getWeather', 'run_dataProcessingWorkflow'])
const weather = await server.executeTool('getWeather', { location: 'Kyoto' })
assert.equal(textOf(weather), 'Weather in Kyoto is sunny.')
await server.executeTool('ask_myAgent', { message: 'hello' })
const run = await server.executeTool('run_dataProcessingWorkflow', { records: ['a', 'b'] })
console.log(textOf(run))
await server.close()
ok('004-constructor')
