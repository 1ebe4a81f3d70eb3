/**
 * Canonical JSON of a value: object keys sorted at every depth, no whitespace, and otherwise
 * the rules of `JSON.stringify` (`toJSON` is honoured, `undefined`/functions/symbols are left
 * out of objects and become `null` in arrays, non-finite numbers become `null`). Two argument
 * objects that mean the same thing get the same text, whatever their key order.
 *
 * Throws a `TypeError` for values JSON cannot represent: a `bigint` or a cycle. With
 * `strict`, also for a function or a symbol, which JSON would silently leave out: where the text
 * identifies something (a credential fingerprint), two different values must never encode
 * alike.
 */
export function canonicalJson(value: unknown, options: { strict?: boolean } = {}): string {
  const text = encode(value, new Set(), options.strict === true)
  // A top-level value JSON would drop (undefined, a function) still needs a stable encoding.
  return text ?? 'null'
}

function encode(value: unknown, ancestors: Set<object>, strict: boolean): string | undefined {
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
      throw new TypeError('The value contains a bigint, which JSON cannot represent')
    case 'function':
    case 'symbol':
      if (strict)
        throw new TypeError(`The value contains a ${typeof current}, which JSON cannot represent`)
      return undefined
    case 'undefined':
      return undefined
  }
  if (current === null) return 'null'
  const object = current as object
  if (ancestors.has(object)) {
    throw new TypeError('The value contains a cycle, which JSON cannot represent')
  }
  ancestors.add(object)
  try {
    if (Array.isArray(object)) {
      // Array.from visits holes of sparse arrays too, as JSON does (`null`).
      return `[${Array.from(object, (item) => encode(item, ancestors, strict) ?? 'null').join(',')}]`
    }
    const record = object as Record<string, unknown>
    const members: string[] = []
    for (const key of Object.keys(record).sort()) {
      const encoded = encode(record[key], ancestors, strict)
      if (encoded !== undefined) members.push(`${JSON.stringify(key)}:${encoded}`)
    }
    return `{${members.join(',')}}`
  } finally {
    ancestors.delete(object)
  }
}
