import { formatIssues, type JsonSchema, MCPServerError } from '@mcpkit/types'
import { fromJsonSchema, type StandardSchemaV1 } from '@modelcontextprotocol/server'
import { z } from 'zod'

/** The parsed value, or a message naming the fields that failed. */
export type Validate = (value: unknown) => Promise<{ data: unknown } | { error: string }>

/** A tool schema as `tools/list` publishes it, and the check it runs. */
export interface CompiledSchema {
  jsonSchema: JsonSchema
  validate: Validate
}

type StandardSchema = StandardSchemaV1 & {
  readonly '~standard': StandardSchemaV1['~standard'] & {
    readonly jsonSchema?: {
      input(options: { target: string }): Record<string, unknown>
      output(options: { target: string }): Record<string, unknown>
    }
  }
}

function isStandardSchema(value: unknown): value is StandardSchema {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<StandardSchema>)['~standard']?.validate === 'function'
  )
}

/** `{ city: z.string(), … }`: an object of zod schemas, which `z.object()` wraps. */
function isRawShape(value: unknown): value is Record<string, z.ZodType> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  if (isStandardSchema(value)) return false
  const entries = Object.values(value)
  return (
    entries.length > 0 &&
    entries.every((entry) => typeof entry === 'object' && entry !== null && '_zod' in entry)
  )
}

function isObjectJsonSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && (value as JsonSchema).type === 'object'
}

/**
 * A tool schema (Standard Schema, zod raw shape, or JSON Schema) as the JSON Schema clients
 * see and a validator. Standard Schemas publish draft-07 JSON Schema (what zod-based tools
 * have always published here) without the `$schema` stamp; a JSON Schema is published as given
 * and checked by the SDK's validator (`fromJsonSchema`).
 */
export function compileSchema(
  schema: unknown,
  io: 'input' | 'output',
  where: string,
): CompiledSchema | undefined {
  if (schema === undefined || schema === null) return undefined
  if (isStandardSchema(schema) || isRawShape(schema)) {
    const standard = isRawShape(schema) ? z.object(schema) : schema
    const { $schema: _dialect, ...published } = jsonSchemaOf(standard, io, where)
    if (published.type !== 'object') throw notAnObject(io, where)
    return { jsonSchema: published, validate: (value) => validateStandard(standard, value) }
  }
  if (isObjectJsonSchema(schema)) {
    const standard = fromJsonSchema(schema) as StandardSchema
    return { jsonSchema: schema, validate: (value) => validateStandard(standard, value) }
  }
  throw notAnObject(io, where)
}

function jsonSchemaOf(schema: StandardSchema, io: 'input' | 'output', where: string): JsonSchema {
  const converter = schema['~standard'].jsonSchema
  if (!converter) {
    throw new MCPServerError(
      'INVALID_CONFIGURATION',
      `${where}: the ${io} schema (${schema['~standard'].vendor}) cannot be converted to JSON Schema. Use zod 4.2 or later, or a Standard Schema library with JSON Schema support.`,
    )
  }
  return converter[io]({ target: 'draft-07' }) as JsonSchema
}

async function validateStandard(
  schema: StandardSchema,
  value: unknown,
): Promise<{ data: unknown } | { error: string }> {
  const result = await schema['~standard'].validate(value)
  if (!result.issues) return { data: result.value }
  return { error: formatIssues(result.issues) }
}

function notAnObject(io: 'input' | 'output', where: string): MCPServerError {
  return new MCPServerError(
    'INVALID_CONFIGURATION',
    `${where}: the ${io} schema must be a zod object schema (or another Standard Schema of an object) or a JSON Schema with type "object".`,
  )
}
