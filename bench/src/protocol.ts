/** Messages between the orchestrator (`run.ts`) and a contender process (`client-runner.ts`). */

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
