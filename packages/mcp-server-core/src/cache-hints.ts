import { MCPServerError } from '@mcpkit/types'
import type { CacheHint, CacheScope } from '@modelcontextprotocol/server'

/** The results the 2026-07-28 revision lets clients cache. */
export const CACHEABLE_METHODS = [
  'server/discover',
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
] as const

/** A method whose 2026-07-28 result carries `ttlMs` and `cacheScope`. */
export type CacheableMethod = (typeof CACHEABLE_METHODS)[number]

/**
 * The `cacheHints` option: how long 2026-07-28 clients may keep the cacheable results
 * (`ttlMs`) and whether shared caches may (`cacheScope: 'public'`) or only the caller's own
 * (`'private'`). The top-level `ttlMs` / `cacheScope` apply to every cacheable result; a key
 * per method overrides them for that method; a resource's content may override them for its
 * `resources/read` (`cacheHint` on what `getResourceContent` returns). Unset: `ttlMs: 0`
 * (always stale) and `'private'`. 2025 sessions never see these fields.
 */
export type MCPServerCacheHints = CacheHint & { [method in CacheableMethod]?: CacheHint }

const invalid = (message: string) => new MCPServerError('INVALID_CONFIGURATION', message)

function checkHint(hint: unknown, where: string): CacheHint {
  if (hint === null || typeof hint !== 'object') {
    throw invalid(`new MCPServer(config): \`${where}\` must be an object { ttlMs?, cacheScope? }.`)
  }
  const { ttlMs, cacheScope } = hint as CacheHint
  if (ttlMs !== undefined && !(Number.isSafeInteger(ttlMs) && ttlMs >= 0)) {
    throw invalid(
      `new MCPServer(config): \`${where}.ttlMs\` must be a whole number of milliseconds >= 0, got ${String(ttlMs)}.`,
    )
  }
  if (cacheScope !== undefined && cacheScope !== 'private' && cacheScope !== 'public') {
    throw invalid(
      `new MCPServer(config): \`${where}.cacheScope\` must be 'private' or 'public', got ${JSON.stringify(cacheScope)}.`,
    )
  }
  return {
    ...(ttlMs !== undefined ? { ttlMs } : {}),
    ...(cacheScope !== undefined ? { cacheScope } : {}),
  }
}

/**
 * The SDK's per-method `ServerOptions.cacheHints` from the option, checked at construction: a
 * method's own hint over the top-level one, field by field.
 */
export function resolveCacheHints(
  option: MCPServerCacheHints | undefined,
): Partial<Record<CacheableMethod, CacheHint>> {
  if (option === undefined) return {}
  const base = checkHint(option, 'cacheHints')
  const known = new Set<string>([...CACHEABLE_METHODS, 'ttlMs', 'cacheScope'])
  for (const key of Object.keys(option)) {
    if (!known.has(key)) {
      throw invalid(
        `new MCPServer(config): \`cacheHints\` has no method "${key}"; cacheable are ${CACHEABLE_METHODS.join(', ')}.`,
      )
    }
  }
  const resolved: Partial<Record<CacheableMethod, CacheHint>> = {}
  for (const method of CACHEABLE_METHODS) {
    const own =
      option[method] === undefined ? {} : checkHint(option[method], `cacheHints['${method}']`)
    const hint = { ...base, ...own }
    if (hint.ttlMs !== undefined || hint.cacheScope !== undefined) resolved[method] = hint
  }
  return resolved
}

/**
 * The hint of one `resources/read` from the hints of its parts: the shortest TTL, and
 * `'private'` as soon as one part is. `undefined` when no part has one.
 */
export function combineHints(hints: (CacheHint | undefined)[]): CacheHint | undefined {
  let ttlMs: number | undefined
  let cacheScope: CacheScope | undefined
  for (const [index, hint] of hints.entries()) {
    if (hint === undefined) continue
    const checked = checkHint(hint, `getResourceContent() part ${index}: cacheHint`)
    if (checked.ttlMs !== undefined) ttlMs = Math.min(ttlMs ?? checked.ttlMs, checked.ttlMs)
    if (checked.cacheScope === 'private' || cacheScope === undefined) {
      cacheScope = checked.cacheScope ?? cacheScope
    }
  }
  if (ttlMs === undefined && cacheScope === undefined) return undefined
  return { ...(ttlMs !== undefined ? { ttlMs } : {}), ...(cacheScope ? { cacheScope } : {}) }
}
