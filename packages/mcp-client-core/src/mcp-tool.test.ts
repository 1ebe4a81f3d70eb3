import type { ToolExecutionContext } from '@mcpkit/types'
import { describe, expect, it } from 'vitest'
import { buildTool, type MCPTool, type ToolCaller } from './mcp-tool.js'

/** A caller that holds every call whose `id` is `held`, and records what `execute` passed on. */
function fakeCaller() {
  const calls: { input: Record<string, unknown>; context: ToolExecutionContext }[] = []
  const caller: ToolCaller = {
    callTool: async (_tool: MCPTool, input, context) => {
      calls.push({ input, context })
      return 'ok'
    },
    needsApproval: async (_tool, input) => input.id === 'held',
    approvalPrincipal: (requestContext) => String(requestContext?.get('user') ?? 'anonymous'),
  }
  return { caller, calls }
}

function tool(caller: ToolCaller): MCPTool {
  return buildTool({
    id: 's_delete',
    serverName: 's',
    definition: { name: 'delete', inputSchema: { type: 'object' } },
    requireApproval: true,
    caller,
    log: () => {},
  })
}

describe('buildTool: the calls Mastra asked about (needsApprovalFn, then execute)', () => {
  it('passes a call nobody asked about on as it came', async () => {
    const { caller, calls } = fakeCaller()
    const context = { runId: 'r1' }
    await tool(caller).execute({ id: 'held' }, context)
    expect(calls[0]?.context).toBe(context)
  })

  it('marks a held call Mastra asked about as approved by Mastra, once', async () => {
    const { caller, calls } = fakeCaller()
    const deleteTool = tool(caller)
    const requestContext = { user: 'ada' }
    expect(await deleteTool.needsApprovalFn({ id: 'held' }, { requestContext })).toBe(true)
    expect(await deleteTool.needsApprovalFn({ id: 'free' }, { requestContext })).toBe(false)
    await deleteTool.execute({ id: 'free' }, { requestContext })
    await deleteTool.execute({ id: 'held' }, { requestContext: { user: 'bob' } })
    await deleteTool.execute({ id: 'held' }, { requestContext })
    await deleteTool.execute({ id: 'held' }, { requestContext })
    expect(calls.map((call) => call.context.approvedBy)).toEqual([
      undefined, // not held: no ticket
      undefined, // another principal
      'mastra',
      undefined, // spent
    ])
  })

  it('keeps an approval the caller gave', async () => {
    const { caller, calls } = fakeCaller()
    const deleteTool = tool(caller)
    await deleteTool.needsApprovalFn({ id: 'held' })
    await deleteTool.execute({ id: 'held' }, { approvedBy: 'ops' })
    await deleteTool.execute({ id: 'held' })
    expect(calls.map((call) => call.context.approvedBy)).toEqual(['ops', 'mastra'])
  })
})
