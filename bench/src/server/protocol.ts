/**
 * Messages between the server-bench orchestrator (`run.ts`) and its children: the target
 * servers (`target.ts`) and the load generator (`loadgen.ts`). Every request carries an id;
 * every reply echoes it. A child says hello with id 0 once it is ready.
 */

/** `raw-v2`: SDK v2 `McpServer`; `raw-v1`: SDK v1 `McpServer`; `mcpkit`: `MCPServer`. */
export type Implementation = 'raw-v2' | 'raw-v1' | 'mcpkit'
/**
 * `stateful` / `stateless`: 2025-era `tools/call` with and without sessions; `modern`: stateless
 * 2026-07-28 `tools/call` (the `_meta` envelope and standard headers, no session).
 */
export type Mode = 'stateful' | 'stateless' | 'modern'

export type ServerChildRequest = { id: number } & (
  | { op: 'stats' }
  | { op: 'gc' }
  | { op: 'exit' }
  | {
      op: 'open-sessions'
      url: string
      count: number
      protocolVersion: string
    }
  | {
      op: 'probe'
      url: string
      sessionId?: string
      protocolVersion: string
    }
  | {
      op: 'load'
      url: string
      /** One session per autocannon connection (stateful), or none (stateless). */
      sessionIds: string[]
      protocolVersion: string
      connections: number
      durationSeconds: number
      /** Every Nth response is parsed in full (the others get a cheap substring check). */
      sampleEvery: number
    }
)

/** What a target server reports about itself. */
export interface TargetStats {
  implementation: Implementation
  mode: Mode
  cpuMicros: number
  /** Times the echo tool's own function ran: the proof that a 2xx was a real tool call. */
  toolCalls: number
  /** HTTP requests that reached the handler (any path, any method). */
  httpRequests: number
  /** Raw SDK (v1 or v2) stateful only: sessions in its map (mcpkit keeps its own, not visible here). */
  sessions: number | null
  rss: number
  heapUsed: number
}

/** The hello a target sends once it listens. */
export interface TargetHello {
  port: number
  pid: number
}

/** One autocannon run, as the load generator reports it. */
export interface LoadResult {
  durationSeconds: number
  /** 2xx responses whose body passed the check: successful echo results. */
  ok: number
  non2xx: number
  errors: number
  timeouts: number
  /** Responses (of any status) whose body failed the check (an MCP error, `isError`, junk). */
  mismatches: number
  statusCodes: Record<string, number>
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number }
  /** Responses parsed in full, and how many of those were a correct echo result. */
  sampled: number
  sampledValid: number
  firstBadBody?: string
  loadgenCpuMicros: number
}

/** One response of the probe, as the load generator saw it. */
export interface ProbeResult {
  status: number
  contentType: string | null
  body: string
  valid: boolean
}
