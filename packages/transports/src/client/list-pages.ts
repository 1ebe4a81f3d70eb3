import { MCPClientError } from '@mcpkit/types'
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client'
import { scopeOfOutgoingRequest } from '../sdk-contract.js'

/** The requests of the protocol that are paginated with `cursor` / `nextCursor`. */
const PAGINATED = new Set([
  'tools/list',
  'resources/list',
  'resources/templates/list',
  'prompts/list',
])

/**
 * Shows the scope of each paginated list (`requestScopeOptions`) the cursor of every page it asks
 * for, and lets the scope refuse one: a server that hands back a cursor it returned before
 * would lead the list round in a loop until `maxListPages`. A refused page is not sent; its
 * request fails at once. `transport` may be connected already (the SDK never replaces `send`).
 */
export function watchListCursors(transport: Transport, serverName: string): void {
  const send = transport.send.bind(transport)
  transport.send = (message, options) => {
    const cursor = pageCursorOf(message)
    if (
      cursor !== undefined &&
      scopeOfOutgoingRequest(options)?.pageRequested?.(cursor) === false
    ) {
      return Promise.reject(
        new MCPClientError(
          'SERVER_ERROR',
          `Server "${serverName}" returned a page cursor of ${(message as { method: string }).method} it had returned before in the same list.`,
          { serverName },
        ),
      )
    }
    return send(message, options)
  }
}

/** The `cursor` of a paginated list request, or `undefined` (its first page, or another message). */
function pageCursorOf(message: JSONRPCMessage): string | undefined {
  if (!('method' in message) || !('id' in message) || !PAGINATED.has(message.method)) {
    return undefined
  }
  const cursor = (message.params as { cursor?: unknown } | undefined)?.cursor
  return typeof cursor === 'string' ? cursor : undefined
}
