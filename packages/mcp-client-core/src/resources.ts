import { MCPClientError, type RequestContext } from '@mcpkit/types'
import type {
  Client,
  ReadResourceResult,
  Resource,
  ResourceTemplateType,
} from '@modelcontextprotocol/client'
import type { ServerConnection } from './server-connection.js'

/** All of a server's resources, or `undefined` when it offers none. */
export function listResources(
  server: ServerConnection,
  requestContext: RequestContext | null,
): Promise<Resource[] | undefined> {
  return server.request(
    { what: 'resources/list', idempotent: true, list: true, requestContext },
    async (client, era, options) =>
      offersResources(client)
        ? (
            await client.listResources(params(server.requestMeta(era)), {
              timeout: server.timeout,
              ...options,
            })
          ).resources
        : undefined,
  )
}

/** All of a server's resource templates, or `undefined` when it offers no resources. */
export function listResourceTemplates(
  server: ServerConnection,
  requestContext: RequestContext | null,
): Promise<ResourceTemplateType[] | undefined> {
  return server.request(
    { what: 'resources/templates/list', idempotent: true, list: true, requestContext },
    async (client, era, options) =>
      offersResources(client)
        ? (
            await client.listResourceTemplates(params(server.requestMeta(era)), {
              timeout: server.timeout,
              ...options,
            })
          ).resourceTemplates
        : undefined,
  )
}

/**
 * One resource. On the modern era a server's cache hint may let the response cache answer;
 * with a custom `fetch` and a request context, whose credentials may differ from call to call,
 * the cache is neither read nor written, so one caller's private resource never reaches another.
 */
export function readResource(
  server: ServerConnection,
  uri: string,
  requestContext: RequestContext | null,
): Promise<ReadResourceResult> {
  const perCallCredentials =
    requestContext !== null && 'fetch' in server.definition && server.definition.fetch !== undefined
  // The span's name leaves the URI out (its cardinality is unbounded); `mcp.resource.uri` has it.
  return server.tracedRequest(
    { method: 'resources/read', attributes: { 'mcp.resource.uri': uri } },
    { what: `resources/read ${uri}`, idempotent: true, requestContext },
    (client, _era, options, meta) => {
      server.assertCapability(client, 'resources')
      return client.readResource(meta ? { uri, _meta: meta } : { uri }, {
        timeout: server.timeout,
        ...options,
        ...(perCallCredentials ? { cacheMode: 'bypass' as const } : {}),
      })
    },
  )
}

/**
 * Subscribes to `uri`: `resources/subscribe` on the legacy era, the listen stream's
 * `resourceSubscriptions` on the modern one. The subscription is renewed whenever the
 * connection is. A server without subscriptions, or that declines this one, rejects with
 * `CAPABILITY_NOT_SUPPORTED`, and earlier subscriptions stay.
 */
export async function subscribe(server: ServerConnection, uri: string): Promise<object> {
  const connection = await server.connect()
  server.assertCapability(connection.client, 'resources.subscribe')
  if (connection.era === 'modern') {
    const added = !server.subscriptions.has(uri)
    server.subscriptions.add(uri)
    let honored: string[] | undefined
    try {
      honored = (await server.relisten())?.resourceSubscriptions
    } catch (error) {
      if (added) server.subscriptions.delete(uri)
      throw new MCPClientError(
        'SERVER_ERROR',
        `Server "${server.name}": subscribing to ${uri} failed: the server refused the subscriptions/listen stream (${error instanceof Error ? error.message : String(error)}).`,
        { serverName: server.name, cause: error },
      )
    }
    if (!honored?.includes(uri)) {
      if (added) server.subscriptions.delete(uri)
      await server.relisten().catch(() => undefined)
      throw new MCPClientError(
        'CAPABILITY_NOT_SUPPORTED',
        `Server "${server.name}" declined the subscription to ${uri} (2026-07-28 subscriptions/listen).`,
        { serverName: server.name },
      )
    }
    return {}
  }
  const result = await server.request(
    { what: `resources/subscribe ${uri}`, idempotent: true, requestContext: null },
    (client, _era, options) => {
      server.assertCapability(client, 'resources.subscribe')
      return client.subscribeResource({ uri }, { timeout: server.timeout, ...options })
    },
  )
  server.subscriptions.add(uri)
  // The updates come on the standing `GET` stream.
  server.wantStandingStream()
  return result
}

export async function unsubscribe(server: ServerConnection, uri: string): Promise<object> {
  server.subscriptions.delete(uri)
  const connection = await server.connect()
  if (connection.era === 'modern') {
    server.assertCapability(connection.client, 'resources.subscribe')
    await server.relisten()
    return {}
  }
  return server.request(
    { what: `resources/unsubscribe ${uri}`, idempotent: true, requestContext: null },
    (client, _era, options) => {
      server.assertCapability(client, 'resources.subscribe')
      return client.unsubscribeResource({ uri }, { timeout: server.timeout, ...options })
    },
  )
}

function offersResources(client: Client): boolean {
  return client.getServerCapabilities()?.resources !== undefined
}

/** A list request's params: only the `_meta`, when there is one. */
function params(
  meta: Record<string, unknown> | undefined,
): { _meta: Record<string, unknown> } | undefined {
  return meta ? { _meta: meta } : undefined
}
