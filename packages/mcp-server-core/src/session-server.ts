import { Server } from '@modelcontextprotocol/server'
import { z } from 'zod'
import type { ServerCatalog } from './catalog.js'
import { complete } from './completion.js'
import { getPrompt } from './prompts.js'
import { requestExtra } from './request-extra.js'
import { readResource } from './resources.js'
import { runTool } from './tool-runner.js'

/**
 * `prompts/get` params with `version` kept: the SDK's own schema strips unknown params, and
 * `@mastra/mcp` clients send `prompts.get({ version })` as one.
 */
const PromptRequestParams = z
  .object({
    name: z.string(),
    arguments: z.record(z.string(), z.string()).optional(),
    version: z.string().optional(),
  })
  .loose()

/**
 * One client session: an SDK `Server` with every handler of the `MCPServer` that made it, and
 * the state that belongs to the session alone (its resource subscriptions; its logging level
 * is the SDK's). Transports make one per session, so replies, notifications and elicitation
 * reach only the client that asked.
 */
export class SessionServer extends Server {
  /** Resource URIs this session subscribed to. */
  readonly subscriptions = new Set<string>()

  constructor(catalog: ServerCatalog) {
    super(catalog.info, {
      capabilities: catalog.capabilities,
      ...(catalog.instructions ? { instructions: catalog.instructions } : {}),
    })
    this.setRequestHandler('tools/list', () => catalog.toolList)
    this.setRequestHandler('tools/call', (request, ctx) =>
      runTool(catalog, request.params.name, request.params.arguments, ctx),
    )

    const { resources, prompts } = catalog
    if (resources) {
      this.setRequestHandler('resources/list', async (_request, ctx) => ({
        resources: await resources.listResources({ extra: requestExtra(ctx) }),
      }))
      this.setRequestHandler('resources/templates/list', async (_request, ctx) => ({
        resourceTemplates:
          (await resources.resourceTemplates?.({ extra: requestExtra(ctx) })) ?? [],
      }))
      this.setRequestHandler('resources/read', (request, ctx) =>
        readResource(resources, request.params.uri, requestExtra(ctx)),
      )
      this.setRequestHandler('resources/subscribe', (request) => {
        this.subscriptions.add(request.params.uri)
        return {}
      })
      this.setRequestHandler('resources/unsubscribe', (request) => {
        this.subscriptions.delete(request.params.uri)
        return {}
      })
    }
    if (prompts) {
      this.setRequestHandler('prompts/list', async (_request, ctx) => ({
        prompts: await prompts.listPrompts({ extra: requestExtra(ctx) }),
      }))
      this.setRequestHandler('prompts/get', { params: PromptRequestParams }, (params, ctx) =>
        getPrompt(prompts, params, requestExtra(ctx)),
      )
    }
    if (catalog.capabilities.completions) {
      this.setRequestHandler('completion/complete', (request) =>
        complete({ prompts, resources }, request.params),
      )
    }
  }
}
