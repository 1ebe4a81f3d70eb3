/**
 * A small `MCPServer` for the protocol-era tests: tools that ask the client through every
 * channel mcpkit offers (elicitation, sampling, roots, `suspend()`), count how often their
 * `execute` ran and what they did before and after asking, prompts in both shapes, and
 * resources with cache hints. Built only with `MCPServer`'s public API.
 */
import { createMCPTool, MCPServer, type MCPServerConfig } from '@mcpkit/mcp-server-core'
import { z } from 'zod'

const NAME_FORM = {
  type: 'object' as const,
  properties: { name: { type: 'string' as const } },
  required: ['name'],
}

/** What the tools did, for assertions. */
export interface ErasLedger {
  /** `execute` runs per tool. */
  runs: Record<string, number>
  /** Side effects done after the last question (the safe place): one per completed call. */
  bookings: string[]
}

export function createErasServer(options: Partial<MCPServerConfig> = {}): {
  server: MCPServer
  ledger: ErasLedger
} {
  const ledger: ErasLedger = { runs: {}, bookings: [] }
  const ran = (tool: string) => {
    ledger.runs[tool] = (ledger.runs[tool] ?? 0) + 1
  }
  const server = new MCPServer({
    name: 'eras',
    version: '1.0.0',
    cacheHints: { ttlMs: 60_000, 'tools/list': { cacheScope: 'public' } },
    ...options,
    tools: {
      whoami: createMCPTool({
        id: 'whoami',
        description: 'Who is asking, and over which session',
        inputSchema: z.object({}),
        execute: async (_input, { extra }) => ({
          sessionId: extra.sessionId ?? null,
          principal: extra.authInfo?.extra?.sub ?? extra.authInfo?.clientId ?? null,
        }),
      }),
      greet: createMCPTool({
        id: 'greet',
        description: 'Asks the user for a name, then greets them',
        inputSchema: z.object({ greeting: z.string().default('Hello') }),
        execute: async ({ greeting }, { elicitation }) => {
          ran('greet')
          const answer = await elicitation.sendRequest({
            message: 'What is your name?',
            requestedSchema: NAME_FORM,
          })
          if (answer.action !== 'accept') return `${greeting}, stranger (${answer.action})`
          return `${greeting}, ${String(answer.content?.name)}!`
        },
      }),
      order: createMCPTool({
        id: 'order',
        description: 'Asks for a dish, then for a table, then books (after the last question)',
        inputSchema: z.object({ restaurant: z.string() }),
        execute: async ({ restaurant }, { elicitation }) => {
          ran('order')
          const dish = await elicitation.sendRequest({
            message: 'Which dish?',
            requestedSchema: {
              type: 'object',
              properties: { dish: { type: 'string' } },
              required: ['dish'],
            },
          })
          const table = await elicitation.sendRequest({
            message: `Which table for ${String(dish.content?.dish)}?`,
            requestedSchema: {
              type: 'object',
              properties: { table: { type: 'number' } },
              required: ['table'],
            },
          })
          // The side effect comes after the last question: it runs once per call on either era.
          const booking = `${restaurant}: ${String(dish.content?.dish)} at table ${String(table.content?.table)}`
          ledger.bookings.push(booking)
          return booking
        },
      }),
      deliver: createMCPTool({
        id: 'deliver',
        description: 'Suspends for a delivery address (the @mastra/mcp 2.x spelling)',
        inputSchema: z.object({ orderId: z.string() }),
        resumeSchema: z.object({ address: z.string() }),
        execute: async ({ orderId }, context) => {
          ran('deliver')
          if (!context.resumeData) {
            await context.suspend({ message: `Delivery address for ${orderId}?`, orderId })
            return
          }
          const payload = context.suspendPayload as { orderId?: string }
          return `order ${payload.orderId} goes to ${context.resumeData.address}`
        },
      }),
      summarize: createMCPTool({
        id: 'summarize',
        description: "Asks the client's LLM and its roots",
        inputSchema: z.object({}),
        execute: async (_input, { sampling, roots }) => {
          const [completion, listed] = await Promise.all([
            sampling.createMessage({
              messages: [{ role: 'user', content: { type: 'text', text: 'Summarize' } }],
              maxTokens: 20,
            }),
            roots.list(),
          ])
          const text = (completion.content as { text?: string }).text
          return `${text} over ${listed.roots.map((root) => root.uri).join(', ')}`
        },
      }),
      chatty: createMCPTool({
        id: 'chatty',
        description: 'Logs and reports progress',
        inputSchema: z.object({}),
        execute: async (_input, { log, progress }) => {
          await log('info', 'chatty started')
          await progress(1, 2, 'half way')
          await log('debug', 'chatty detail')
          await progress(2, 2, 'done')
          return 'chatted'
        },
      }),
      ...options.tools,
    },
    prompts: {
      listPrompts: () => [
        { name: 'bare', description: 'Returns a bare PromptMessage[]' },
        { name: 'wrapped', description: 'Returns { prompt, messages }' },
        { name: 'asks', description: 'Asks the user for a topic first' },
      ],
      getPromptMessages: async ({ name, elicitation }) => {
        if (name === 'bare') {
          return [{ role: 'user', content: { type: 'text', text: 'bare prompt' } }]
        }
        if (name === 'wrapped') {
          return {
            prompt: { name: 'wrapped', description: 'described by the handler' },
            messages: [{ role: 'user', content: { type: 'text', text: 'wrapped prompt' } }],
          }
        }
        const topic = await elicitation.sendRequest({
          message: 'Which topic?',
          requestedSchema: {
            type: 'object',
            properties: { topic: { type: 'string' } },
            required: ['topic'],
          },
        })
        return [
          {
            role: 'user',
            content: { type: 'text', text: `about ${String(topic.content?.topic)}` },
          },
        ]
      },
    },
    resources: {
      listResources: () => [
        { uri: 'note://shared', name: 'shared', mimeType: 'text/plain' },
        { uri: 'note://mine', name: 'mine', mimeType: 'text/plain' },
      ],
      getResourceContent: ({ uri, extra }) =>
        uri === 'note://shared'
          ? { text: 'for everyone', cacheHint: { cacheScope: 'public', ttlMs: 5000 } }
          : { text: `for ${String(extra.authInfo?.clientId ?? 'anonymous')}` },
    },
  })
  return { server, ledger }
}
