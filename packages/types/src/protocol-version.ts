/**
 * Which MCP protocol eras to speak (`@mastra/mcp` 2.x's option name and values), for clients
 * and servers alike: `'auto'` both (a server decides per request or connection, a client per
 * server); `'2026-07-28'` only the stateless revision; `'legacy'` only the 2025 revisions
 * (`initialize` and sessions).
 *
 * On a client: over HTTP a modern request goes first and the answer decides; over stdio a
 * `server/discover` probe does; a legacy server is then spoken to with `initialize` (and, over
 * HTTP, legacy SSE if it has only that). `'2026-07-28'` fails on a server that does not speak it.
 */
export type ProtocolVersionOption = 'auto' | '2026-07-28' | 'legacy'

/**
 * The protocol era a connection speaks: `'modern'` (2026-07-28 and later: stateless requests,
 * `subscriptions/listen`, `input_required`) or `'legacy'` (2025-11-25 and earlier: the
 * `initialize` handshake, sessions, server-initiated requests).
 */
export type ProtocolEra = 'modern' | 'legacy'
