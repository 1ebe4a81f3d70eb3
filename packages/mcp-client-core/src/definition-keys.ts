import { MCPClientError, type ServerDefinition } from '@mcpkit/types'

/**
 * Every key a server definition may have, by kind. The unknown-key check of `MCPClient` and of
 * `loadMcpServers` reads these lists: a new definition option must be added here, or it is
 * reported as unknown (and refused under `strict`).
 */
export const COMMON_DEFINITION_KEYS: readonly string[] = [
  'protocolVersion',
  'logger',
  'timeout',
  'capabilities',
  'enableServerLogs',
  'serverLogLevel',
  'roots',
  'enableProgressTracking',
  'requireToolApproval',
  'toolListTtl',
  'toolErrors',
  'maxResponseBytes',
  'maxListPages',
  'listTimeout',
  'traceContext',
]
export const STDIO_DEFINITION_KEYS: readonly string[] = ['command', 'args', 'env', 'cwd', 'stderr']
export const HTTP_DEFINITION_KEYS: readonly string[] = [
  'url',
  'transport',
  'requestInit',
  'eventSourceInit',
  'fetch',
  'authProvider',
  'notificationStream',
]

/** The keys of `definition` that no server definition has (for its kind). */
export function unknownDefinitionKeys(definition: object): string[] {
  const kindKeys = 'command' in definition ? STDIO_DEFINITION_KEYS : HTTP_DEFINITION_KEYS
  return Object.keys(definition).filter(
    (key) => !COMMON_DEFINITION_KEYS.includes(key) && !kindKeys.includes(key),
  )
}

/**
 * The sentence naming unknown keys of a server, with the known key closest to each (a typo's
 * likely fix). Names keys only, never values: a definition may hold secrets.
 */
export function unknownKeysMessage(
  serverName: string,
  keys: readonly string[],
  known: readonly string[],
): string {
  const described = keys.map((key) => {
    const suggestion = closest(key, known)
    return suggestion ? `"${key}" (did you mean "${suggestion}"?)` : `"${key}"`
  })
  return `Server "${serverName}": unknown key${keys.length > 1 ? 's' : ''} ${described.join(', ')} in its definition; ${keys.length > 1 ? 'they are' : 'it is'} ignored.`
}

/** Reports a definition's unknown keys: a warning through `warn`, or an error under `strict`. */
export function checkDefinitionKeys(
  serverName: string,
  definition: ServerDefinition,
  options: { strict: boolean; warn: (message: string) => void },
): void {
  if (definition === null || typeof definition !== 'object') return
  const unknown = unknownDefinitionKeys(definition)
  if (unknown.length === 0) return
  const known = [
    ...COMMON_DEFINITION_KEYS,
    ...('command' in definition ? STDIO_DEFINITION_KEYS : HTTP_DEFINITION_KEYS),
  ]
  const message = unknownKeysMessage(serverName, unknown, known)
  if (options.strict) {
    throw new MCPClientError(
      'INVALID_DEFINITION',
      message.replace(/; (it is|they are) ignored\.$/, ' (strict).'),
      {
        serverName,
      },
    )
  }
  options.warn(message)
}

function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3))
    ? best
    : undefined
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length]!
}
