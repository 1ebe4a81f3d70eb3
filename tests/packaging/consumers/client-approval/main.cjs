// CommonJS: withApproval() from @mcpkit/tool-approval around a tool of MCPClient, decided by a
// callback per call.
const assert = require('node:assert/strict')
const { MCPClient } = require('@mcpkit/mcp-client-core')
const { isApprovalDenied, withApproval } = require('@mcpkit/tool-approval')

async function main() {
  const serverScript = process.env.MCPKIT_SMOKE_STDIO_SERVER
  assert.ok(serverScript, 'MCPKIT_SMOKE_STDIO_SERVER names the stdio server script')
  const mcp = new MCPClient({
    servers: { notes: { command: process.execPath, args: [serverScript], stderr: 'ignore' } },
  })
  try {
    const { notes } = await mcp.listToolsets()
    const asked = []
    const guarded = withApproval(notes.delete_note, {
      policy: true,
      principal: 'user-2',
      handler: (request) => {
        asked.push(request.args.id)
        return request.args.id !== 'protected'
      },
    })
    assert.equal(await guarded.needsApproval({ id: 'x' }), true)
    const allowed = await guarded.execute({ id: 'n-3' })
    assert.deepEqual(allowed.content, [{ type: 'text', text: 'deleted note n-3' }])
    const refused = await guarded.execute({ id: 'protected' })
    assert.ok(isApprovalDenied(refused), 'the refused call resolves with the denial')
    assert.deepEqual(asked, ['n-3', 'protected'])
  } finally {
    await mcp.disconnect()
  }
  console.log('SMOKE OK client-approval/main.cjs')
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
