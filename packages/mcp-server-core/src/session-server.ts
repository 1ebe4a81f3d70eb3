import { jsonValueProblem } from '@mcpkit/types'
import { ProtocolError, ProtocolErrorCode, Server } from '@modelcontextprotocol/server'
import { z } from 'zod'
import type { ServerCatalog } from './catalog.js'
import { complete } from './completion.js'
import { getPrompt } from './prompts.js'
import { requestExtra } from './request-extra.js'
import { readResource } from './resources.js'
import { runTool } from './tool-runner.js'
import { type TracedRequest, tracedRequest } from './tracing.js'

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

/** Which protocol era a `SessionServer` serves, and so how it asks clients for input. */
export interface SessionServerOptions {
  /**
   * `'legacy'` (default): a 2025 session (or a stateless 2025 request); questions to the client
   * are server→client requests. `'modern'`: one 2026-07-28 request over HTTP, or a stdio
   * connection pinned to that revision; questions become `input_required` answers.
   */
  era?: 'legacy' | 'modern' | undefined
}

/**
 * One client session, or one 2026-07-28 request: an SDK `Server` with every handler of the
 * `MCPServer` that made it, and the state that belongs to the session alone (its resource
 * subscriptions; its logging level is the SDK's). Transports make one per session (per request
 * on the 2026-07-28 era and in stateless mode), so replies, notifications and elicitation reach
 * only the client that asked, and nothing one request leaves behind is seen by another.
 */
export class SessionServer extends Server {
  /** Resource URIs this (2025) session subscribed to. */
  readonly subscriptions = new Set<string>()
  /** The era this instance serves. */
  readonly era: 'legacy' | 'modern'

  constructor(catalog: ServerCatalog, options: SessionServerOptions = {}) {
    super(catalog.info, {
      capabilities: catalog.capabilities,
      ...(catalog.instructions ? { instructions: catalog.instructions } : {}),
      cacheHints: catalog.cacheHints,
      requestState: { verify: catalog.requestState.verify },
    })
    const era = options.era ?? 'legacy'
    this.era = era
    this.setRequestHandler('tools/list', () => catalog.toolList)
    this.setRequestHandler('tools/call', async (request, ctx) => {
      const { name } = request.params
      const result = await tracedRequest(this.#traced('tools/call', name, ctx), (trace) =>
        runTool(catalog, name, request.params.arguments, ctx, era, trace),
      )
      if ('resultType' in result) return sendable(catalog, 'tools/call', result)
      return sendable(
        catalog,
        'tools/call',
        this.projectCallToolResult(result, catalog.tools.get(name)?.definition.outputSchema),
      )
    })

    const { resources, prompts } = catalog
    if (resources) {
      this.setRequestHandler('resources/list', async (_request, ctx) =>
        sendable(catalog, 'resources/list', {
          resources: await resources.listResources({ extra: requestExtra(ctx) }),
        }),
      )
      this.setRequestHandler('resources/templates/list', async (_request, ctx) =>
        sendable(catalog, 'resources/templates/list', {
          resourceTemplates:
            (await resources.resourceTemplates?.({ extra: requestExtra(ctx) })) ?? [],
        }),
      )
      this.setRequestHandler('resources/read', async (request, ctx) => {
        const { uri } = request.params
        const result = await tracedRequest(this.#traced('resources/read', uri, ctx), (trace) =>
          readResource(catalog, resources, uri, ctx, era, trace),
        )
        return sendable(catalog, 'resources/read', result)
      })
      // 2025 only: on 2026-07-28 the SDK answers these methods `-32601` (subscriptions/listen).
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
      this.setRequestHandler('prompts/list', async (_request, ctx) =>
        sendable(catalog, 'prompts/list', {
          prompts: await prompts.listPrompts({ extra: requestExtra(ctx) }),
        }),
      )
      this.setRequestHandler(
        'prompts/get',
        { params: PromptRequestParams },
        async (params, ctx) => {
          const result = await tracedRequest(
            this.#traced('prompts/get', params.name, ctx),
            (trace) => getPrompt(catalog, prompts, params, ctx, era, trace),
          )
          return sendable(catalog, 'prompts/get', result)
        },
      )
    }
    if (catalog.capabilities.completions) {
      this.setRequestHandler('completion/complete', (request) =>
        complete({ prompts, resources }, request.params),
      )
    }
  }

  /** What the span of a `method` request for `target` reads of it. */
  #traced(
    method: TracedRequest['method'],
    target: string,
    ctx: {
      sessionId?: string
      mcpReq: { id: string | number; _meta?: Record<string, unknown> }
      http?: object
    },
  ): TracedRequest {
    return {
      method,
      target,
      requestId: ctx.mcpReq.id,
      meta: ctx.mcpReq._meta,
      sessionId: ctx.sessionId,
      era: this.era,
      // The revision this instance speaks: the request's on 2026-07-28, the session's on 2025.
      protocolVersion: this.getNegotiatedProtocolVersion(),
      http: ctx.http !== undefined,
    }
  }
}

/**
 * `result` as it is, when it can be sent as JSON; otherwise the `-32603` error the client gets
 * instead (with the reason in the server's log): a result holding a BigInt or a cycle would
 * make the transport's `JSON.stringify` throw, and the request would never get an answer.
 */
function sendable<T>(catalog: ServerCatalog, method: string, result: T): T {
  const problem = jsonValueProblem(result)
  if (problem === undefined) return result
  catalog.log('error', `the ${method} result cannot be sent as JSON: it holds ${problem}`, {
    method,
  })
  throw new ProtocolError(
    ProtocolErrorCode.InternalError,
    `Internal error: the ${method} result cannot be sent as JSON (it holds ${problem}).`,
  )
}
