import {
  type HttpServerDefinition,
  LOGGING_LEVELS,
  MCPClientError,
  type ServerDefinition,
  type StdioServerDefinition,
} from '@mcpkit/types'

/** A server definition that passed `validateServerDefinition`, with its kind resolved. */
export type ResolvedServerDefinition =
  | { kind: 'stdio'; definition: StdioServerDefinition }
  | { kind: 'http'; definition: HttpServerDefinition; url: URL }

function invalid(serverName: string, message: string): MCPClientError {
  return new MCPClientError('INVALID_DEFINITION', `Server "${serverName}": ${message}`, {
    serverName,
  })
}

const PROTOCOL_VERSIONS: readonly unknown[] = ['auto', '2026-07-28', 'legacy']

/** Checks a roots list: an array of `{ uri: 'file://…', name? }`. Throws `INVALID_DEFINITION`. */
export function validateRoots(serverName: string, roots: unknown): void {
  if (!Array.isArray(roots))
    throw invalid(serverName, '`roots` must be an array of { uri, name? }.')
  for (const root of roots as unknown[]) {
    const { uri, name } = (root ?? {}) as { uri?: unknown; name?: unknown }
    if (typeof uri !== 'string' || !uri.startsWith('file://')) {
      throw invalid(
        serverName,
        `every root needs a \`uri\` starting with file://, got ${JSON.stringify(uri)}.`,
      )
    }
    if (name !== undefined && typeof name !== 'string') {
      throw invalid(serverName, `the root ${uri} has a \`name\` that is not a string.`)
    }
  }
}

/**
 * Checks a server definition and tells which transport it needs. Throws `INVALID_DEFINITION`
 * naming the server and the field, before anything is spawned or fetched.
 */
export function validateServerDefinition(
  serverName: string,
  definition: ServerDefinition,
): ResolvedServerDefinition {
  if (definition === null || typeof definition !== 'object') {
    throw invalid(serverName, 'the definition must be an object with `command` or `url`.')
  }
  const hasCommand = definition.command !== undefined
  const hasUrl = definition.url !== undefined
  if (hasCommand && hasUrl) {
    throw invalid(
      serverName,
      'has both `command` and `url`; give `command` for a stdio server or `url` for an HTTP server, not both.',
    )
  }
  if (!hasCommand && !hasUrl) {
    throw invalid(
      serverName,
      'needs `command` (stdio server) or `url` (Streamable HTTP or SSE server).',
    )
  }
  const { timeout, toolListTtl, listTimeout, protocolVersion, serverLogLevel, roots } = definition
  if (protocolVersion !== undefined && !PROTOCOL_VERSIONS.includes(protocolVersion)) {
    throw invalid(
      serverName,
      `\`protocolVersion\` must be 'auto', '2026-07-28' or 'legacy', got ${JSON.stringify(protocolVersion)}.`,
    )
  }
  if (serverLogLevel !== undefined && !LOGGING_LEVELS.includes(serverLogLevel)) {
    throw invalid(serverName, `\`serverLogLevel\` must be one of ${LOGGING_LEVELS.join(', ')}.`)
  }
  if (roots !== undefined) validateRoots(serverName, roots)
  if (definition.traceContext !== undefined && typeof definition.traceContext !== 'function') {
    throw invalid(
      serverName,
      '`traceContext` must be a function returning { traceparent, tracestate? }.',
    )
  }
  for (const [field, value] of [
    ['timeout', timeout],
    ['toolListTtl', toolListTtl],
    ['listTimeout', listTimeout],
  ] as const) {
    if (value !== undefined && (typeof value !== 'number' || !(value >= 0))) {
      throw invalid(serverName, `\`${field}\` must be a non-negative number of milliseconds.`)
    }
  }
  for (const [field, value] of [
    ['maxResponseBytes', definition.maxResponseBytes],
    ['maxListPages', definition.maxListPages],
  ] as const) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
      throw invalid(serverName, `\`${field}\` must be a positive integer.`)
    }
  }

  if (hasCommand) {
    const stdio = definition as StdioServerDefinition
    if (typeof stdio.command !== 'string' || stdio.command.trim() === '') {
      throw invalid(serverName, '`command` must be a non-empty string.')
    }
    if (stdio.args !== undefined && !Array.isArray(stdio.args)) {
      throw invalid(serverName, '`args` must be an array of strings.')
    }
    return { kind: 'stdio', definition: stdio }
  }

  const http = definition as HttpServerDefinition
  let url: URL
  try {
    url = http.url instanceof URL ? http.url : new URL(String(http.url))
  } catch {
    throw invalid(serverName, `\`url\` is not a valid URL: ${JSON.stringify(String(http.url))}.`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(serverName, `\`url\` must be http: or https:, got ${url.protocol}`)
  }
  if (
    http.transport !== undefined &&
    !['auto', 'streamable-http', 'sse'].includes(http.transport)
  ) {
    throw invalid(serverName, "`transport` must be 'auto', 'streamable-http' or 'sse'.")
  }
  if (http.transport === 'sse' && protocolVersion === '2026-07-28') {
    throw invalid(
      serverName,
      "`transport: 'sse'` (legacy HTTP+SSE) cannot speak `protocolVersion: '2026-07-28'`; drop one of them.",
    )
  }
  if (http.fetch !== undefined && typeof http.fetch !== 'function') {
    throw invalid(serverName, '`fetch` must be a function.')
  }
  if (http.notificationStream !== undefined && typeof http.notificationStream !== 'boolean') {
    throw invalid(serverName, '`notificationStream` must be true or false.')
  }
  return { kind: 'http', definition: http, url }
}
