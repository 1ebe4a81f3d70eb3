import { type LogHandler, logTo, MCPClientError, type ServerDefinition } from '@mcpkit/types'
import {
  COMMON_DEFINITION_KEYS,
  HTTP_DEFINITION_KEYS,
  STDIO_DEFINITION_KEYS,
  unknownKeysMessage,
} from './definition-keys.js'

/** One entry of an `mcpServers` file, as Claude Desktop, Cursor and VS Code write them. */
export interface McpServersEntry {
  /** `stdio`, `http`, `streamable-http` or `sse` (VS Code and Cursor); inferred when absent. */
  type?: string
  command?: string
  args?: string[]
  env?: Record<string, string>
  cwd?: string
  url?: string
  headers?: Record<string, string>
  /** Claude Desktop / Cline: a disabled server is left out. */
  disabled?: boolean
  [key: string]: unknown
}

/** The file's shape: `mcpServers` (Claude Desktop, Cursor) or `servers` (VS Code). */
export interface McpServersConfig {
  mcpServers?: Record<string, McpServersEntry>
  servers?: Record<string, McpServersEntry>
}

/** Options of `loadMcpServers`. */
export interface LoadMcpServersOptions {
  /** Where `${env:VAR}` / `${VAR}` references are looked up. Default: `process.env`. */
  env?: Record<string, string | undefined>
  /** An unknown key is an `INVALID_DEFINITION` error instead of a warning. Default `false`. */
  strict?: boolean
  /** Receives the warnings (unknown keys, by name; never a value). */
  logger?: LogHandler
}

/** Keys of a file entry that `loadMcpServers` reads and turns into definition fields. */
const FILE_KEYS = ['type', 'headers', 'disabled']
const HTTP_TYPES: Record<string, 'streamable-http' | 'sse'> = {
  http: 'streamable-http',
  'streamable-http': 'streamable-http',
  streamableHttp: 'streamable-http',
  sse: 'sse',
}

/**
 * Server definitions for `new MCPClient({ servers })` from the `mcpServers` file your MCP
 * host already has (Claude Desktop's `claude_desktop_config.json`, Cursor's `mcp.json`, VS
 * Code's `.vscode/mcp.json`): a path (read as JSON) or the parsed object.
 *
 * - `command`/`args`/`env`/`cwd` entries are stdio servers; `url` entries HTTP servers, with
 *   `headers` on every request (the SSE stream included) and `type` (`http` /
 *   `streamable-http`: Streamable HTTP only; `sse`: legacy SSE; absent: Streamable HTTP with
 *   the SSE fallback).
 * - `${env:VAR}`, `${VAR}` and `${VAR:-default}` in any string are read from `env`; a
 *   variable that is not set is an `INVALID_DEFINITION` error naming it and where it is used.
 * - Entries may also carry mcpkit's own definition keys (`requireToolApproval`, `timeout`,
 *   …). Any other key is reported by name (a warning to `logger`, or an error under `strict`);
 *   values are never logged, since they may be secrets.
 * - `disabled: true` entries are left out.
 */
export async function loadMcpServers(
  source: string | McpServersConfig,
  options: LoadMcpServersOptions = {},
): Promise<Record<string, ServerDefinition>> {
  let config: unknown = source
  if (typeof source === 'string') {
    const { readFile } = await import('node:fs/promises')
    let text: string
    try {
      text = await readFile(source, 'utf8')
    } catch (error) {
      throw new MCPClientError(
        'INVALID_CONFIGURATION',
        `Could not read the mcpServers file ${source}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      )
    }
    try {
      config = JSON.parse(text)
    } catch (error) {
      throw new MCPClientError(
        'INVALID_CONFIGURATION',
        `The mcpServers file ${source} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      )
    }
  }
  return mcpServersFromConfig(config as McpServersConfig, options)
}

/** `loadMcpServers` for an object you already parsed; synchronous. */
export function mcpServersFromConfig(
  config: McpServersConfig,
  options: LoadMcpServersOptions = {},
): Record<string, ServerDefinition> {
  const entries = config?.mcpServers ?? config?.servers
  if (entries === null || typeof entries !== 'object' || Array.isArray(entries)) {
    throw new MCPClientError(
      'INVALID_CONFIGURATION',
      'An mcpServers configuration needs an `mcpServers` (Claude Desktop, Cursor) or `servers` (VS Code) object mapping names to servers.',
    )
  }
  const env = options.env ?? (globalThis.process?.env as Record<string, string | undefined>) ?? {}
  const servers: Record<string, ServerDefinition> = {}
  for (const [name, raw] of Object.entries(entries)) {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new MCPClientError(
        'INVALID_DEFINITION',
        `Server "${name}": its entry must be an object.`,
        {
          serverName: name,
        },
      )
    }
    if (raw.disabled === true) continue
    const entry = resolveReferences(name, raw, env) as McpServersEntry
    servers[name] = toDefinition(name, entry, options)
  }
  return servers
}

function toDefinition(
  name: string,
  entry: McpServersEntry,
  options: LoadMcpServersOptions,
): ServerDefinition {
  const isStdio = entry.command !== undefined || entry.type === 'stdio'
  const known = [
    ...FILE_KEYS,
    ...COMMON_DEFINITION_KEYS,
    ...(isStdio ? STDIO_DEFINITION_KEYS : HTTP_DEFINITION_KEYS),
  ]
  const unknown = Object.keys(entry).filter((key) => !known.includes(key))
  if (unknown.length > 0) {
    const message = unknownKeysMessage(name, unknown, known)
    if (options.strict) {
      throw new MCPClientError(
        'INVALID_DEFINITION',
        message.replace(/; (it is|they are) ignored\.$/, ' (strict).'),
        { serverName: name },
      )
    }
    logTo(options.logger, name)('warning', message)
  }
  const { type, headers, disabled: _disabled, ...rest } = entry
  const definition: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(rest)) if (known.includes(key)) definition[key] = value
  if (isStdio) return definition as unknown as ServerDefinition

  if (type !== undefined) {
    const transport = HTTP_TYPES[type]
    if (!transport) {
      throw new MCPClientError(
        'INVALID_DEFINITION',
        `Server "${name}": \`type\` must be http, streamable-http, sse or stdio, got ${JSON.stringify(type)}.`,
        { serverName: name },
      )
    }
    definition.transport ??= transport
  }
  if (headers !== undefined) {
    if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
      throw new MCPClientError(
        'INVALID_DEFINITION',
        `Server "${name}": \`headers\` must be an object of strings.`,
        {
          serverName: name,
        },
      )
    }
    const requestInit = (definition.requestInit ?? {}) as RequestInit
    definition.requestInit = {
      ...requestInit,
      headers: { ...(requestInit.headers as Record<string, string> | undefined), ...headers },
    }
  }
  return definition as unknown as ServerDefinition
}

const REFERENCE = /\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{([^}]*)\}/g

/** Every string of `value` with its `${env:VAR}` references replaced; `path` names the field. */
function resolveReferences(
  serverName: string,
  value: unknown,
  env: Record<string, string | undefined>,
  path = '',
): unknown {
  if (typeof value === 'string') {
    return value.replace(
      REFERENCE,
      (_match, variable?: string, fallback?: string, other?: string) => {
        if (variable === undefined) {
          throw new MCPClientError(
            'INVALID_DEFINITION',
            `Server "${serverName}": \`${path}\` uses \${${other}}, which mcpkit cannot resolve (only \${env:VAR}, \${VAR} and \${VAR:-default}).`,
            { serverName },
          )
        }
        const found = env[variable]
        if (found !== undefined) return found
        if (fallback !== undefined) return fallback
        throw new MCPClientError(
          'INVALID_DEFINITION',
          `Server "${serverName}": \`${path}\` references the environment variable ${variable}, which is not set. Set it, or give a default with \${${variable}:-default}.`,
          { serverName },
        )
      },
    )
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => resolveReferences(serverName, item, env, `${path}[${index}]`))
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        resolveReferences(serverName, item, env, path ? `${path}.${key}` : key),
      ]),
    )
  }
  return value
}
