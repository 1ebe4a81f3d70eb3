import { nodeCrypto } from './node-crypto.js'

/** Tool names most model APIs accept: letters, digits, `_` and `-`, at most 64 characters. */
export const MAX_TOOL_ID_LENGTH = 64
const INVALID_CHARACTERS = /[^A-Za-z0-9_-]/g

/**
 * The flat id of a server's tool: `<server>_<tool>`. Characters model APIs reject become `_`;
 * an id longer than 64 characters keeps its start and ends in a hash of the full name, so ids
 * stay unique and stable across runs.
 */
export function toolId(serverName: string, toolName: string): string {
  const full = `${serverName}_${toolName}`
  const safe = full.replace(INVALID_CHARACTERS, '_')
  if (safe.length <= MAX_TOOL_ID_LENGTH) return safe
  return withHash(safe, serverName, toolName)
}

/**
 * The id used when `toolId` of two tools is the same (`files.read` and `files_read`, or server
 * `a` with tool `b_c` and server `a_b` with tool `c`): the id with a hash of the exact server and
 * tool names, so both stay reachable.
 */
export function distinctToolId(serverName: string, toolName: string, occurrence = 1): string {
  const id = toolId(serverName, toolName)
  const hash = toolHash(serverName, toolName, occurrence)
  return `${id.slice(0, MAX_TOOL_ID_LENGTH - hash.length - 1)}_${hash}`
}

function withHash(id: string, serverName: string, toolName: string): string {
  const hash = toolHash(serverName, toolName, 1)
  return `${id.slice(0, MAX_TOOL_ID_LENGTH - hash.length - 1)}_${hash}`
}

/**
 * A short hash of the exact server and tool names; from the second clash of the same names
 * on (a server that lists one name several times), of the clash's number too.
 */
export function toolHash(serverName: string, toolName: string, occurrence: number): string {
  const names = `${serverName}\u0000${toolName}`
  return nodeCrypto()
    .createHash('sha256')
    .update(occurrence > 1 ? `${names}\u0000${occurrence}` : names)
    .digest('hex')
    .slice(0, 8)
}
