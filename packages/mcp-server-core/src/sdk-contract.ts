/**
 * What `MCPServer` relies on that the MCP SDK does not promise in its types or docs, in one
 * place. Each item is checked against the installed SDK by `sdk-contract.test.ts`, over real
 * transports, so an SDK upgrade that changes one fails that test instead of a user's call.
 */
import {
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  type ServerContext,
} from '@modelcontextprotocol/server'

/**
 * The capabilities a 2026-07-28 request declared in its `_meta` envelope.
 *
 * Relies on: `ctx.mcpReq.envelope` holds the lifted envelope keys under their wire names
 * (`io.modelcontextprotocol/clientCapabilities`), as the SDK's docs say in prose; its public
 * type (`Partial<RequestMetaEnvelope>`) is an empty object type in 2.4, so the key is read
 * through a cast. If the shape changes, every question on the 2026-07-28 era is refused with
 * `-32021` (no capability seen): loud, not silent.
 */
export function declaredCapabilities(ctx: ServerContext): ClientCapabilities | undefined {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined
  const declared = envelope?.[CLIENT_CAPABILITIES_META_KEY]
  return typeof declared === 'object' && declared !== null
    ? (declared as ClientCapabilities)
    : undefined
}
