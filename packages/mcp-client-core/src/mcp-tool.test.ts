import type { RequireToolApproval, ToolExecutionContext } from '@mcpkit/types'
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

function tool(
  caller: ToolCaller,
  { requireApproval }: { requireApproval: RequireToolApproval | undefined } = {
    requireApproval: true,
  },
): MCPTool {
  return buildTool({
    id: 's_delete',
    serverName: 's',
    definition: { name: 'delete', inputSchema: { type: 'object' } },
    requireApproval,
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

describe('buildTool: a server that holds no call', () => {
  it.each([undefined, false])(
    'never holds a call of a tool (requireToolApproval %s)',
    async (policy) => {
      const { caller, calls } = fakeCaller()
      caller.needsApproval = () => Promise.reject(new Error('asked'))
      const [first, second] = [0, 1].map(() => tool(caller, { requireApproval: policy })) as [
        MCPTool,
        MCPTool,
      ]
      expect(first.requireApproval).toBe(policy)
      expect(first.approval.policy).toBe(policy)
      expect(await first.approval.required({ id: 'held' })).toBe(false)
      expect(await first.needsApprovalFn({ id: 'held' }, { requestContext: { user: 'ada' } })).toBe(
        false,
      )
      await first.execute({ id: 'held' }, { requestContext: { user: 'ada' } })
      expect(calls[0]?.context.approvedBy).toBeUndefined()
      // Nothing per tool to decide: every such tool has the same two functions.
      expect(second.needsApprovalFn).toBe(first.needsApprovalFn)
      expect(second.approval).toBe(first.approval)
    },
  )
})

describe('buildTool: the tool object', () => {
  it('has the own properties of an object literal, in order, inputZodSchema a getter', () => {
    const { caller } = fakeCaller()
    const deleteTool = tool(caller)
    expect(Object.keys(deleteTool)).toEqual([
      'id',
      'name',
      'serverName',
      'title',
      'description',
      'inputSchema',
      'outputSchema',
      'annotations',
      'requireApproval',
      'approval',
      'needsApprovalFn',
      'toModelOutput',
      'definition',
      'inputZodSchema',
      'execute',
    ])
    const getter = Object.getOwnPropertyDescriptor(deleteTool, 'inputZodSchema')
    expect(getter).toMatchObject({ set: undefined, enumerable: true, configurable: true })
    expect(typeof getter?.get).toBe('function')
    expect(Object.getOwnPropertyDescriptor(deleteTool, 'execute')).toMatchObject({
      writable: true,
      enumerable: true,
      configurable: true,
    })
  })

  it('builds inputZodSchema once per tool, reached through a copy or a proxy too', () => {
    const { caller } = fakeCaller()
    const first = tool(caller)
    const second = tool(caller)
    const schema = first.inputZodSchema
    expect(first.inputZodSchema).toBe(schema)
    expect(second.inputZodSchema).not.toBe(schema)
    const copy = Object.defineProperties({}, Object.getOwnPropertyDescriptors(first)) as MCPTool
    expect(copy.inputZodSchema).toBe(schema)
    expect(new Proxy(first, {}).inputZodSchema).toBe(schema)
    expect({ ...first }.inputZodSchema).toBe(schema)
  })
})
