import type { RequestContext } from '@mcpkit/types'
import type { GetPromptResult, Prompt } from '@modelcontextprotocol/client'
import type { ServerConnection } from './server-connection.js'

/** All of a server's prompts, or `undefined` when it offers none. */
export function listPrompts(
  server: ServerConnection,
  requestContext: RequestContext | null,
): Promise<Prompt[] | undefined> {
  return server.request(
    { what: 'prompts/list', idempotent: true, requestContext },
    async (client) =>
      client.getServerCapabilities()?.prompts
        ? (await client.listPrompts(undefined, { timeout: server.timeout })).prompts
        : undefined,
  )
}

/**
 * A prompt's messages. `version` is `@mastra/mcp`'s extension of `prompts/get`, sent as a
 * param of its own.
 */
export function getPrompt(
  server: ServerConnection,
  request: {
    name: string
    args: Record<string, string> | undefined
    version: string | undefined
    requestContext: RequestContext | null
  },
): Promise<GetPromptResult> {
  const { name, args, version, requestContext } = request
  return server.request(
    { what: `prompts/get "${name}"`, idempotent: true, requestContext },
    (client) => {
      server.assertCapability(client, 'prompts')
      return client.getPrompt(
        {
          name,
          ...(args === undefined ? {} : { arguments: args }),
          ...(version === undefined ? {} : { version }),
        },
        { timeout: server.timeout },
      )
    },
  )
}
