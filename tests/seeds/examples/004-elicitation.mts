// Seed 004 (MCPServer reference), "Using Elicitation in Tools" (collectContactInfo).
import { createMCPTool, MCPClient, MCPServer } from '@mcpkit/mcp' // CHANGED: was "@mastra/mcp"; MCPClient for the check
import { z } from 'zod'
import { assert, ok, serveForCheck, textOf } from './check.mjs'

const server = new MCPServer({
  name: 'Interactive Server',
  version: '1.0.0',
  tools: {
    collectContactInfo: createMCPTool({
      id: 'collectContactInfo',
      description: 'Collects user contact information through elicitation',
      inputSchema: z.object({
        reason: z.string().optional().describe('Reason for collecting contact info'),
      }),
      // CHANGED: was `(params, { context, elicitation, extra })`; mcpkit's second argument has no
      // `context` (the input is `params` itself)
      execute: async (params, { elicitation, extra }) => {
        const { reason } = params

        // 利用可能であればセッション情報をログ出力
        console.log('Request from session:', extra?.sessionId)

        try {
          // Elicitation 経由でユーザー入力をリクエスト
          const result = await elicitation.sendRequest({
            message: reason
              ? `Please provide your contact information. ${reason}`
              : 'Please provide your contact information',
            requestedSchema: {
              type: 'object',
              properties: {
                name: {
                  type: 'string',
                  title: 'Full Name',
                  description: 'Your full name',
                },
                email: {
                  type: 'string',
                  title: 'Email Address',
                  description: 'Your email address',
                  format: 'email',
                },
                phone: {
                  type: 'string',
                  title: 'Phone Number',
                  description: 'Your phone number (optional)',
                },
              },
              required: ['name', 'email'],
            },
          })

          // ユーザーのレスポンスを処理
          if (result.action === 'accept') {
            return `Contact information collected: ${JSON.stringify(result.content, null, 2)}`
          } else if (result.action === 'decline') {
            return 'Contact information collection was declined by the user.'
          } else {
            return 'Contact information collection was cancelled by the user.'
          }
        } catch (error) {
          return `Error collecting contact information: ${error}`
        }
      },
    }),
  },
})

// ── check (added by the test): a client answers the elicitation, once accepting, once declining ──
const served = await serveForCheck(server)
const client = new MCPClient({ servers: { interactive: { url: served.url } } })
let answer: 'accept' | 'decline' = 'accept'
client.elicitation.onRequest('interactive', async (request) => {
  assert.equal(request.message, 'Please provide your contact information. for the test')
  return answer === 'accept'
    ? { action: 'accept', content: { name: 'Ada', email: 'ada@example.com' } }
    : { action: 'decline' }
})
const tools = await client.listTools()
const accepted = textOf(
  await tools.interactive_collectContactInfo!.execute({ reason: 'for the test' }),
)
assert.match(accepted, /^Contact information collected: \{\n {2}"name": "Ada"/)
answer = 'decline'
const declined = textOf(
  await tools.interactive_collectContactInfo!.execute({ reason: 'for the test' }),
)
assert.equal(declined, 'Contact information collection was declined by the user.')
await client.disconnect()
await served.close()
ok('004-elicitation')
