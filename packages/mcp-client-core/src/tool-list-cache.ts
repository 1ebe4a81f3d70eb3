import type { MCPTool } from './mcp-tool.js'

/** How long a fetched tool list stays fresh when the server does not announce `listChanged`. */
export const DEFAULT_TOOL_LIST_TTL_MS = 10_000

/** One fetched tool list, and what the server said about keeping it. */
export interface ToolList {
  readonly tools: readonly MCPTool[]
  /** The server announces `tools.listChanged`: the list is fresh until it says otherwise. */
  readonly listChanged: boolean
}

interface Entry {
  readonly tools: readonly MCPTool[]
  readonly names: ReadonlySet<string>
  readonly expiresAt: number
}

/**
 * One server's tool list, kept so that a warm `listTools()` / `listToolsets()` makes no
 * request: until the server says the list changed (servers with `tools.listChanged`), or for
 * `ttl` milliseconds (servers without), and never across a reconnect. Concurrent callers share
 * one `tools/list`.
 */
export class ToolListCache {
  readonly #ttl: number
  #entry: Entry | undefined
  #loading: Promise<readonly MCPTool[]> | undefined
  /** Bumped whenever the list becomes invalid, so a slow load cannot store a stale list. */
  #generation = 0

  constructor(ttl: number) {
    this.#ttl = ttl
  }

  /** The list, if it is fresh; no I/O. */
  fresh(): readonly MCPTool[] | undefined {
    const entry = this.#entry
    return entry && entry.expiresAt > Date.now() ? entry.tools : undefined
  }

  /** The names of the last list fetched, fresh or not; `undefined` before the first. */
  get names(): ReadonlySet<string> | undefined {
    return this.#entry?.names
  }

  /** Forgets the list: the server said it changed, or the connection it came from is gone. */
  invalidate(): void {
    this.#entry = undefined
    this.#generation++
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
    const { tools, listChanged } = await fetch()
    if (generation === this.#generation) {
      this.#entry = {
        tools,
        names: new Set(tools.map((tool) => tool.name)),
        expiresAt: listChanged ? Number.POSITIVE_INFINITY : Date.now() + this.#ttl,
      }
    }
    return tools
  }
}
