/** Messages between the orchestrator (`run.ts`) and a contender process (`client-runner.ts`). */

/**
 * What a runner process drives: the SDK v2 `Client`, the SDK v1 `Client`, `MCPClient`, or
 * `@mastra/mcp`'s `MCPClient` (2.x, or 1.x under the npm alias `@mastra/mcp-1`).
 */
export type RunnerKind = 'raw-v2' | 'raw-v1' | 'mcpkit' | 'mastra-v2' | 'mastra-v1'

/** How a client reaches its server: Streamable HTTP (the bench server) or stdio. */
export type Transport = 'http' | 'stdio'

/**
 * Which server a request is about: `legacy`, the sessionful 2025-era endpoint (`/mcp`), or
 * `modern`, the `createMcpHandler` endpoint that also speaks 2026-07-28 (`/modern`).
 */
export type Era = 'legacy' | 'modern'

/**
 * How a client finds the era: `auto` (the SDK v2's `versionNegotiation: { mode: 'auto' }`,
 * mcpkit's default `protocolVersion: 'auto'`) or `pinned` to the server's era (no probe). The
 * SDK v1 client knows only the 2025 era: it is always pinned, and never asked about `modern`.
 */
export type Negotiation = 'auto' | 'pinned'

export type RunnerRequest = { id: number } & (
  | {
      op: 'setup'
      url: string
      modernUrl: string
      /** The 2025-era stdio server (server-everything, SDK v1). */
      stdio: { command: string; args: string[] }
      /** The stdio server that also speaks 2026-07-28 (`stdio-server.mjs`, SDK v2). */
      stdioModern: { command: string; args: string[] }
    }
  | { op: 'cold-http'; terminate?: boolean; era?: Era; negotiation?: Negotiation }
  | { op: 'cold-stdio'; era?: Era }
  | { op: 'warm-open'; era?: Era; transport?: Transport }
  | {
      op: 'warm-list'
      flat?: boolean
      count: number
      warmup: number
      budgetMs: number
      era?: Era
      transport?: Transport
    }
  | {
      op: 'calls'
      total: number
      concurrency: number
      budgetMs: number
      era?: Era
      transport?: Transport
    }
  | { op: 'warm-close'; era?: Era; transport?: Transport }
  | { op: 'idle-memory'; count: number; era?: Era; pooled?: boolean }
  | { op: 'handles' }
  /** V8's CPU profiler (`node:inspector`) around a phase; `stop` writes `file` (.cpuprofile). */
  | { op: 'profile-start' }
  | { op: 'profile-stop'; file: string }
  | { op: 'exit' }
)

export type RunnerOperation = RunnerRequest extends infer R
  ? R extends { op: infer O }
    ? O
    : never
  : never

export interface CallsResult {
  calls: number
  elapsedMs: number
  cpuMicros: number
}

export interface MemoryResult {
  heapPerClient: number
  externalPerClient: number
  rssPerClient: number
}
