import type { RequestContext } from '@mcpkit/types'
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
    { what: 'resources/list', idempotent: true, requestContext },
    async (client) =>
      offersResources(client)
        ? (await client.listResources(undefined, { timeout: server.timeout })).resources
        : undefined,
  )
}

/** All of a server's resource templates, or `undefined` when it offers no resources. */
export function listResourceTemplates(
  server: ServerConnection,
  requestContext: RequestContext | null,
): Promise<ResourceTemplateType[] | undefined> {
  return server.request(
    { what: 'resources/templates/list', idempotent: true, requestContext },
    async (client) =>
      offersResources(client)
        ? (await client.listResourceTemplates(undefined, { timeout: server.timeout }))
            .resourceTemplates
        : undefined,
  )
}

export function readResource(
  server: ServerConnection,
  uri: string,
  requestContext: RequestContext | null,
): Promise<ReadResourceResult> {
  return server.request(
    { what: `resources/read ${uri}`, idempotent: true, requestContext },
    (client) => {
      server.assertCapability(client, 'resources')
      return client.readResource({ uri }, { timeout: server.timeout })
    },
  )
}

/** Subscribes to `uri`; the subscription is renewed whenever the connection is. */
export async function subscribe(server: ServerConnection, uri: string): Promise<object> {
  const result = await server.request(
    { what: `resources/subscribe ${uri}`, idempotent: true, requestContext: null },
    (client) => {
      server.assertCapability(client, 'resources.subscribe')
      return client.subscribeResource({ uri }, { timeout: server.timeout })
    },
  )
  server.subscriptions.add(uri)
  return result
}

export function unsubscribe(server: ServerConnection, uri: string): Promise<object> {
  server.subscriptions.delete(uri)
  return server.request(
    { what: `resources/unsubscribe ${uri}`, idempotent: true, requestContext: null },
    (client) => {
      server.assertCapability(client, 'resources.subscribe')
      return client.unsubscribeResource({ uri }, { timeout: server.timeout })
    },
  )
}

function offersResources(client: Client): boolean {
  return client.getServerCapabilities()?.resources !== undefined
}
