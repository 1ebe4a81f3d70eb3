import type { JsonSchema, ToolInputIssue } from '@mcpkit/types'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'

// ajv-formats is CommonJS; its default export is the plugin under either interop.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as (ajv: Ajv) => Ajv

/** Checks tool arguments against the tool's JSON Schema, as a list of issues naming fields. */
export type InputCheck = (input: unknown) => readonly ToolInputIssue[]

const accept: InputCheck = () => []

/**
 * Compiles input schemas on first use and keeps them for the client's lifetime. Compiling is
 * the expensive part (~0.1–1 ms a schema), so it happens once per tool schema, not per list
 * and not per call; tools that are never called are never compiled. One per `MCPClient`, so
 * nothing is shared between clients.
 */
export class InputValidatorCache {
  #ajv: Ajv | undefined
  readonly #checks = new WeakMap<JsonSchema, InputCheck>()

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
    this.#ajv ??= addFormats(
      new Ajv({ strict: false, allErrors: true, validateSchema: false, addUsedSchema: false }),
    )
    let validate: ValidateFunction
    try {
      validate = this.#ajv.compile(schema)
      // Keep the compiled function, not ajv's own cache entry of the schema.
      this.#ajv.removeSchema(schema)
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
