// ESM: MCPClient with requireToolApproval and an ApprovalQueue from @mcpkit/tool-approval; a
// held call runs only once the queue approves it, a denied one does not run.
import assert from 'node:assert/strict'
import { MCPClient } from '@mcpkit/mcp-client-core'
import { ApprovalQueue, isApprovalDenied } from '@mcpkit/tool-approval'

const serverScript = process.env.MCPKIT_SMOKE_STDIO_SERVER
assert.ok(serverScript, 'MCPKIT_SMOKE_STDIO_SERVER names the stdio server script')

const queue = new ApprovalQueue()
const events = []
const mcp = new MCPClient({
  servers: {
    notes: {
      command: process.execPath,
      args: [serverScript],
      requireToolApproval: ({ toolName }) => toolName === 'delete_note',
    },
  },
  approval: { handler: queue, principal: 'user-1', onDecision: (event) => events.push(event) },
})

/** Waits until the queue holds a pending request, then settles it. */
async function settleNext(decision) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const [request] = await queue.pending()
    if (request) {
      assert.equal(request.toolName, 'delete_note')
      assert.equal(request.principal, 'user-1')
      if (decision === 'approve') await queue.approve(request.id, { by: 'reviewer' })
      else await queue.deny(request.id, { reason: 'not today', by: 'reviewer' })
      return request
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error('no approval request appeared')
}

try {
  const tools = await mcp.listTools()
  // Not held by the policy: runs at once.
  assert.deepEqual(await tools.notes_add.execute({ a: 1, b: 2 }), { sum: 3 })

  const approved = tools.notes_delete_note.execute({ id: 'n-1' })
  const request = await settleNext('approve')
  assert.equal(request.args.id, 'n-1')
  assert.deepEqual((await approved).content, [{ type: 'text', text: 'deleted note n-1' }])

  const denied = tools.notes_delete_note.execute({ id: 'n-2' })
  await settleNext('deny')
  const result = await denied
  assert.ok(isApprovalDenied(result), 'a denied call resolves with the denial, not the tool')
  assert.deepEqual(
    events.map((event) => event.outcome),
    ['not-required', 'approved', 'denied'],
  )
} finally {
  await mcp.disconnect()
}
console.log('SMOKE OK client-approval/main.mjs')
