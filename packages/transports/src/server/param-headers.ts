/**
 * `Mcp-Param-{Name}` headers (2026-07-28, SEP-2243): a tool's input schema may mark arguments
 * with `x-mcp-header`; clients then mirror their values into headers so intermediaries can
 * route on them, and the server must refuse a request whose headers and body disagree
 * (400, `-32020`). The SDK checks this only for its own `McpServer`; this is the same check for
 * any `Server`, from the tool's published input schema.
 */

/** One argument a tool mirrors into a header. */
interface Declaration {
  /** `{Name}` of `Mcp-Param-{Name}`. */
  header: string
  /** The chain of `properties` keys that leads to the argument. */
  path: string[]
}

const declarationsBySchema = new WeakMap<object, Declaration[]>()

/** The `x-mcp-header` declarations of an input schema (cached per schema object). */
function declarationsOf(schema: object): Declaration[] {
  let found = declarationsBySchema.get(schema)
  if (!found) {
    found = []
    collect(schema, [], found)
    declarationsBySchema.set(schema, found)
  }
  return found
}

function collect(schema: unknown, path: string[], into: Declaration[]): void {
  const properties = (schema as { properties?: unknown } | null)?.properties
  if (typeof properties !== 'object' || properties === null) return
  for (const [key, property] of Object.entries(properties)) {
    if (typeof property !== 'object' || property === null) continue
    const header = (property as Record<string, unknown>)['x-mcp-header']
    if (typeof header === 'string' && header !== '') into.push({ header, path: [...path, key] })
    collect(property, [...path, key], into)
  }
}

function valueAt(args: unknown, path: string[]): unknown {
  let current = args
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return current
}

/** Visible ASCII, space and tab: what a header value may carry unencoded (RFC 9110 5.5). */
const PLAIN = /^[\x20-\x7e\t]*$/
const SENTINEL = /^=\?base64\?(.*)\?=$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** The header's value decoded (Base64 sentinel) or as is; `undefined` when it is malformed. */
function decode(raw: string): string | undefined {
  const value = raw.trim()
  const sentinel = SENTINEL.exec(value)
  if (!sentinel) return PLAIN.test(value) ? value : undefined
  const encoded = sentinel[1] ?? ''
  if (!BASE64.test(encoded)) return undefined
  try {
    const binary = atob(encoded)
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0))
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return undefined
  }
}

function matches(header: string, value: unknown): boolean {
  switch (typeof value) {
    case 'string':
      return header === value
    case 'number':
      return header.trim() !== '' && Number(header) === value
    case 'boolean':
      return header === String(value)
    default:
      return false
  }
}

/**
 * Why the `Mcp-Param-*` headers of a `tools/call` disagree with its arguments, or `undefined`
 * when they agree (or the tool mirrors nothing).
 */
export function paramHeaderProblem(
  inputSchema: object,
  args: unknown,
  headers: Headers,
): string | undefined {
  for (const { header, path } of declarationsOf(inputSchema)) {
    const name = `Mcp-Param-${header}`
    const raw = headers.get(name)
    const value = valueAt(args, path)
    if (value === undefined || value === null) {
      if (raw !== null) return `${name} is sent but the argument ${path.join('.')} is not`
      continue
    }
    if (raw === null) return `${name} is missing; the argument ${path.join('.')} is present`
    const decoded = decode(raw)
    if (decoded === undefined) return `${name} has invalid characters or malformed Base64`
    if (!matches(decoded, value)) {
      return `${name} does not match the argument ${path.join('.')} in the body`
    }
  }
  return undefined
}
