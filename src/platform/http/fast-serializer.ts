// Response serialization from compiled code: each route's zod response schema is turned into a
// JSON Schema once, and fast-json-stringify compiles it into a function that writes exactly the
// schema's keys, in the schema's order — the same bytes as zod's encode followed by JSON.stringify,
// without building a parsed copy of every response. Schemas whose output JSON Schema cannot say
// the same thing (transforms, unions, defaults, references…) keep zod's serializer. A literal
// (`const`) is written as its plain type: the handler's value is the literal whenever zod would
// have accepted it.
import fastJson from 'fast-json-stringify'
import type { FastifySerializerCompiler } from 'fastify/types/schema.js'
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod'
import { z } from 'zod'

type JsonSchema = Record<string, unknown>

/** Keywords that change what is written beyond plain types, properties and items. */
const UNSUPPORTED = new Set([
  'anyOf',
  'oneOf',
  'allOf',
  'not',
  'if',
  '$ref',
  '$defs',
  'definitions',
  'default',
  'prefixItems',
  'patternProperties',
  'const',
])
const NAMED = new Set(['properties'])

export const fastSerializerCompiler: FastifySerializerCompiler<z.ZodType> = (route) => {
  const json = jsonSchemaOf(route.schema)
  return json ? (fastJson(json) as (data: unknown) => string) : zodSerializerCompiler(route)
}

/** The output JSON Schema of a zod schema when fast-json-stringify writes it as zod would; else undefined. */
export function jsonSchemaOf(schema: unknown): JsonSchema | undefined {
  if (!(schema instanceof z.ZodType)) return undefined
  let json: JsonSchema
  try {
    json = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'throw', reused: 'inline', cycles: 'throw', target: 'draft-7' }) as JsonSchema
  } catch {
    return undefined
  }
  delete json.$schema
  const simplified = withNullableTypes(withLiteralsAsTypes(json)) as JsonSchema
  return plain(simplified) ? simplified : undefined
}

/** `{type: 'string', const: 'x'}` (zod's literal) as `{type: 'string'}`; other constants are kept (and refused). */
function withLiteralsAsTypes(node: unknown): unknown {
  if (typeof node !== 'object' || node === null) return node
  if (Array.isArray(node)) return node.map(withLiteralsAsTypes)
  const copy = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, withLiteralsAsTypes(value)])) as JsonSchema
  if ('const' in copy && isPlainLiteral(copy.const) && copy.type === typeof copy.const) delete copy.const
  return copy
}

function isPlainLiteral(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
}

/** `anyOf: [X, {type: 'null'}]` (zod's `.nullable()` of an object or array) as `X` with `type: [X's type, 'null']`. */
function withNullableTypes(node: unknown): unknown {
  if (typeof node !== 'object' || node === null) return node
  if (Array.isArray(node)) return node.map(withNullableTypes)
  const entries = Object.entries(node).map(([key, value]) => [key, withNullableTypes(value)] as const)
  const copy = Object.fromEntries(entries) as JsonSchema
  const anyOf = copy.anyOf
  if (Array.isArray(anyOf) && anyOf.length === 2 && Object.keys(copy).length === 1) {
    const nullIndex = anyOf.findIndex((branch) => isNullType(branch))
    const other = anyOf[1 - nullIndex] as JsonSchema | undefined
    if (nullIndex >= 0 && other && typeof other.type === 'string') return { ...other, type: [other.type, 'null'] }
  }
  return copy
}

function isNullType(branch: unknown): boolean {
  return typeof branch === 'object' && branch !== null && Object.keys(branch).length === 1 && (branch as JsonSchema).type === 'null'
}

/** Only types, properties, required, items and records whose values are plain too. */
function plain(node: unknown, named = false): boolean {
  if (typeof node !== 'object' || node === null) return true
  if (Array.isArray(node)) return node.every((item) => plain(item))
  for (const [key, value] of Object.entries(node)) {
    if (named) {
      if (!plain(value)) return false
      continue
    }
    if (UNSUPPORTED.has(key)) return false
    // Extra keys beside declared ones (loose objects): zod and fast-json-stringify may order them differently.
    if (key === 'additionalProperties' && value !== false && 'properties' in node) return false
    if (!plain(value, NAMED.has(key))) return false
  }
  return true
}
