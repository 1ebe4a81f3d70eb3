import type { MCPTool } from './mcp-tool.js'
import { distinctToolId, toolHash, toolId } from './tool-id.js'

/**
 * Tool names are the server's to choose, so records keyed by them are built key by key as own
 * data properties: a tool named `__proto__` is an own key like any other (assigning it would
 * replace the record's prototype and the tool would vanish), and one named `hasOwnProperty` or
 * `constructor` shadows nothing it should not.
 */
export function setOwn<Value>(record: Record<string, Value>, key: string, value: Value): void {
  Object.defineProperty(record, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  })
}

/**
 * `preferred`, or, when `record` has that key, the first free `alternative(1)`,
 * `alternative(2)`, …: at most one try per key in `record`, plus one.
 */
export function freeKey(
  record: object,
  preferred: string,
  alternative: (occurrence: number) => string,
): string {
  let key = preferred
  for (let occurrence = 1; Object.hasOwn(record, key); occurrence++) key = alternative(occurrence)
  return key
}

/**
 * The ids of a server's tools, in list order: `<server>_<tool>`, and for a name the server
 * lists again, that id with a hash of the names and the repeat's number (the README's hashed
 * id), so every listed tool keeps an id of its own.
 */
export function toolIdsOf(serverName: string, names: readonly string[]): string[] {
  const seen = new Map<string, number>()
  const taken = new Set<string>()
  return names.map((name) => {
    const repeat = seen.get(name) ?? 0
    seen.set(name, repeat + 1)
    let id = repeat === 0 ? toolId(serverName, name) : distinctToolId(serverName, name, repeat)
    for (let occurrence = repeat + 1; taken.has(id); occurrence++) {
      id = distinctToolId(serverName, name, occurrence)
    }
    taken.add(id)
    return id
  })
}

/**
 * One server's toolset: its tools by name, each an own key. A name listed again is keyed
 * `<name>_<hash>`, the hash its id ends in.
 */
export function toolsetOf(tools: readonly MCPTool[]): Record<string, MCPTool> {
  const record: Record<string, MCPTool> = {}
  for (const tool of tools) {
    const key = freeKey(
      record,
      tool.name,
      (occurrence) => `${tool.name}_${toolHash(tool.serverName, tool.name, occurrence)}`,
    )
    setOwn(record, key, tool)
  }
  return record
}
