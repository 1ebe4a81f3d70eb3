import type { MCPTool } from './mcp-tool.js'

/** How long a fetched tool list stays fresh when the server does not announce `listChanged`. */
export const DEFAULT_TOOL_LIST_TTL_MS = 10_000

/** One fetched tool list, and how long it may be used. */
export interface ToolList {
  readonly tools: readonly MCPTool[]
  /**
   * Milliseconds the list stays fresh: `Infinity` while the server will say when it changes
   * (`tools/list_changed`), else its `ttlMs` hint or `toolListTtl`.
   */
  readonly freshFor: number
}

interface Entry {
  readonly tools: readonly MCPTool[]
  /** The tools by name, made on first use (the first call checks its tool against them). */
  byName: ReadonlyMap<string, MCPTool> | undefined
  expiresAt: number
}

/**
 * One server's tool list, kept so that a warm `listTools()` / `listToolsets()` makes no
 * request: until the server says the list changed, or for as long as the fetch said it stays
 * fresh, and never across a reconnect. Concurrent callers share one `tools/list`.
 */
export class ToolListCache {
  #entry: Entry | undefined
  #loading: Promise<readonly MCPTool[]> | undefined
  /** Bumped whenever the list becomes invalid, so a slow load cannot store a stale list. */
  #generation = 0

  /** The list, if it is fresh; no I/O. */
  fresh(): readonly MCPTool[] | undefined {
    const entry = this.#entry
    return entry && entry.expiresAt > Date.now() ? entry.tools : undefined
  }

  /** The tools of the last list fetched by name, fresh or not; `undefined` before the first. */
  get byName(): ReadonlyMap<string, MCPTool> | undefined {
    const entry = this.#entry
    if (!entry) return undefined
    entry.byName ??= toolsByName(entry.tools)
    return entry.byName
  }

  /** Forgets the list: the server said it changed, or the connection it came from is gone. */
  invalidate(): void {
    this.#entry = undefined
    this.#generation++
  }

  /** Keeps the list fresh for `ms` more at most: nothing will say when it changes any more. */
  expireWithin(ms: number): void {
    const entry = this.#entry
    const latest = Date.now() + ms
    if (entry && entry.expiresAt > latest) entry.expiresAt = latest
  }

  /**
   * The fresh list, or a new one from `fetch` (one fetch however many callers wait). The new
   * list is kept only if nothing invalidated the cache while it was fetched.
   */
  get(fetch: () => Promise<ToolList>): Promise<readonly MCPTool[]> {
    const fresh = this.fresh()
    if (fresh) return Promise.resolve(fresh)
    this.#loading ??= this.#load(fetch).finally(() => {
      this.#loading = undefined
    })
    return this.#loading
  }

  async #load(fetch: () => Promise<ToolList>): Promise<readonly MCPTool[]> {
    const generation = this.#generation
    const { tools, freshFor } = await fetch()
    if (generation === this.#generation) {
      this.#entry = { tools, byName: undefined, expiresAt: Date.now() + freshFor }
    }
    return tools
  }
}

/** `tools` by name; of two with one name (which the spec rules out), the first. */
export function toolsByName(tools: readonly MCPTool[]): ReadonlyMap<string, MCPTool> {
  const byName = new Map<string, MCPTool>()
  for (const tool of tools) if (!byName.has(tool.name)) byName.set(tool.name, tool)
  return byName
}
