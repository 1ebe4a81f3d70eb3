/**
 * Which MCP protocol eras to speak (`@mastra/mcp` 2.x's option name and values), for clients
 * and servers alike: `'auto'` both (a server decides per request or connection, a client per
 * server); `'2026-07-28'` only the stateless revision; `'legacy'` only the 2025 revisions
 * (`initialize` and sessions).
 */
export type ProtocolVersionOption = 'auto' | '2026-07-28' | 'legacy'
