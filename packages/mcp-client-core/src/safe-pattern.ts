import type { RE2JS } from 're2js'

/** What Ajv's `code.regExp` option takes (its `RegExpEngine`, not exported from its main entry). */
export interface RegExpLike {
  test(input: string): boolean
  /**
   * Ajv keys its compiled patterns by this text within one Ajv instance (shared by the whole
   * process here): it must name the pattern, or every pattern would reuse the first one's check.
   */
  toString(): string
}
export type RegExpEngine = ((pattern: string, flags: string) => RegExpLike) & { code: string }

/**
 * The longest `pattern` compiled. A server's schemas are untrusted input: RE2 matches in time
 * linear in the input, but compiling costs time in the size of the program a pattern expands
 * to (`a{1000}` is a thousand instructions), so both are bounded.
 */
export const MAX_PATTERN_LENGTH = 4096
/** The largest estimated RE2 program compiled (about 10 ms of compiling at most). */
export const MAX_PATTERN_PROGRAM = 2000
/** The most matching work (input length × program size) done for one value (tens of ms). */
const MAX_MATCH_WORK = 100_000_000

/** Unchecked, for a pattern that cannot be checked safely: any value passes. */
const matchesAnything: RegExpLike = { test: () => true, toString: () => 'mcpkit:unchecked' }

/**
 * Ajv's regular-expression engine for `pattern` and `patternProperties`: RE2 (`re2js`, pure
 * JavaScript), whose matching time is linear in the input, so a server's `^(a+)+$` cannot
 * freeze the event loop the way a backtracking engine does. A pattern RE2 cannot express
 * (lookahead, backreferences), longer than `MAX_PATTERN_LENGTH` or expanding to more than
 * `MAX_PATTERN_PROGRAM` instructions is not checked here (it matches anything), nor is a value
 * so long that matching it would take more than tens of milliseconds: the server still enforces
 * its own schema, and `onUnchecked` hears of it.
 */
export function linearRegExpEngine(
  re2: typeof RE2JS,
  onUnchecked?: (pattern: string, reason: string) => void,
): RegExpEngine {
  const engine = (pattern: string): RegExpLike => {
    if (pattern.length > MAX_PATTERN_LENGTH) {
      onUnchecked?.(pattern, `longer than ${MAX_PATTERN_LENGTH} characters`)
      return matchesAnything
    }
    const size = programSize(pattern)
    if (size > MAX_PATTERN_PROGRAM) {
      onUnchecked?.(pattern, `expands to more than ${MAX_PATTERN_PROGRAM} instructions`)
      return matchesAnything
    }
    let compiled: RE2JS
    try {
      compiled = re2.compile(re2.translateRegExp(pattern))
    } catch (error) {
      onUnchecked?.(pattern, error instanceof Error ? error.message : String(error))
      return matchesAnything
    }
    return {
      test: (input) => {
        if (input.length * Math.max(size, 1) > MAX_MATCH_WORK) {
          onUnchecked?.(pattern, `a value of ${input.length} characters is too long to check`)
          return true
        }
        return compiled.test(input)
      },
      toString: () => `re2:/${pattern}/`,
    }
  }
  // `code` is what Ajv's standalone code generation would import; mcpkit never generates any.
  return Object.assign(engine, { code: 'mcpkit-linear-regexp' }) satisfies RegExpEngine
}

/**
 * An upper estimate of the RE2 program `pattern` compiles to: one instruction per atom, a
 * group's size for each repetition a counted quantifier asks for (nested ones multiply).
 * Stops counting past `MAX_PATTERN_PROGRAM`.
 */
export function programSize(pattern: string): number {
  const sizes: number[] = [0]
  let last = 0
  const add = (cost: number) => {
    sizes[sizes.length - 1]! += cost
  }
  for (let index = 0; index < pattern.length; index++) {
    const total = sizes.reduce((sum, size) => sum + size, 0)
    if (total > MAX_PATTERN_PROGRAM) return total
    const character = pattern[index]
    if (character === '\\') {
      index++
      if ('pPxu'.includes(pattern[index] ?? '') && pattern[index + 1] === '{') {
        const close = pattern.indexOf('}', index)
        index = close === -1 ? pattern.length : close
      }
      last = 1
      add(1)
    } else if (character === '[') {
      let end = index + 1
      if (pattern[end] === '^') end++
      if (pattern[end] === ']') end++
      for (; end < pattern.length && pattern[end] !== ']'; end++) if (pattern[end] === '\\') end++
      index = end
      last = 1
      add(1)
    } else if (character === '(') {
      sizes.push(0)
    } else if (character === ')') {
      const group = sizes.length > 1 ? sizes.pop()! + 2 : 2
      last = group
      add(group)
    } else if (character === '*' || character === '+' || character === '?') {
      add(1)
    } else if (character === '{') {
      const counted = /^\{(\d+)(?:,(\d*))?\}/.exec(pattern.slice(index, index + 24))
      if (counted) {
        const low = Number(counted[1])
        const high =
          counted[2] === undefined ? low : counted[2] === '' ? low + 1 : Number(counted[2])
        const repeats = Math.max(low, high, 1)
        add(last * (repeats - 1) + repeats)
        last *= repeats
        index += counted[0].length - 1
      } else {
        last = 1
        add(1)
      }
    } else if (character === '|') {
      add(1)
      last = 0
    } else {
      last = 1
      add(1)
    }
  }
  return sizes.reduce((sum, size) => sum + size, 0)
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
