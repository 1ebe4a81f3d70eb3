/**
 * What `MCPClient` relies on that the MCP SDK does not promise, in one place. Each item is
 * checked against the installed SDK by `sdk-contract.test.ts`, so an SDK upgrade that changes
 * one fails that test instead of a user's call. (The transports' own items are in
 * `@mcpkit/transports`' `sdk-contract.ts`.)
 */

/** The longest freshness the SDK honours for a server's `ttlMs` (its `MAX_CACHE_TTL_MS`). */
const MAX_TTL_MS = 24 * 60 * 60 * 1000

/** A cacheable result's freshness hint (SEP-2549), as the server sent it. */
export interface CacheHint {
  /** Milliseconds the result may be considered fresh; `undefined` when the server sent none. */
  readonly ttlMs: number | undefined
  readonly cacheScope: 'public' | 'private' | undefined
}

/**
 * The `ttlMs` / `cacheScope` a 2026-07-28 server put on a list or read result (a negative
 * `ttlMs` counts as 0, a longer one than 24 h as 24 h, as the SDK's own cache does).
 *
 * Relies on: the SDK hands back the result object of `listTools()` (and the other cacheable
 * verbs) with the wire's `ttlMs` and `cacheScope` still on it, although its public result types
 * do not declare them (it documents this only for `server/discover`'s result). If an SDK release
 * strips them, this returns no hint and tool lists fall back to `toolListTtl`.
 */
export function cacheHintOf(result: object): CacheHint {
  const { ttlMs, cacheScope } = result as { ttlMs?: unknown; cacheScope?: unknown }
  return {
    ttlMs:
      typeof ttlMs === 'number' && Number.isFinite(ttlMs)
        ? Math.min(Math.max(0, ttlMs), MAX_TTL_MS)
        : undefined,
    cacheScope: cacheScope === 'public' || cacheScope === 'private' ? cacheScope : undefined,
  }
}
