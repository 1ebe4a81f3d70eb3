/** Messages between the orchestrator (`run.ts`) and a contender process (`client-runner.ts`). */

/** What a runner process drives: the SDK v2 `Client`, the SDK v1 `Client`, or `MCPClient`. */
export type RunnerKind = 'raw-v2' | 'raw-v1' | 'mcpkit'

export type RunnerRequest = { id: number } & (
  | { op: 'setup'; url: string; stdio: { command: string; args: string[] } }
  | { op: 'cold-http'; terminate?: boolean }
  | { op: 'cold-stdio' }
  | { op: 'warm-open' }
  | { op: 'warm-list'; flat?: boolean; count: number; warmup: number; budgetMs: number }
  | { op: 'calls'; total: number; concurrency: number; budgetMs: number }
  | { op: 'warm-close' }
  | { op: 'idle-memory'; count: number }
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
