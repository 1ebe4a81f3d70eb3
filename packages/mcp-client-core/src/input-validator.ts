import type { JsonSchema, ToolInputIssue } from '@mcpkit/types'
import type {
  JsonSchemaType,
  JsonSchemaValidator,
  jsonSchemaValidator,
} from '@modelcontextprotocol/client'
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv'
import { linearRegExpEngine } from './safe-pattern.js'

/** Compiles schemas, once each per process (see `SchemaCompiler`). */
let compilerLoading: Promise<SchemaCompiler> | undefined

/**
 * Ajv, ajv-formats and RE2 (~70 modules), loaded on the first connect rather than on import: an
 * `import { MCPClient }` costs no more than the SDK's own.
 */
function loadCompiler(): Promise<SchemaCompiler> {
  compilerLoading ??= Promise.all([import('ajv'), import('ajv-formats'), import('re2js')]).then(
    ([ajvModule, formatsModule, re2Module]) => {
      // Both are CommonJS: their exports sit under `default` under some interops.
      const AjvClass = (ajvModule.Ajv ??
        (ajvModule as unknown as { default: { Ajv: typeof Ajv } }).default.Ajv) as typeof Ajv
      let addFormats: unknown = formatsModule.default
      while (typeof addFormats !== 'function' && addFormats) {
        addFormats = (addFormats as { default?: unknown }).default
      }
      const ajv = (addFormats as (ajv: Ajv) => Ajv)(
        new AjvClass({
          strict: false,
          allErrors: true,
          validateSchema: false,
          addUsedSchema: false,
          // A server's `pattern` runs on RE2, in linear time: no ReDoS freezes the event loop.
          code: { regExp: linearRegExpEngine(re2Module.RE2JS) },
        }),
      )
      return new SchemaCompiler(ajv)
    },
  )
  return compilerLoading
}

/** How many distinct schemas stay compiled; the least recently compiled or used goes first. */
const MAX_COMPILED_SCHEMAS = 2048

/**
 * One Ajv for the process, and the compiled checks of the schemas seen, keyed by their JSON
 * text. Compiling costs ~0.1–1 ms and an Ajv instance tens of KB: per pooled client that was
 * most of a tenant's first call and a third of its heap. A compiled check is a pure function of
 * the schema's text, so clients of different users that meet the same schema share it and
 * learn nothing from each other; no input, result or error outlives the call that made it
 * (`errors` is cleared after each use).
 */
class SchemaCompiler {
  readonly #ajv: Ajv
  readonly #compiled = new Map<string, ValidateFunction | null>()

  constructor(ajv: Ajv) {
    this.#ajv = ajv
  }

  /** The compiled schema, or `null` when Ajv cannot compile it. */
  compile(schema: object): ValidateFunction | null {
    const key = JSON.stringify(schema)
    let validate = this.#compiled.get(key)
    if (validate !== undefined) {
      this.#compiled.delete(key)
    } else {
      try {
        validate = this.#ajv.compile(schema)
      } catch {
        validate = null
      } finally {
        // The caller keeps the function: Ajv's own cache would only grow.
        this.#ajv.removeSchema(schema)
      }
      if (this.#compiled.size >= MAX_COMPILED_SCHEMAS) {
        const oldest = this.#compiled.keys().next().value
        if (oldest !== undefined) this.#compiled.delete(oldest)
      }
    }
    this.#compiled.set(key, validate)
    return validate
  }

  errorsText(errors: ValidateFunction['errors']): string {
    return this.#ajv.errorsText(errors)
  }
}

/** Checks tool arguments against the tool's JSON Schema, as a list of issues naming fields. */
export type InputCheck = (input: unknown) => readonly ToolInputIssue[]

/** What a passing check returns: one frozen list, not a new one per call. */
const NO_ISSUES: readonly ToolInputIssue[] = Object.freeze([])

const accept: InputCheck = () => NO_ISSUES

/**
 * The compiled schema checks of the process's clients: the check of each schema object a
 * client was given, compiled on first use (tools that are never called are never compiled), by
 * the process's `SchemaCompiler`, so a schema that many clients list is compiled once. Every
 * instance shares one table, keyed by schema object (each client's list is its own objects),
 * so an instance costs a client nothing.
 *
 * It also validates the SDK `Client`'s tool outputs (`outputValidator`): the SDK's default
 * builds an Ajv per `Client` at construction (tens of KB and about a millisecond, for every
 * pooled or per-request client, used or not) and keeps every schema it compiles in that Ajv's
 * cache, so a long-lived client grows with each re-list.
 */
export class InputValidatorCache {
  /**
   * The SDK `Client`'s `jsonSchemaValidator`: output schemas, compiled once each. The SDK asks
   * on every 2026-07-28 call (the call passes the tool's definition), so the validator of a
   * schema object is kept: no `JSON.stringify` of the schema per call.
   */
  get outputValidator(): jsonSchemaValidator {
    return outputValidator
  }

  /** Loads Ajv (once per process); a connection awaits it before its first request. */
  async ready(): Promise<void> {
    compiler ??= await loadCompiler()
  }

  /** The check for `schema`; a schema ajv cannot compile is left to the server to enforce. */
  get(schema: JsonSchema): InputCheck {
    let check = inputChecks.get(schema)
    if (!check) {
      const validate = loaded().compile(schema)
      check = validate ? checkOf(validate) : accept
      inputChecks.set(schema, check)
    }
    return check
  }
}

/** The process's compiler, once `ready()` loaded it. */
let compiler: SchemaCompiler | undefined

function loaded(): SchemaCompiler {
  // Never a silent "accept everything": a check asked for before `ready()` is a bug.
  if (!compiler) throw new Error('mcpkit: a schema compiled before Ajv was loaded')
  return compiler
}

/** The input check of each schema object, in any client (it closes over the compiled check). */
const inputChecks = new WeakMap<JsonSchema, InputCheck>()

const outputValidator: jsonSchemaValidator = {
  getValidator: <T>(schema: JsonSchemaType): JsonSchemaValidator<T> => {
    let validator = outputValidators.get(schema)
    if (!validator) {
      validator = outputValidatorOf(loaded(), schema)
      outputValidators.set(schema, validator)
    }
    return validator as JsonSchemaValidator<T>
  },
}

/**
 * The output validator of each schema object the SDK asked about, in any client: it closes
 * over the process's compiler and the schema's compiled check only, so sharing it shares no
 * user's data.
 */
const outputValidators = new WeakMap<object, JsonSchemaValidator<unknown>>()

function outputValidatorOf(
  compiler: SchemaCompiler,
  schema: JsonSchemaType,
): JsonSchemaValidator<unknown> {
  // As for inputs: a schema Ajv cannot compile must not hide the server's tools.
  const compiled = compiler.compile(schema)
  if (!compiled) return (input) => ({ valid: true, data: input, errorMessage: undefined })
  return (input) => {
    if (compiled(input)) return { valid: true, data: input, errorMessage: undefined }
    const errorMessage = compiler.errorsText(compiled.errors)
    compiled.errors = null
    return { valid: false, data: undefined, errorMessage }
  }
}

function checkOf(validate: ValidateFunction): InputCheck {
  return (input) => {
    if (validate(input)) return NO_ISSUES
    const issues = (validate.errors ?? []).map(toIssue)
    validate.errors = null
    return issues
  }
}

function toIssue(error: ErrorObject): ToolInputIssue {
  let path = error.instancePath
  let message = error.message ?? 'is invalid'
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty?: string }).missingProperty
    path = `${path}/${missing}`
    message = 'is required'
  } else if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty?: string }).additionalProperty
    path = `${path}/${extra}`
    message = 'is not an allowed property'
  }
  return { path, message }
}
