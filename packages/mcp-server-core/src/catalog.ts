import { type Log, logTo, MCPServerError, type ResourceAuth } from '@mcpkit/types'
import type {
  CacheHint,
  Tool as ProtocolTool,
  ServerCapabilities,
} from '@modelcontextprotocol/server'
import { type CacheableMethod, resolveCacheHints } from './cache-hints.js'
import { validResourceAuth } from './http-auth.js'
import { createStateCodec, type RequestStateCodec } from './request-state.js'
import type { MCPServerConfig, MCPServerPrompts, MCPServerResources } from './server-config.js'
import { agentEntry, type ToolEntry, toolEntry, workflowEntry } from './tool-registry.js'

/**
 * What an `MCPServer` serves, prepared once from its config and shared by every session and
 * every 2026-07-28 request: tools (with agents and workflows), resources, prompts,
 * capabilities, the OAuth protection, the `requestState` codec, cache hints and the log.
 */
export interface ServerCatalog {
  readonly info: { name: string; version: string }
  readonly instructions: string | undefined
  readonly capabilities: ServerCapabilities
  readonly tools: ReadonlyMap<string, ToolEntry>
  /** The `tools/list` result, built once. */
  readonly toolList: { tools: ProtocolTool[] }
  readonly resources: MCPServerResources | undefined
  readonly prompts: MCPServerPrompts | undefined
  readonly auth: ResourceAuth | undefined
  readonly log: Log
  /** Signs and checks the `requestState` of `input_required` answers (2026-07-28). */
  readonly requestState: RequestStateCodec
  /** The SDK's per-method cache hints (2026-07-28 results only). */
  readonly cacheHints: Partial<Record<CacheableMethod, CacheHint>>
  /** Longest a tool call may run (ms), unless the tool sets its own `timeoutMs`. */
  readonly toolTimeoutMs: number
}

/** Default `toolTimeoutMs`: 10 minutes. */
export const DEFAULT_TOOL_TIMEOUT_MS = 10 * 60 * 1000

function toolTimeoutOf(value: unknown): number {
  if (value === undefined) return DEFAULT_TOOL_TIMEOUT_MS
  if (typeof value !== 'number' || !(value > 0)) {
    throw new MCPServerError(
      'INVALID_CONFIGURATION',
      `new MCPServer(config): \`toolTimeoutMs\` must be a positive number of milliseconds (or Infinity), got ${String(value)}.`,
    )
  }
  return value
}

/** Checks the config and builds the catalog; throws `INVALID_CONFIGURATION` on a mistake. */
export function buildCatalog(config: MCPServerConfig): ServerCatalog {
  if (config === null || typeof config !== 'object') {
    throw new MCPServerError(
      'INVALID_CONFIGURATION',
      'new MCPServer(config): config must be an object.',
    )
  }
  for (const field of ['name', 'version'] as const) {
    if (typeof config[field] !== 'string' || config[field].trim() === '') {
      throw new MCPServerError(
        'INVALID_CONFIGURATION',
        `new MCPServer(config): \`${field}\` must be a non-empty string.`,
      )
    }
  }
  const log = logTo(config.logger, config.name)
  const tools = new Map<string, ToolEntry>()
  for (const [key, tool] of Object.entries(config.tools ?? {})) {
    const name = typeof tool?.id === 'string' && tool.id !== '' ? tool.id : key
    if (tools.has(name)) {
      throw new MCPServerError(
        'INVALID_CONFIGURATION',
        `Two tools are named "${name}"; tool names must be unique.`,
      )
    }
    tools.set(name, toolEntry(name, tool))
  }
  const generated = [
    ...Object.entries(config.agents ?? {}).map(([key, agent]) => agentEntry(key, agent)),
    ...Object.entries(config.workflows ?? {}).map(([key, workflow]) =>
      workflowEntry(key, workflow),
    ),
  ]
  for (const entry of generated) {
    if (tools.has(entry.name)) {
      log(
        'warning',
        `an explicit tool is named "${entry.name}"; it is served instead of the ${entry.kind} of that name`,
      )
      continue
    }
    tools.set(entry.name, entry)
  }

  const { resources, prompts } = config
  return {
    info: { name: config.name, version: config.version },
    instructions: config.instructions,
    capabilities: {
      tools: { listChanged: true },
      logging: {},
      ...(resources ? { resources: { subscribe: true, listChanged: true } } : {}),
      ...(prompts ? { prompts: { listChanged: true } } : {}),
      ...(resources?.completeArgument || prompts?.completeArgument ? { completions: {} } : {}),
    },
    tools,
    toolList: { tools: [...tools.values()].map((entry) => entry.definition) },
    resources,
    prompts,
    auth: validResourceAuth(config.auth),
    log,
    requestState: createStateCodec(config.requestState),
    cacheHints: resolveCacheHints(config.cacheHints),
    toolTimeoutMs: toolTimeoutOf(config.toolTimeoutMs),
  }
}
