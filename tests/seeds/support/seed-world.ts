/**
 * The servers the seeds' examples talk to instead of the URLs in the documentation: one
 * `MCPServer` in the test process, served on 127.0.0.1 over Streamable HTTP (`/mcp`) and legacy
 * SSE (`/sse` + `/message`), with the tools, resources and prompts the examples name (`github`'s
 * `list_repos`/`delete_repo`, `weather://current`, the `current` prompt, an eliciting tool, a
 * tool with progress), plus `whoami`, which answers with the credentials the request carried, so
 * an example can show that its headers, cookies or tokens arrived. A small JSON API (`/api/data`)
 * stands in for the third-party API of the server auth example.
 */
import type http from 'node:http'
import { createMCPTool, MCPServer } from '@mcpkit/mcp-server-core'
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import { z } from 'zod'
import { type Host, hostServer } from '../../support/server-host.js'

/** What every request to the seed world carried, for the test's assertions. */
export interface SeenRequest {
  method: string
  path: string
  authorization: string | undefined
  cookie: string | undefined
}

export interface SeedWorld {
  host: Host
  /** Every request the MCP endpoints received, oldest first. */
  seen: SeenRequest[]
  close(): Promise<void>
}

/** The credentials of a request, as `whoami` reports them. */
function credentialsOf(req: http.IncomingMessage): AuthInfo | undefined {
  const authorization = req.headers.authorization
  const cookie = req.headers.cookie
  if (!authorization && !cookie) return undefined
  const token = authorization?.replace(/^Bearer\s+/i, '') ?? ''
  return {
    token,
    clientId: token === '' ? 'cookie' : `token:${token}`,
    scopes: [],
    extra: { cookie: cookie ?? null },
  }
}

function createSeedServer(): MCPServer {
  const server: MCPServer = new MCPServer({
    name: 'seed-world',
    version: '1.0.0',
    tools: {
      list_repos: createMCPTool({
        id: 'list_repos',
        description: 'Lists the repositories of the user',
        inputSchema: z.object({}),
        annotations: { readOnlyHint: true },
        execute: async () => ({ content: [{ type: 'text', text: 'mcpkit, demo' }] }),
      }),
      delete_repo: createMCPTool({
        id: 'delete_repo',
        description: 'Deletes a repository',
        inputSchema: z.object({ name: z.string(), force: z.boolean().optional() }),
        annotations: { destructiveHint: true },
        execute: async ({ name }) => `deleted ${name}`,
      }),
      echo: createMCPTool({
        id: 'echo',
        description: 'Echoes the message',
        inputSchema: z.object({ message: z.string() }),
        execute: async ({ message }) => `echo: ${message}`,
      }),
      whoami: createMCPTool({
        id: 'whoami',
        description: 'Tells which credentials the request carried',
        inputSchema: z.object({}),
        execute: async (_input, { extra }) => ({
          content: [
            {
              type: 'text',
              text: JSON.stringify({
                token: extra.authInfo?.token ?? null,
                cookie: (extra.authInfo?.extra?.cookie as string | null | undefined) ?? null,
              }),
            },
          ],
        }),
      }),
      collectContactInfo: createMCPTool({
        id: 'collectContactInfo',
        description: 'Asks the user for contact information',
        inputSchema: z.object({ reason: z.string().optional() }),
        execute: async ({ reason }, { elicitation }) => {
          const result = await elicitation.sendRequest({
            message: reason ?? 'Please provide your contact information',
            requestedSchema: {
              type: 'object',
              properties: {
                name: { type: 'string', title: 'Full Name', description: 'Your full name' },
                email: { type: 'string', title: 'Email Address', format: 'email' },
              },
              required: ['name', 'email'],
            },
          })
          return result.action === 'accept'
            ? `contact: ${JSON.stringify(result.content)}`
            : `contact: ${result.action}`
        },
      }),
      long_task: createMCPTool({
        id: 'long_task',
        description: 'Reports progress through three steps',
        inputSchema: z.object({ steps: z.number().int().min(1).max(10) }),
        execute: async ({ steps }, { progress }) => {
          for (let step = 1; step <= steps; step++) await progress(step, steps, `step ${step}`)
          return `done after ${steps} steps`
        },
      }),
      update_weather: createMCPTool({
        id: 'update_weather',
        description: 'Changes weather://current and notifies subscribers',
        inputSchema: z.object({}),
        execute: async () => {
          await server.resources.notifyUpdated({ uri: 'weather://current' })
          return 'updated'
        },
      }),
    },
    resources: {
      listResources: async () => [
        { uri: 'weather://current', name: 'Current weather', mimeType: 'text/plain' },
      ],
      getResourceContent: async ({ uri }) => {
        if (uri === 'weather://current') return { text: 'Sunny, 21 °C' }
        throw new Error(`No resource ${uri}`)
      },
      resourceTemplates: async () => [
        { uriTemplate: 'weather://{city}/current', name: 'Current weather of a city' },
      ],
    },
    prompts: {
      listPrompts: async () => [
        {
          name: 'current',
          description: 'Ask for the current weather',
          arguments: [{ name: 'location', required: false }],
        },
      ],
      getPromptMessages: async ({ name, args }) => ({
        messages: [
          {
            role: 'user',
            content: { type: 'text', text: `${name} weather in ${args.location ?? 'Tokyo'}?` },
          },
        ],
      }),
    },
  })
  return server
}

/** Starts the seed world on a free 127.0.0.1 port. */
export async function startSeedWorld(): Promise<SeedWorld> {
  const seen: SeenRequest[] = []
  const host = await hostServer(createSeedServer(), {
    // Examples open sessions without credentials (a custom fetch gets no request context in the
    // handshake) and send them on later calls, so sessions are not bound to a principal here.
    options: { principalOf: () => undefined },
    authenticate: (req) => {
      seen.push({
        method: req.method ?? '',
        path: new URL(req.url ?? '/', 'http://127.0.0.1').pathname,
        authorization: req.headers.authorization,
        cookie: req.headers.cookie,
      })
      return credentialsOf(req)
    },
  })
  return { host, seen, close: () => host.close() }
}
