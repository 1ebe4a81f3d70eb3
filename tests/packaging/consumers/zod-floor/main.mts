// TypeScript (ESM, skipLibCheck: false) against zod 4.2.0's own declarations: mcpkit's typings
// must compile with the lowest zod the peer range allows, and infer tool inputs from it.
import assert from 'node:assert/strict'
import type { MCPTool } from '@mcpkit/mcp-client-core'
import { createMCPTool, MCPServer, type ToolInfo } from '@mcpkit/mcp-server-core'
import { z } from 'zod'

const inputSchema = z.object({ city: z.string(), days: z.number().int().min(1).max(7) })
const forecast = createMCPTool({
  id: 'forecast',
  description: 'Weather forecast',
  inputSchema,
  execute: async ({ city, days }) => {
    const label: string = city // typed from the zod 4.2.0 schema
    const count: number = days
    return `${label}: ${count} days of sun`
  },
})
const server = new MCPServer({ name: 'zod-floor-ts', version: '1.0.0', tools: { forecast } })
const info: ToolInfo | undefined = server.getToolListInfo().tools[0]
assert.deepEqual(Object.keys(info?.inputSchema.properties ?? {}).sort(), ['city', 'days'])
const result = await server.executeTool('forecast', { city: 'Oslo', days: 2 })
assert.deepEqual(result.content, [{ type: 'text', text: 'Oslo: 2 days of sun' }])
await server.close()

// The client's inputZodSchema is typed with the app's zod: usable where its zod schemas are.
const parsesWith = (schema: z.ZodType, value: unknown): boolean => schema.safeParse(value).success
const zodOf = (tool: MCPTool): z.ZodType => tool.inputZodSchema
assert.equal(typeof zodOf, 'function')
assert.equal(parsesWith(inputSchema, { city: 'Oslo', days: 8 }), false)
console.log('SMOKE OK zod-floor/main.mts')
