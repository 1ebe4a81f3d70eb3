/**
 * `requireToolApproval` is enforced by MCPClient on every path to the server. The server counts
 * the calls that reach it: the counter must stay at zero until a human approves, whether the
 * tool came from listTools(), listToolsets(), a pool, or a detached `execute`.
 */
import { MCPClient, MCPClientPool, type MCPTool } from '@mcpkit/mcp-client-core'
import { createMCPTool, MCPServer } from '@mcpkit/mcp-server-core'
import { ApprovalQueue, isApprovalDenied } from '@mcpkit/tool-approval'
import {
  type ApprovalEvent,
  type ApprovalOptions,
  RequestContext,
  type RequireToolApproval,
} from '@mcpkit/types'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { expectMCPError, textOf } from '../support/helpers.js'
import { waitFor } from '../support/processes.js'
import { type Host, hostServer } from '../support/server-host.js'

let host: Host
/** Calls of `delete_item` that reached the server, with their arguments. */
const reached: Array<{ id: string }> = []

beforeAll(async () => {
  const server = new MCPServer({
    name: 'approval-target',
    version: '1.0.0',
    tools: {
      delete_item: createMCPTool({
        id: 'delete_item',
        description: 'Deletes an item',
        inputSchema: z.object({ id: z.string() }),
        annotations: { destructiveHint: true },
        execute: async ({ id }) => {
          reached.push({ id })
          return `deleted ${id}`
        },
      }),
      list_items: createMCPTool({
        id: 'list_items',
        description: 'Lists items',
        inputSchema: z.object({}),
        annotations: { readOnlyHint: true },
        execute: async () => 'a, b, c',
      }),
    },
  })
  host = await hostServer(server)
})

afterAll(async () => {
  await host?.close()
})

const clients: MCPClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.disconnect()))
  reached.length = 0
})

function newClient(
  approval: ApprovalOptions | undefined,
  requireToolApproval: RequireToolApproval = true,
): MCPClient {
  const client = new MCPClient({
    servers: { items: { url: host.mcpUrl, requireToolApproval } },
    ...(approval ? { approval } : {}),
  })
  clients.push(client)
  return client
}

async function pendingCount(queue: ApprovalQueue, count: number) {
  expect(await waitFor(async () => (await queue.pending()).length === count)).toBe(true)
  return queue.pending()
}

/** Every way a caller can get hold of the tool's execute. */
const paths: Record<string, (client: MCPClient) => Promise<MCPTool['execute']>> = {
  'listTools()': async (client) => (await client.listTools()).items_delete_item!.execute,
  'listToolsets()': async (client) => (await client.listToolsets()).items!.delete_item!.execute,
  'a spread copy': async (client) => {
    const copy = { ...(await client.listToolsets()).items!.delete_item! }
    return (input, context) => copy.execute(input, context)
  },
  'a detached execute': async (client) => {
    const { execute } = (await client.listTools()).items_delete_item!
    return execute
  },
}

describe('requireToolApproval is enforced by MCPClient', () => {
  for (const [path, executeOf] of Object.entries(paths)) {
    it(`holds a call from ${path} until it is approved`, async () => {
      const queue = new ApprovalQueue()
      const execute = await executeOf(newClient({ handler: queue, principal: 'alice' }))
      const call = execute({ id: 'x1' })
      const [request] = await pendingCount(queue, 1)
      expect(request).toMatchObject({
        toolName: 'delete_item',
        serverName: 'items',
        args: { id: 'x1' },
        principal: 'alice',
      })
      expect(reached).toEqual([])
      await queue.approve(request!.id, { principal: 'alice' })
      expect(textOf(await call)).toBe('deleted x1')
      expect(reached).toEqual([{ id: 'x1' }])
    })
  }

  it('holds a call from a pooled client', async () => {
    const queue = new ApprovalQueue()
    const pool = new MCPClientPool()
    const running = pool.withClient(
      'alice',
      ({ id }) =>
        new MCPClient({
          id,
          servers: { items: { url: host.mcpUrl, requireToolApproval: true } },
          approval: { handler: queue, principal: 'alice' },
        }),
      async (client) => (await client.listToolsets()).items!.delete_item!.execute({ id: 'p1' }),
    )
    const [request] = await pendingCount(queue, 1)
    expect(reached).toEqual([])
    await queue.deny(request!.id, { reason: 'not today' })
    const result = await running
    expect(isApprovalDenied(result)).toBe(true)
    expect(textOf(result)).toMatch(/not today/)
    expect(reached).toEqual([])
    await pool.close()
  })

  it('holds concurrent calls independently: each approval releases exactly its own call', async () => {
    const queue = new ApprovalQueue()
    const client = newClient({ handler: queue, principal: 'alice' })
    const { items } = await client.listToolsets()
    const ids = Array.from({ length: 12 }, (_, index) => `c${index}`)
    const calls = ids.map((id) => items!.delete_item!.execute({ id }))
    const pending = await pendingCount(queue, ids.length)
    expect(reached).toEqual([])

    const byArgs = new Map(pending.map((request) => [request.args.id as string, request.id]))
    // Approve the even ones, deny the odd ones, in reverse order.
    for (const id of [...ids].reverse()) {
      const index = Number(id.slice(1))
      if (index % 2 === 0) await queue.approve(byArgs.get(id)!)
      else await queue.deny(byArgs.get(id)!, { reason: 'odd' })
    }
    const results = await Promise.all(calls)
    results.forEach((result, index) => {
      if (index % 2 === 0) expect(textOf(result)).toBe(`deleted c${index}`)
      else expect(isApprovalDenied(result)).toBe(true)
    })
    expect(reached.map(({ id }) => id).sort()).toEqual(
      ids.filter((_, index) => index % 2 === 0).sort(),
    )
  })

  it('binds a decision to its principal: another user cannot approve the call', async () => {
    const queue = new ApprovalQueue()
    const client = newClient({ handler: queue, principal: 'alice' })
    const call = (await client.listTools()).items_delete_item!.execute({ id: 'b1' })
    const [request] = await pendingCount(queue, 1)
    await expectMCPError(queue.approve(request!.id, { principal: 'mallory' }), 'APPROVAL_FORBIDDEN')
    expect(reached).toEqual([])
    await queue.approve(request!.id, { principal: 'alice' })
    await call
    // The decision is spent: approving it again, or replaying the call, does not run anything.
    await expectMCPError(queue.approve(request!.id), 'APPROVAL_NOT_FOUND')
    const replay = (await client.listTools()).items_delete_item!.execute({ id: 'b1' })
    await pendingCount(queue, 1)
    expect(reached).toEqual([{ id: 'b1' }])
    const [again] = await queue.pending()
    await queue.deny(again!.id)
    expect(isApprovalDenied(await replay)).toBe(true)
    expect(reached).toEqual([{ id: 'b1' }])
  })

  it('denies (fails closed) when no approval handler is configured', async () => {
    const client = newClient(undefined)
    const result = await (await client.listTools()).items_delete_item!.execute({ id: 'n1' })
    expect(isApprovalDenied(result)).toBe(true)
    expect(textOf(result)).toMatch(/approval/)
    expect(reached).toEqual([])
  })

  it('denies an unanswered request when it expires', async () => {
    const queue = new ApprovalQueue()
    const events: ApprovalEvent[] = []
    const client = newClient({
      handler: queue,
      timeout: 150,
      onDecision: (event) => events.push(event),
    })
    const result = await (await client.listTools()).items_delete_item!.execute({ id: 'e1' })
    expect(isApprovalDenied(result)).toBe(true)
    expect(events.map((event) => event.outcome)).toEqual(['expired'])
    expect(reached).toEqual([])
  })

  it('decides per call with a function of the arguments and the request context', async () => {
    const decisions: ApprovalEvent[] = []
    const client = newClient(
      {
        handler: () => true,
        principal: (context) => context?.get('user') as string | undefined,
        onDecision: (event) => decisions.push(event),
      },
      ({ args, requestContext }) =>
        args.id === 'protected' && requestContext?.get('role') !== 'admin',
    )
    const tool = (await client.listTools()).items_delete_item!
    const admin = new RequestContext([
      ['user', 'root'],
      ['role', 'admin'],
    ])
    const member = new RequestContext([
      ['user', 'bob'],
      ['role', 'member'],
    ])
    await tool.execute({ id: 'protected' }, { requestContext: admin })
    await tool.execute({ id: 'protected' }, { requestContext: member })
    await tool.execute({ id: 'other' }, { requestContext: member })
    expect(decisions.map(({ outcome, principal }) => [outcome, principal])).toEqual([
      ['not-required', 'root'],
      ['approved', 'bob'],
      ['not-required', 'bob'],
    ])
    expect(await tool.approval.required({ id: 'protected' }, { requestContext: member })).toBe(true)
    expect(await tool.approval.required({ id: 'protected' }, { requestContext: admin })).toBe(false)
  })

  it('a per-tool map holds destructive tools and lets read-only ones through by default', async () => {
    const queue = new ApprovalQueue()
    const client = newClient({ handler: queue }, { tools: {} })
    const { items } = await client.listToolsets()
    expect(textOf(await items!.list_items!.execute({}))).toBe('a, b, c')
    expect(await items!.list_items!.approval.required({})).toBe(false)
    expect(await items!.delete_item!.approval.required({ id: 'm1' })).toBe(true)
    const call = items!.delete_item!.execute({ id: 'm1' })
    const [request] = await pendingCount(queue, 1)
    expect(reached).toEqual([])
    await queue.approve(request!.id)
    await call
    expect(reached).toEqual([{ id: 'm1' }])
  })

  it('rejects calls waiting for approval when the client disconnects, and sends nothing', async () => {
    const queue = new ApprovalQueue()
    const client = newClient({ handler: queue })
    const call = (await client.listTools()).items_delete_item!.execute({ id: 'd1' })
    const [request] = await pendingCount(queue, 1)
    const rejected = expectMCPError(call, 'DISCONNECTED')
    await client.disconnect()
    await rejected
    await expectMCPError(queue.approve(request!.id), 'APPROVAL_NOT_FOUND')
    expect(reached).toEqual([])
  })

  it('reports invalid approval settings at construction', () => {
    expect(() => newClient({ timeout: -5 })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIGURATION' }),
    )
  })

  it('an aborted call stops waiting and is not sent', async () => {
    const queue = new ApprovalQueue()
    const client = newClient({ handler: queue })
    const controller = new AbortController()
    const call = (await client.listTools()).items_delete_item!.execute(
      { id: 'a1' },
      { signal: controller.signal },
    )
    await pendingCount(queue, 1)
    const rejected = expectMCPError(call, 'ABORTED')
    controller.abort()
    await rejected
    // Nobody is asked about a call that is gone.
    await pendingCount(queue, 0)
    expect(reached).toEqual([])
  })
})
