// TypeScript (ESM): the approval types of both packages fit together under skipLibCheck: false.
import assert from 'node:assert/strict'
import { MCPClient, type MCPClientOptions } from '@mcpkit/mcp-client-core'
import {
  type ApprovalCallback,
  type ApprovalEvent,
  isApprovalDenied,
  type RequireToolApproval,
} from '@mcpkit/tool-approval'

const serverScript = process.env.MCPKIT_SMOKE_STDIO_SERVER
if (!serverScript) throw new Error('MCPKIT_SMOKE_STDIO_SERVER names the stdio server script')

// A per-tool policy map: destructive tools need approval, the rest do not.
const policy: RequireToolApproval = { tools: { delete_note: true }, default: false }
const handler: ApprovalCallback = (request) => ({
  approved: false,
  reason: `${request.toolName} is not allowed in this test`,
})
const decisions: ApprovalEvent[] = []
const options: MCPClientOptions = {
  servers: {
    notes: {
      command: process.execPath,
      args: [serverScript],
      stderr: 'ignore',
      requireToolApproval: policy,
    },
  },
  approval: { handler, onDecision: (event) => decisions.push(event) },
}
const mcp = new MCPClient(options)
try {
  const tools = await mcp.listTools()
  const remove = tools.notes_delete_note
  if (!remove) throw new Error('notes_delete_note is not listed')
  assert.equal(await remove.approval.required({ id: 'n-9' }), true)
  const result = await remove.execute({ id: 'n-9' })
  assert.ok(isApprovalDenied(result))
  assert.equal(decisions.at(-1)?.outcome, 'denied')
} finally {
  await mcp.disconnect()
}
console.log('SMOKE OK client-approval/main.mts')
