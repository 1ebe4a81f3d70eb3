import type { MCPServerConfig, ServerDetail, ServerInfo, ToolInfo } from './server-config.js'
import type { ToolEntry } from './tool-registry.js'

/** The MCP registry's summary of a server (`getServerInfo()`). */
export function serverInfo(config: MCPServerConfig): ServerInfo {
  const { id, name, description, repository, version, releaseDate, isLatest } = config
  return {
    id: id ?? name,
    name,
    ...(description === undefined ? {} : { description }),
    ...(repository === undefined ? {} : { repository }),
    version_detail: {
      version,
      release_date: releaseDate ?? new Date(0).toISOString(),
      is_latest: isLatest ?? true,
    },
  }
}

/** The summary plus packages and remotes (`getServerDetail()`). */
export function serverDetail(config: MCPServerConfig): ServerDetail {
  const { packageCanonical, packages, remotes } = config
  return {
    ...serverInfo(config),
    ...(packageCanonical === undefined ? {} : { package_canonical: packageCanonical }),
    ...(packages === undefined ? {} : { packages }),
    ...(remotes === undefined ? {} : { remotes }),
  }
}

/** One tool as clients see it, and what made it (`getToolInfo()`). */
export function toolInfo(entry: ToolEntry): ToolInfo {
  const { definition } = entry
  return {
    name: entry.name,
    description: definition.description ?? '',
    inputSchema: definition.inputSchema,
    ...(definition.outputSchema ? { outputSchema: definition.outputSchema } : {}),
    ...(definition.annotations ? { annotations: definition.annotations } : {}),
    toolType: entry.kind,
  }
}
