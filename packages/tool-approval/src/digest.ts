/**
 * Canonical JSON of a value: object keys sorted at every depth, no whitespace, and otherwise
 * the rules of `JSON.stringify` (`toJSON` is honoured, `undefined`/functions/symbols are left
 * out of objects and become `null` in arrays, non-finite numbers become `null`). Two argument
 * objects that mean the same thing get the same text, whatever their key order.
 *
 * Throws a `TypeError` for values JSON cannot represent: a `bigint` or a cycle.
 */
export function canonicalJson(value: unknown): string {
  const text = encode(value, new Set())
  // A top-level value JSON would drop (undefined, a function) still needs a stable encoding.
  return text ?? 'null'
}

function encode(value: unknown, ancestors: Set<object>): string | undefined {
  let current = value
  if (
    typeof current === 'object' &&
    current !== null &&
    typeof (current as { toJSON?: unknown }).toJSON === 'function'
  ) {
    current = (current as { toJSON: () => unknown }).toJSON()
  }
  switch (typeof current) {
    case 'string':
      return JSON.stringify(current)
    case 'number':
      return Number.isFinite(current) ? JSON.stringify(current) : 'null'
    case 'boolean':
      return current ? 'true' : 'false'
    case 'bigint':
      throw new TypeError('Tool arguments contain a bigint, which JSON cannot represent')
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined
  }
  if (current === null) return 'null'
  const object = current as object
  if (ancestors.has(object)) {
    throw new TypeError('Tool arguments contain a cycle, which JSON cannot represent')
  }
  ancestors.add(object)
  try {
    if (Array.isArray(object)) {
      // Array.from visits holes of sparse arrays too, as JSON does (`null`).
      return `[${Array.from(object, (item) => encode(item, ancestors) ?? 'null').join(',')}]`
    }
    const record = object as Record<string, unknown>
    const members: string[] = []
    for (const key of Object.keys(record).sort()) {
      const encoded = encode(record[key], ancestors)
      if (encoded !== undefined) members.push(`${JSON.stringify(key)}:${encoded}`)
    }
    return `{${members.join(',')}}`
  } finally {
    ancestors.delete(object)
  }
}

type NodeCrypto = {
  createHash(algorithm: 'sha256'): { update(text: string): { digest(encoding: 'hex'): string } }
}

/**
 * Node's own `crypto` when the runtime has one: hashing synchronously costs microseconds,
 * where a Web Crypto round trip through the thread pool costs a quarter millisecond, on every
 * gated call. Reached through `process.getBuiltinModule`, so bundles for other runtimes do not
 * import `node:crypto`.
 */
const nodeCrypto = (
  globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } }
).process?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined

/** SHA-256 of `text` (UTF-8) as lowercase hex, on any runtime with Web Crypto. */
export async function sha256Hex(text: string): Promise<string> {
  if (nodeCrypto) return nodeCrypto.createHash('sha256').update(text).digest('hex')
  const subtle = globalThis.crypto?.subtle
  if (!subtle) {
    throw new Error(
      'Web Crypto (globalThis.crypto.subtle) is not available: use Node 20+, a browser, or an edge runtime',
    )
  }
  const hash = new Uint8Array(await subtle.digest('SHA-256', new TextEncoder().encode(text)))
  let hex = ''
  for (const byte of hash) hex += byte.toString(16).padStart(2, '0')
  return hex
}

/**
 * SHA-256 (lowercase hex) of the canonical JSON of tool arguments: sorted keys at every
 * depth, no whitespace. Equal arguments give equal digests whatever their key order, so
 * audit logs and reviewers can tell calls apart without storing the arguments.
 */
export function argsDigest(args: Record<string, unknown>): Promise<string> {
  try {
    return sha256Hex(canonicalJson(args))
  } catch (error) {
    return Promise.reject(error)
  }
}
