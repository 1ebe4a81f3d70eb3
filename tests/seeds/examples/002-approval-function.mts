// Seed 002 (MCPClient reference), "Tool approval" → "Dynamic approval with a function".
import { MCPClient, RequestContext } from '@mcpkit/mcp' // CHANGED: was '@mastra/mcp' (the seed omits the import)
import { assert, ok } from './check.mjs'

const mcp = new MCPClient({
  servers: {
    github: {
      url: new URL(process.env.SEED_HTTP_URL!), // CHANGED: was http://localhost:3000/mcp; the test's local server
      requireToolApproval: ({ toolName, args, requestContext }) => {
        // Read-only tools don't need approval
        if (toolName === 'list_repos') return false
        // Destructive tools with force flag always need approval
        if (toolName === 'delete_repo') return args.force === true
        // Non-admin users need approval for everything else
        // CHANGED: was `requestContext?.userRole`; mcpkit passes the RequestContext itself (Map-like), not a plain object
        return requestContext?.get('userRole') !== 'admin'
      },
    },
  },
})

// ── check (added by the test) ──
// `approval.required` asks the policy only; `execute` would then wait for `approval.handler`.
const tools = await mcp.listTools()
const admin = new RequestContext({ userRole: 'admin' })
const member = new RequestContext({ userRole: 'member' })
assert.equal(await tools.github_list_repos!.approval.required({}), false)
assert.equal(await tools.github_delete_repo!.approval.required({ name: 'x', force: true }), true)
assert.equal(await tools.github_delete_repo!.approval.required({ name: 'x' }), false)
assert.equal(
  await tools.github_echo!.approval.required({ message: 'hi' }, { requestContext: admin }),
  false,
)
assert.equal(
  await tools.github_echo!.approval.required({ message: 'hi' }, { requestContext: member }),
  true,
)
console.log('policy decisions as the seed describes them')
await mcp.disconnect()
ok('002-approval-function')
