import type { ApprovalEvent, ApprovalRequest, Tool, ToolExecutionContext } from '@mcpkit/types'
import { RequestContext } from '@mcpkit/types'
import { describe, expect, it, vi } from 'vitest'
import { isApprovalDenied } from './denied-result.js'
import { ApprovalQueue } from './queue.js'
import { withApproval } from './with-approval.js'

function deleteTool() {
  const runs: Array<{ input: Record<string, unknown>; context: ToolExecutionContext | undefined }> =
    []
  const tool: Tool<Record<string, unknown>, string> & { label: string } = {
    id: 'delete_note',
    description: 'Deletes a note',
    inputSchema: { type: 'object', properties: { id: { type: 'string' } } },
    annotations: { destructiveHint: true },
    label: 'Delete',
    async execute(input, context) {
      runs.push({ input, context })
      return `deleted ${String(input.id)}`
    },
  }
  return { tool, runs }
}

describe('withApproval', () => {
  it('returns a new tool and leaves the original untouched', () => {
    const { tool } = deleteTool()
    const originalExecute = tool.execute
    const frozen = Object.freeze({ ...tool })
    const wrapped = withApproval(frozen, { policy: true })
    expect(wrapped).not.toBe(frozen)
    expect(frozen.execute).toBe(originalExecute)
    expect('needsApproval' in frozen).toBe(false)
    expect(wrapped).toMatchObject({
      id: 'delete_note',
      description: 'Deletes a note',
      label: 'Delete',
      annotations: { destructiveHint: true },
    })
    expect(wrapped.inputSchema).toBe(tool.inputSchema)
    expect(typeof wrapped.needsApproval).toBe('function')
  })

  it('keeps getters and class prototypes working', async () => {
    let built = 0
    const withGetter = {
      id: 'lazy',
      description: '',
      inputSchema: {},
      get schemaCopy() {
        built++
        return { built }
      },
      execute: async () => 'ok',
    }
    const wrapped = withApproval(withGetter, { policy: false })
    expect(wrapped.schemaCopy).toEqual({ built: 1 })

    class SearchTool implements Tool<{ q: string }, string> {
      readonly id = 'search'
      readonly description = 'Searches'
      readonly inputSchema = {}
      prefix() {
        return 'found'
      }
      async execute(input: { q: string }) {
        return `${this.prefix()} ${input.q}`
      }
    }
    const search = withApproval(new SearchTool(), { policy: false })
    expect(search.prefix()).toBe('found')
    expect(await search.execute({ q: 'mcp' })).toBe('found mcp')
  })

  it('runs the tool when the gate allows, passing input and context through', async () => {
    const { tool, runs } = deleteTool()
    const requestContext = new RequestContext({ principal: 'alice' })
    const requests: ApprovalRequest[] = []
    const wrapped = withApproval(tool, {
      policy: true,
      handler: (request) => {
        requests.push(request)
        return true
      },
      serverName: 'local',
    })
    const context = { requestContext, runId: 'run-1' }
    expect(await wrapped.execute({ id: 'n1' }, context)).toBe('deleted n1')
    expect(runs).toEqual([{ input: { id: 'n1' }, context }])
    expect(requests[0]).toMatchObject({
      toolName: 'delete_note',
      serverName: 'local',
      principal: 'alice',
      annotations: { destructiveHint: true },
    })
  })

  it('resolves (does not throw) with the denial, and the tool does not run', async () => {
    const { tool, runs } = deleteTool()
    const wrapped = withApproval(tool, {
      policy: true,
      handler: () => ({ approved: false, reason: 'no' }),
    })
    const result = await wrapped.execute({ id: 'n1' })
    expect(isApprovalDenied(result)).toBe(true)
    expect(result).toMatchObject({
      isError: true,
      content: [
        { type: 'text', text: 'The call to "delete_note" was denied: no. It did not run.' },
      ],
    })
    expect(runs).toEqual([])
  })

  it('without a handler, denies and says to configure `handler`', async () => {
    const { tool, runs } = deleteTool()
    const result = await withApproval(tool, { policy: true }).execute({ id: 'n1' })
    expect(isApprovalDenied(result) && result.content[0].text).toMatch(/`handler`/)
    expect(runs).toEqual([])
  })

  it("uses the context's signal: aborting a waiting call denies it", async () => {
    const { tool, runs } = deleteTool()
    const queue = new ApprovalQueue()
    const wrapped = withApproval(tool, { policy: true, handler: queue })
    const controller = new AbortController()
    const running = wrapped.execute({ id: 'n1' }, { signal: controller.signal })
    await vi.waitFor(async () => expect(await queue.pending()).toHaveLength(1))
    controller.abort()
    const result = await running
    expect(isApprovalDenied(result) && result._meta['mcpkit/approval'].reason).toBe('aborted')
    expect(runs).toEqual([])
  })

  it('uses toolName for policy maps (default: the tool id) and honours readOnlyHint', async () => {
    const events: ApprovalEvent[] = []
    const { tool } = deleteTool()
    const policy = { tools: { remove: true } }
    const renamed = withApproval(tool, {
      policy,
      toolName: 'remove',
      handler: () => false,
      onDecision: (event) => events.push(event),
    })
    expect(isApprovalDenied(await renamed.execute({ id: 'n1' }))).toBe(true)
    const readOnly = withApproval(
      { ...tool, id: 'read_note', annotations: { readOnlyHint: true } },
      { policy, handler: () => false, onDecision: (event) => events.push(event) },
    )
    expect(await readOnly.execute({ id: 'n1' })).toBe('deleted n1')
    expect(events.map(({ toolName, outcome }) => [toolName, outcome])).toEqual([
      ['remove', 'denied'],
      ['read_note', 'not-required'],
    ])
  })

  it('wraps a scalar input so policies and digests still get an object', async () => {
    const echo: Tool<string, string> = {
      id: 'echo',
      description: '',
      inputSchema: {},
      execute: async (input) => input,
    }
    const seen: unknown[] = []
    const wrapped = withApproval(echo, {
      policy: ({ args }) => {
        seen.push(args)
        return false
      },
    })
    expect(await wrapped.execute('hi')).toBe('hi')
    expect(seen).toEqual([{ input: 'hi' }])
  })

  describe('needsApproval', () => {
    it('answers from the policy, with the request context, without asking anyone', async () => {
      const { tool, runs } = deleteTool()
      const handler = vi.fn(() => true)
      const wrapped = withApproval(tool, {
        policy: ({ args, principal }) => args.id !== 'draft' && principal !== 'admin',
        handler,
      })
      expect(await wrapped.needsApproval({ id: 'n1' })).toBe(true)
      expect(await wrapped.needsApproval({ id: 'draft' })).toBe(false)
      const admin = new RequestContext({ principal: 'admin' })
      expect(await wrapped.needsApproval({ id: 'n1' }, { requestContext: admin })).toBe(false)
      expect(await wrapped.needsApproval({ id: 'n1' }, { experimental_context: admin })).toBe(false)
      expect(
        await wrapped.needsApproval({ id: 'n1' }, { experimental_context: { principal: 'admin' } }),
      ).toBe(true)
      expect(handler).not.toHaveBeenCalled()
      expect(runs).toEqual([])
    })
  })
})
