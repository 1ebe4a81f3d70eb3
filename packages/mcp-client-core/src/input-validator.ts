import type { JsonSchema, ToolInputIssue } from '@mcpkit/types'
import type {
  JsonSchemaType,
  JsonSchemaValidator,
  jsonSchemaValidator,
} from '@modelcontextprotocol/client'
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv'

/** Builds the Ajv every schema of a client is compiled with. */
type CreateAjv = () => Ajv

let ajvLoading: Promise<CreateAjv> | undefined

/**
 * Ajv and ajv-formats (~70 modules), loaded on the first connect rather than on import: an
 * `import { MCPClient }` costs no more than the SDK's own.
 */
function loadAjv(): Promise<CreateAjv> {
  ajvLoading ??= Promise.all([import('ajv'), import('ajv-formats')]).then(
    ([ajvModule, formatsModule]) => {
      // Both are CommonJS: their exports sit under `default` under some interops.
      const AjvClass = (ajvModule.Ajv ??
        (ajvModule as unknown as { default: { Ajv: typeof Ajv } }).default.Ajv) as typeof Ajv
      let addFormats: unknown = formatsModule.default
      while (typeof addFormats !== 'function' && addFormats) {
        addFormats = (addFormats as { default?: unknown }).default
      }
      return () =>
        (addFormats as (ajv: Ajv) => Ajv)(
          new AjvClass({
            strict: false,
            allErrors: true,
            validateSchema: false,
            addUsedSchema: false,
          }),
        )
    },
  )
  return ajvLoading
}

/** Checks tool arguments against the tool's JSON Schema, as a list of issues naming fields. */
export type InputCheck = (input: unknown) => readonly ToolInputIssue[]

const accept: InputCheck = () => []

/**
 * Compiles input schemas on first use and keeps them for the client's lifetime. Compiling is
 * the expensive part (~0.1–1 ms a schema), so it happens once per tool schema, not per list
 * and not per call; tools that are never called are never compiled. One per `MCPClient`, so
 * nothing is shared between clients.
 *
 * It also validates the SDK `Client`'s tool outputs (`outputValidator`), on the same lazily
 * created Ajv: the SDK's default builds an Ajv per `Client` at construction (tens of KB and
 * about a millisecond, for every pooled or per-request client, used or not) and keeps every
 * schema it compiles in that Ajv's cache, so a long-lived client grows with each re-list.
 */
export class InputValidatorCache {
  #createAjv: CreateAjv | undefined
  #ajv: Ajv | undefined
  readonly #checks = new WeakMap<JsonSchema, InputCheck>()
  readonly #outputChecks = new WeakMap<object, ValidateFunction>()

  /** The SDK `Client`'s `jsonSchemaValidator`: output schemas, compiled once each. */
  readonly outputValidator: jsonSchemaValidator = {
    getValidator: <T>(schema: JsonSchemaType): JsonSchemaValidator<T> => {
      let validate = this.#outputChecks.get(schema)
      if (!validate) {
        this.#loaded()
        try {
          validate = this.#compileKeepingNothing(schema)
        } catch {
          // As for inputs: a schema Ajv cannot compile must not hide the server's tools.
          validate = Object.assign(() => true, { errors: null }) as unknown as ValidateFunction
        }
        this.#outputChecks.set(schema, validate)
      }
      const compiled = validate
      return (input) =>
        compiled(input)
          ? { valid: true, data: input as T, errorMessage: undefined }
          : {
              valid: false,
              data: undefined,
              errorMessage: this.#ajv?.errorsText(compiled.errors) ?? 'invalid',
            }
    },
  }

  /** Loads Ajv (once per process); a connection awaits it before its first request. */
  async ready(): Promise<void> {
    this.#createAjv ??= await loadAjv()
  }

  #loaded(): CreateAjv {
    // Never a silent "accept everything": a check asked for before `ready()` is a bug.
    if (!this.#createAjv) throw new Error('mcpkit: a schema compiled before Ajv was loaded')
    return this.#createAjv
  }

  /** Compiles `schema` and drops Ajv's own cache entry of it: the caller keeps the function. */
  #compileKeepingNothing(schema: object): ValidateFunction {
    this.#ajv ??= this.#loaded()()
    const validate = this.#ajv.compile(schema)
    this.#ajv.removeSchema(schema)
    return validate
  }

  /** The check for `schema`; a schema ajv cannot compile is left to the server to enforce. */
  get(schema: JsonSchema): InputCheck {
    let check = this.#checks.get(schema)
    if (!check) {
      check = this.#compile(schema)
      this.#checks.set(schema, check)
    }
    return check
  }

  #compile(schema: JsonSchema): InputCheck {
    this.#loaded()
    let validate: ValidateFunction
    try {
      validate = this.#compileKeepingNothing(schema)
    } catch {
      return accept
    }
    return (input) => (validate(input) ? [] : (validate.errors ?? []).map(toIssue))
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
