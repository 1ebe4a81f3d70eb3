import type { RequestContext } from '@mcpkit/types'
import type { GetPromptResult, Prompt } from '@modelcontextprotocol/client'
import type { ServerConnection } from './server-connection.js'

/** All of a server's prompts, or `undefined` when it offers none. */
export function listPrompts(
  server: ServerConnection,
  requestContext: RequestContext | null,
): Promise<Prompt[] | undefined> {
  return server.request(
    { what: 'prompts/list', idempotent: true, list: true, requestContext },
    async (client, era, options) => {
      if (!client.getServerCapabilities()?.prompts) return undefined
      const meta = server.requestMeta(era)
      return (
        await client.listPrompts(meta ? { _meta: meta } : undefined, {
          timeout: server.timeout,
          ...options,
        })
      ).prompts
    },
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
  return server.tracedRequest(
    { method: 'prompts/get', target: name, attributes: { 'gen_ai.prompt.name': name } },
    { what: `prompts/get "${name}"`, idempotent: true, requestContext },
    (client, _era, options, meta) => {
      server.assertCapability(client, 'prompts')
      return client.getPrompt(
        {
          name,
          ...(args === undefined ? {} : { arguments: args }),
          ...(version === undefined ? {} : { version }),
          ...(meta ? { _meta: meta } : {}),
        },
        { timeout: server.timeout, ...options },
      )
    },
  )
}
