import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import {
  MCPClient,
  type MCPClientCacheOptions,
  MCPClientPool,
  type MCPTool,
} from '@mcpkit/mcp-client-core'
import { ApprovalQueue, type ApprovalStore } from '@mcpkit/tool-approval'
import {
  type ApprovalDecider,
  type ApprovalDecision,
  type ApprovalEvent,
  type ApprovalOutcome,
  type ApprovalRequest,
  type LogHandler,
  type ProtocolEra,
  type ProtocolVersionOption,
  RequestContext,
} from '@mcpkit/types'
import {
  type AgentReply,
  type AgentTool,
  type ApprovalRecord,
  describeError,
  type ModelProvider,
  runAgent,
  type ToolOutcome,
} from './agent.js'
import { type ApiServer, startApiServer } from './api-server.js'
import { type NotesService, startNotesService } from './notes-service.js'
import { providerFromEnvironment } from './openai-provider.js'
import { RuleBasedProvider } from './rule-based-provider.js'
import { type DemoUser, demoUserNames, UserDirectory } from './users.js'

/** Options of `createDemo`. */
export interface DemoOptions {
  /** Port of the web page and API on 127.0.0.1. Default 0 (ephemeral). */
  port?: number
  /** How many demo users: alice, bob, carol, dave, erin, then user-006, … Default 5. */
  userCount?: number
  /** Explicit user names instead of `userCount`. */
  userNames?: readonly string[]
  /**
   * The model behind the agent. Default: an OpenAI-compatible model when `environment` has
   * `OPENAI_API_KEY`, else the deterministic `RuleBasedProvider`.
   */
  provider?: ModelProvider
  /** Where `OPENAI_*` settings are read. Default `process.env`. */
  environment?: Record<string, string | undefined>
  /** Most pooled per-user clients. Default 100. */
  poolMax?: number
  /** Milliseconds an unused pooled client lives. Default 300000. */
  poolIdleTtl?: number
  /** Milliseconds an approval request waits before it is denied. Default 120000. */
  approvalTimeout?: number
  /** Receives the log lines of the pool, the clients and the tool servers. */
  logger?: LogHandler
  /**
   * The protocol era the notes clients speak (`protocolVersion` of their server definition).
   * Default `DEFAULT_NOTES_PROTOCOL_VERSION`.
   */
  notesProtocolVersion?: ProtocolVersionOption
  /**
   * Scaling out: the users (and their tokens) shared by every instance. Default: a new
   * directory of `userNames` / `userCount`.
   */
  directory?: UserDirectory
  /** Scaling out: a notes service started once for every instance (not closed by this one). */
  notes?: NotesService
  /**
   * Scaling out: where pending approvals are kept, e.g. `RedisApprovalStore` of
   * `@mcpkit/redis`, so a user can approve through any instance a call waiting on another.
   * Default: in memory.
   */
  approvalStore?: ApprovalStore
}

/**
 * The notes clients' `protocolVersion` by default: `'auto'` reaches the notes service on the
 * 2026-07-28 era as soon as it serves it, and on the 2025 one until then. Pin `'2026-07-28'`
 * to require the modern era.
 */
export const DEFAULT_NOTES_PROTOCOL_VERSION: ProtocolVersionOption = 'auto'

/** What a server's client negotiated, as the page shows it. */
export interface ServerEra {
  era: ProtocolEra
  protocolVersion: string
}

/** Approval decisions counted by outcome since the demo started. */
export type ApprovalCounts = Record<ApprovalOutcome, number>

/** A running demo: its servers, its pool, its approval queue. */
export interface Demo {
  /** The web page, e.g. `http://127.0.0.1:41234/`; the API lives under `/api/`. */
  readonly url: string
  readonly users: readonly DemoUser[]
  /** The per-user clients of the notes server. */
  readonly pool: MCPClientPool
  /** Pending delete calls, waiting for their user's decision. */
  readonly approvals: ApprovalQueue
  readonly provider: ModelProvider
  /** The notes service (Streamable HTTP, per-user bearer tokens). */
  readonly notes: NotesService
  /** The one shared client of the stdio utilities server (the static `listTools()` pattern). */
  readonly utilities: MCPClient
  /**
   * Runs `fn` with `user`'s pooled notes client (the one `POST /api/chat` uses) and releases
   * it afterwards.
   */
  withUserClient<Result>(
    user: DemoUser,
    fn: (client: MCPClient) => Promise<Result>,
  ): Promise<Result>
  /** What `POST /api/chat` does, without HTTP. */
  chat(user: DemoUser, message: string, signal?: AbortSignal): Promise<AgentReply>
  /**
   * A new, unpooled client of the notes server for `user`, configured exactly like the pooled
   * ones (approval included). The caller disconnects it. For fresh-vs-pooled comparisons.
   */
  createUserClient(user: DemoUser): MCPClient
  /** Pid of the utilities server process (asked through its `server_info` tool). */
  utilitiesPid(): Promise<number>
  approvalCounts(): ApprovalCounts
  /**
   * Stops everything the demo started: pending approvals are denied, the API stops, pooled
   * clients and the shared client disconnect (the stdio child exits), the notes service
   * closes. Idempotent.
   */
  close(): Promise<void>
}

/** The key in a call's `RequestContext` under which the demo collects its approval record. */
const APPROVAL_RECORDER = 'mcpkit-demo/approval-recorder'
type ApprovalRecorder = (request: ApprovalRequest, decision: ApprovalDecision) => void

const APP_DIRECTORY = fileURLToPath(new URL('..', import.meta.url))
const UTILITIES_ENTRY = fileURLToPath(new URL('./utilities-stdio.ts', import.meta.url))

/**
 * Starts the demo: the notes service, the utilities server (a child process), the shared
 * client, the pool, the approval queue and the web page + API, all on 127.0.0.1.
 */
export async function createDemo(options: DemoOptions = {}): Promise<Demo> {
  const logger = options.logger
  const directory =
    options.directory ??
    new UserDirectory(options.userNames ?? demoUserNames(options.userCount ?? 5))
  const provider =
    options.provider ??
    providerFromEnvironment(options.environment ?? process.env) ??
    new RuleBasedProvider()
  const approvalTimeout = options.approvalTimeout ?? 120_000
  const instance = randomBytes(4).toString('hex')
  const counts: ApprovalCounts = {
    'not-required': 0,
    approved: 0,
    denied: 0,
    expired: 0,
    required: 0,
  }

  const approvals = new ApprovalQueue(options.approvalStore ? { store: options.approvalStore } : {})
  // Wraps the queue so each call's own request context learns how its approval ended; the
  // queue stays the only decider.
  const decider: ApprovalDecider = {
    async decide(request, context) {
      const decision = await approvals.decide(request, context)
      const record = context.requestContext?.get(APPROVAL_RECORDER)
      if (typeof record === 'function') (record as ApprovalRecorder)(request, decision)
      return decision
    },
  }
  const onDecision = (event: ApprovalEvent): void => {
    counts[event.outcome] += 1
    if (event.outcome !== 'not-required') {
      log(logger, 'info', `approval ${event.outcome}: ${event.toolName} for ${event.principal}`)
    }
  }

  const cleanups: (() => Promise<void>)[] = []
  const closeAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => {
        log(logger, 'warning', `cleanup failed: ${describeError(error)}`)
      })
    }
  }

  try {
    cleanups.push(async () => approvals.close())
    const notes =
      options.notes ??
      (await startNotesService({ userForToken: (token) => directory.byToken(token)?.name }))
    if (!options.notes) cleanups.push(() => notes.close())

    // The utilities server holds no user credentials, so one client (one child process)
    // serves every user: the static pattern, listed once.
    const utilities = new MCPClient({
      id: `mcpkit-demo-utilities-${instance}`,
      servers: {
        utilities: {
          command: process.execPath,
          args: ['--import', 'tsx', UTILITIES_ENTRY],
          cwd: APP_DIRECTORY,
          stderr: logger ? 'logger' : 'ignore',
          timeout: 20_000,
          requireToolApproval: false,
          toolErrors: 'return',
        },
      },
      ...(logger ? { logger } : {}),
    })
    cleanups.push(() => utilities.disconnect())
    const utilityTools = Object.values(await utilities.listTools()).filter(
      // server_info is for the demo's own cleanup checks, not for the agent.
      (tool) => tool.name !== 'server_info',
    )

    const pool = new MCPClientPool({
      max: options.poolMax ?? 100,
      idleTtl: options.poolIdleTtl ?? 300_000,
      ...(logger ? { logger } : {}),
    })
    cleanups.push(() => pool.close({ drainTimeout: 2000 }))

    // The era each server's client negotiated, latest first seen; the page shows it.
    const serverEras: Record<string, ServerEra | undefined> = {}
    const noteEras = (client: MCPClient): void => {
      const versions = client.getServerProtocolVersions()
      for (const [server, era] of Object.entries(client.getServerProtocolEras())) {
        const protocolVersion = versions[server]
        if (era && protocolVersion) serverEras[server] = { era, protocolVersion }
      }
    }
    noteEras(utilities)

    let freshClients = 0
    const notesProtocolVersion = options.notesProtocolVersion ?? DEFAULT_NOTES_PROTOCOL_VERSION
    const buildUserClient = (
      user: DemoUser,
      id: string,
      cache?: MCPClientCacheOptions,
    ): MCPClient =>
      new MCPClient({
        id,
        ...(cache ? { cache } : {}),
        servers: {
          notes: {
            url: notes.url,
            transport: 'streamable-http',
            protocolVersion: notesProtocolVersion,
            requestInit: { headers: { authorization: `Bearer ${user.token}` } },
            timeout: 15_000,
            // Only the destructive tool waits for a human; reads and adds run at once.
            requireToolApproval: { tools: { delete_note: true }, default: false },
            toolErrors: 'return',
          },
        },
        approval: { handler: decider, principal: user.name, onDecision, timeout: approvalTimeout },
        ...(logger ? { logger } : {}),
      })

    const acquire = (user: DemoUser) =>
      pool.acquire({ user: user.name, credentials: user.token }, ({ id, cache }) =>
        buildUserClient(user, `mcpkit-demo-${instance}-${id}`, cache),
      )

    const chat = async (
      user: DemoUser,
      message: string,
      signal?: AbortSignal,
    ): Promise<AgentReply> => {
      const tools: Record<string, AgentTool> = {}
      const unavailableServers: Record<string, string> = {}
      let lease: { client: MCPClient; release(): void } | undefined
      try {
        // The per-request pattern: this user's own client (own token, own session), and the
        // toolsets listed for this request. Warm clients answer from their cached list.
        lease = await acquire(user)
        const toolsets = await lease.client.listToolsets()
        noteEras(lease.client)
        for (const serverTools of Object.values(toolsets)) {
          for (const tool of Object.values(serverTools)) tools[tool.id] = agentTool(tool, user)
        }
      } catch (error) {
        unavailableServers.notes = describeError(error)
        log(logger, 'warning', `notes tools unavailable for ${user.name}: ${describeError(error)}`)
      }
      try {
        for (const tool of utilityTools) tools[tool.id] = agentTool(tool, user)
        return await runAgent({ provider, message, tools, unavailableServers, signal })
      } finally {
        lease?.release()
      }
    }

    const api: ApiServer = await startApiServer({
      port: options.port ?? 0,
      directory,
      chat,
      approvals,
      status: () => ({
        pool: pool.stats(),
        approvals: { ...counts },
        provider: provider.name,
        sharedClient: { server: 'utilities', tools: utilityTools.map((tool) => tool.id) },
        freshClients,
        servers: { ...serverEras },
        notesProtocolVersion,
      }),
      ...(logger ? { logger } : {}),
    })
    cleanups.push(() => api.close())
    // Runs before the API closes (cleanups run in reverse): a chat waiting for a human is
    // answered with a denial instead of hanging until its timeout.
    cleanups.push(async () => {
      for (const request of await approvals.pending()) {
        try {
          await approvals.deny(request.id, {
            principal: request.principal,
            reason: 'the demo is shutting down',
          })
        } catch {
          // Settled meanwhile.
        }
      }
    })

    let closing: Promise<void> | undefined
    return {
      url: api.url,
      users: directory.users,
      pool,
      approvals,
      provider,
      notes,
      utilities,
      chat,
      async withUserClient(user, fn) {
        const lease = await acquire(user)
        try {
          return await fn(lease.client)
        } finally {
          lease.release()
        }
      },
      createUserClient(user) {
        freshClients += 1
        return buildUserClient(user, `mcpkit-demo-${instance}-fresh-${freshClients}`)
      },
      async utilitiesPid() {
        const tools = await utilities.listToolsets()
        const info = (await tools.utilities?.server_info?.execute({})) as { pid?: unknown }
        if (typeof info?.pid !== 'number') throw new Error('server_info returned no pid')
        return info.pid
      },
      approvalCounts: () => ({ ...counts }),
      close() {
        closing ??= closeAll()
        return closing
      },
    }
  } catch (error) {
    await closeAll()
    throw error
  }
}

/** An MCP tool as the agent loop runs it: with this user's request context, errors as results. */
function agentTool(tool: MCPTool, user: DemoUser): AgentTool {
  // For the model's tool description only; the client's gate decides each call.
  const policy = tool.requireApproval
  const needsApproval =
    policy === true ||
    (typeof policy === 'object' && policy !== null && policy.tools[tool.name] === true)
  return {
    description: {
      name: tool.id,
      description: tool.description,
      inputSchema: tool.inputSchema,
      needsApproval,
    },
    async run(args, signal) {
      let approval: ApprovalRecord | undefined
      const recorder: ApprovalRecorder = (request, decision) => {
        approval = decision.approved
          ? {
              requestId: request.id,
              outcome: 'approved',
              ...(decision.by ? { by: decision.by } : {}),
            }
          : {
              requestId: request.id,
              outcome: Date.now() >= request.expiresAt ? 'expired' : 'denied',
              ...(decision.reason ? { reason: decision.reason } : {}),
              ...(decision.by ? { by: decision.by } : {}),
            }
      }
      const requestContext = new RequestContext({
        user: user.name,
        [APPROVAL_RECORDER]: recorder,
      })
      const result = await tool.execute(args, { requestContext, signal })
      return toOutcome(result, approval)
    },
  }
}

function toOutcome(result: unknown, approval: ApprovalRecord | undefined): ToolOutcome {
  const withApproval = <Outcome extends ToolOutcome>(outcome: Outcome): Outcome =>
    approval ? { ...outcome, approval } : outcome
  if (
    typeof result !== 'object' ||
    result === null ||
    (result as { isError?: unknown }).isError !== true
  ) {
    return withApproval({ ok: true, result })
  }
  const content = (result as { content?: unknown }).content
  const text = Array.isArray(content)
    ? content
        .filter((part): part is { type: 'text'; text: string } => part?.type === 'text')
        .map((part) => part.text)
        .join('\n')
    : ''
  const meta = (result as { _meta?: Record<string, unknown> })._meta?.['mcpkit/approval'] as
    | { outcome?: unknown; requestId?: unknown; reason?: unknown }
    | undefined
  if (meta && (meta.outcome === 'denied' || meta.outcome === 'expired')) {
    const denial: ApprovalRecord = {
      requestId: typeof meta.requestId === 'string' ? meta.requestId : (approval?.requestId ?? ''),
      outcome: meta.outcome,
      ...(typeof meta.reason === 'string' ? { reason: meta.reason } : {}),
      ...(approval?.by ? { by: approval.by } : {}),
    }
    return { ok: false, error: text || 'The call was denied.', approval: denial }
  }
  return withApproval({ ok: false, error: text || 'The tool reported an error.' })
}

function log(logger: LogHandler | undefined, level: 'info' | 'warning', message: string): void {
  try {
    logger?.({ level, message, timestamp: new Date(), serverName: 'demo' })
  } catch {
    // A failing logger must not break a request.
  }
}
