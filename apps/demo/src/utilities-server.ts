import { createMCPTool, MCPServer } from '@mcpkit/mcp-server-core'
import { z } from 'zod'
import { evaluate } from './calculator.js'

/**
 * The demo's second MCP server: stateless utilities that need no user credentials, run as a
 * child process over stdio (see `utilities-stdio.ts`).
 */
export function createUtilitiesServer(): MCPServer {
  return new MCPServer({
    name: 'demo-utilities',
    version: '1.0.0',
    description: 'Clock and calculator for the mcpkit demo',
    tools: {
      current_time: createMCPTool({
        id: 'current_time',
        description:
          'The current date and time, optionally in an IANA time zone such as "Europe/Paris".',
        inputSchema: z.object({
          timeZone: z.string().max(64).optional().describe('IANA time zone; default UTC'),
        }),
        outputSchema: z.object({ iso: z.string(), timeZone: z.string(), formatted: z.string() }),
        annotations: { title: 'Current time', readOnlyHint: true, openWorldHint: false },
        execute: async ({ timeZone = 'UTC' }) => {
          const now = new Date()
          let formatted: string
          try {
            formatted = new Intl.DateTimeFormat('en-GB', {
              dateStyle: 'full',
              timeStyle: 'long',
              timeZone,
            }).format(now)
          } catch {
            throw new Error(
              `Unknown time zone "${timeZone}": use an IANA name such as "UTC" or "America/New_York".`,
            )
          }
          return { iso: now.toISOString(), timeZone, formatted }
        },
      }),
      calculate: createMCPTool({
        id: 'calculate',
        description: 'Evaluates an arithmetic expression with + - * / % ^ and parentheses.',
        inputSchema: z.object({ expression: z.string().min(1).max(200) }),
        outputSchema: z.object({ expression: z.string(), value: z.number() }),
        annotations: { title: 'Calculator', readOnlyHint: true, openWorldHint: false },
        execute: async ({ expression }) => ({ expression, value: evaluate(expression) }),
      }),
      server_info: createMCPTool({
        id: 'server_info',
        description:
          'Process id and uptime of the utilities server (lets the demo check its cleanup).',
        inputSchema: z.object({}),
        outputSchema: z.object({ pid: z.number(), uptimeSeconds: z.number() }),
        annotations: { title: 'Server info', readOnlyHint: true, openWorldHint: false },
        execute: async () => ({ pid: process.pid, uptimeSeconds: Math.round(process.uptime()) }),
      }),
    },
  })
}
