import { RE2JS } from 're2js'

/** What Ajv's `code.regExp` option takes (its `RegExpEngine`, not exported from its main entry). */
export interface RegExpLike {
  test(input: string): boolean
}
export type RegExpEngine = ((pattern: string, flags: string) => RegExpLike) & { code: string }

/**
 * The longest `pattern` compiled. A server's schemas are untrusted input: RE2 matches in time
 * linear in the input, and a pattern this size still compiles in a few milliseconds.
 */
export const MAX_PATTERN_LENGTH = 4096

const matchesAnything: RegExpLike = { test: () => true }

/**
 * Ajv's regular-expression engine for `pattern` and `patternProperties`: RE2 (`re2js`, pure
 * JavaScript), whose matching time is linear in the input, so a server's `^(a+)+$` cannot
 * freeze the event loop the way a backtracking engine does. A pattern RE2 cannot express
 * (lookahead, backreferences) or longer than `MAX_PATTERN_LENGTH` is not checked here (it
 * matches anything): the server still enforces its own schema, and `onUnchecked` hears of it.
 */
export function linearRegExpEngine(
  onUnchecked?: (pattern: string, reason: string) => void,
): RegExpEngine {
  const engine = (pattern: string): RegExpLike => {
    if (pattern.length > MAX_PATTERN_LENGTH) {
      onUnchecked?.(pattern, `longer than ${MAX_PATTERN_LENGTH} characters`)
      return matchesAnything
    }
    let compiled: RE2JS
    try {
      compiled = RE2JS.compile(RE2JS.translateRegExp(pattern))
    } catch (error) {
      onUnchecked?.(pattern, error instanceof Error ? error.message : String(error))
      return matchesAnything
    }
    return { test: (input) => compiled.test(input) }
  }
  // `code` is what Ajv's standalone code generation would import; mcpkit never generates any.
  return Object.assign(engine, { code: 'mcpkit-linear-regexp' }) satisfies RegExpEngine
}

/**
 * `schema` without what would run a server's regular expressions on a backtracking engine:
 * `pattern` and `patternProperties` (an `additionalProperties: false` beside the latter is
 * dropped too, so the properties it allowed stay allowed). For conversions such as zod's
 * `fromJSONSchema`, which compile `pattern` with `RegExp`; `execute` still checks the patterns,
 * in linear time. Returns `schema` itself when it has none.
 */
export function withoutPatterns<Schema>(schema: Schema): Schema {
  return strip(schema, 0) as Schema
}

const MAX_DEPTH = 64

function strip(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) {
    let changed = false
    const items = value.map((item) => {
      const next = strip(item, depth + 1)
      if (next !== item) changed = true
      return next
    })
    return changed ? items : value
  }
  const record = value as Record<string, unknown>
  let changed = false
  const copy: Record<string, unknown> = {}
  const hasPatternProperties = Object.hasOwn(record, 'patternProperties')
  for (const key of Object.keys(record)) {
    const entry = record[key]
    if (key === 'pattern' && typeof entry === 'string') {
      changed = true
      continue
    }
    if (key === 'patternProperties' || (hasPatternProperties && key === 'additionalProperties')) {
      changed = true
      continue
    }
    // Maps of names to schemas: their keys are names, never keywords, but their values are schemas.
    const next = DATA_KEYWORDS.has(key)
      ? entry
      : SCHEMA_MAPS.has(key)
        ? stripMap(entry, depth + 1)
        : strip(entry, depth + 1)
    if (next !== entry) changed = true
    Object.defineProperty(copy, key, {
      value: next,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return changed ? copy : value
}

/** Keywords whose values are data, not schemas: a `pattern` key in them is kept. */
const DATA_KEYWORDS = new Set(['const', 'enum', 'default', 'examples'])
const SCHEMA_MAPS = new Set(['properties', '$defs', 'definitions', 'dependentSchemas'])

function stripMap(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
  const record = value as Record<string, unknown>
  let changed = false
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(record)) {
    const next = strip(record[key], depth)
    if (next !== record[key]) changed = true
    Object.defineProperty(copy, key, {
      value: next,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return changed ? copy : value
}
