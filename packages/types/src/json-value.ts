/** Deepest nesting `jsonValueProblem` follows before calling the value unsendable. */
const MAX_WALK_DEPTH = 1000

/**
 * Why `value` cannot be sent as JSON faithfully, or `undefined` when it can: a `BigInt`, a
 * cycle, a `toJSON` that throws, or nesting deeper than 1000 levels — each of which makes
 * `JSON.stringify` throw (or overflow), so an answer built from it would never reach the
 * client. The reason names where it is (`$.structuredContent.count`). An object referenced
 * twice without a cycle is fine: it is serialised twice, as `JSON.stringify` does.
 */
export function jsonValueProblem(value: unknown): string | undefined {
  const ancestors = new Set<object>()
  const visit = (item: unknown, key: string, path: string, depth: number): string | undefined => {
    if (typeof item === 'bigint') return `a BigInt at ${path}`
    if (typeof item !== 'object' || item === null) return undefined
    if (typeof (item as { toJSON?: unknown }).toJSON === 'function') {
      let converted: unknown
      try {
        converted = (item as { toJSON: (key: string) => unknown }).toJSON(key)
      } catch (error) {
        return `a toJSON() that throws (${error instanceof Error ? error.message : String(error)}) at ${path}`
      }
      if (converted !== item) return visit(converted, key, path, depth)
    }
    if (ancestors.has(item)) return `a cycle at ${path}`
    if (depth >= MAX_WALK_DEPTH) return `nesting deeper than ${MAX_WALK_DEPTH} levels at ${path}`
    ancestors.add(item)
    try {
      if (Array.isArray(item)) {
        for (let index = 0; index < item.length; index++) {
          const problem = visit(item[index], String(index), `${path}[${index}]`, depth + 1)
          if (problem) return problem
        }
        return undefined
      }
      for (const name of Object.keys(item)) {
        const problem = visit(
          (item as Record<string, unknown>)[name],
          name,
          `${path}.${name}`,
          depth + 1,
        )
        if (problem) return problem
      }
      return undefined
    } finally {
      ancestors.delete(item)
    }
  }
  return visit(value, '', '$', 0)
}
