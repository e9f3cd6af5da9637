// The building blocks of the configuration schema. A key is written once, as a `setting()` inside a
// `section()`: its zod schema (with its default), its environment variable and one line of
// documentation. `listSettings()` reads them back for the environment bindings and the generated docs.
import { z } from 'zod'
import type { EnvKind } from './env.js'

export interface SettingDoc {
  /** The environment variable that overrides the key; its format follows the schema (see `EnvKind`). */
  env?: string
  /** One line for README.md and config.yaml.example. */
  doc: string
}

/** One leaf key of the configuration, as the docs and the environment bindings see it. */
export interface SettingInfo extends SettingDoc {
  /** Dotted, in the config file's snake_case (`runs.default_timeout_ms`). */
  key: string
  kind: EnvKind
  default: unknown
  /** The allowed values of an enum key. */
  choices?: readonly string[]
}

export interface SectionInfo {
  key: string
  doc?: string
}

const DOCS = z.registry<SettingDoc>()

/** A leaf key. Cloned first, so a shared schema (`optionalSecret`) can carry different docs in different places. */
export function setting<T extends z.ZodType>(schema: T, doc: SettingDoc): T {
  const documented = schema.clone()
  DOCS.add(documented, doc)
  return documented
}

/**
 * A group of keys: written in snake_case in the file and the environment-binding keys, read as camelCase by
 * the code (`server.body_limit_bytes` → `config.server.bodyLimitBytes`). Unknown keys are refused, and a
 * missing section takes its keys' defaults. `doc` heads the section in config.yaml.example.
 */
export function section<S extends z.ZodRawShape>(shape: S, doc?: string) {
  const schema = z
    .object(shape)
    .strict()
    .transform(camelizeKeys)
    // Every key has a default, so {} is valid input; TypeScript cannot see that for a generic shape.
    .prefault({} as z.input<z.ZodObject<S, z.core.$strict>>)
  if (doc !== undefined) DOCS.add(schema, { doc })
  return schema
}

type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S
type CamelKeys<T> = { [K in keyof T as K extends string ? CamelCase<K> : K]: T[K] }

/** Renames an object's own keys only: nested sections camelize themselves, and map keys (MCP server names) stay as written. */
function camelizeKeys<T extends Record<string, unknown>>(object: T): CamelKeys<T> {
  return Object.fromEntries(
    Object.entries(object).map(([key, value]) => [key.replace(/_([a-z0-9])/g, (_, char: string) => char.toUpperCase()), value]),
  ) as CamelKeys<T>
}

/** Every leaf key of a schema built from `section()` and `setting()`, in schema order. Throws on an undocumented key. */
export function listSettings(schema: z.ZodType): SettingInfo[] {
  return walk(schema, '').settings
}

/** The sections of a schema in schema order, each before the sections nested in it. */
export function listSections(schema: z.ZodType): SectionInfo[] {
  return walk(schema, '').sections
}

function walk(schema: z.ZodType, prefix: string): { settings: SettingInfo[]; sections: SectionInfo[] } {
  const settings: SettingInfo[] = []
  const sections: SectionInfo[] = []
  for (const [name, field] of Object.entries(objectShape(schema) ?? {})) {
    const key = prefix ? `${prefix}.${name}` : name
    const doc = DOCS.get(field)
    if (objectShape(field)) {
      const inner = walk(field, key)
      sections.push({ key, ...(doc && { doc: doc.doc }) }, ...inner.sections)
      settings.push(...inner.settings)
      continue
    }
    if (!doc) throw new Error(`configuration key ${key} has no documentation: wrap its schema in setting()`)
    const fallback = field.safeParse(undefined)
    if (!fallback.success) throw new Error(`configuration key ${key} has no default`)
    const base = unwrap(field)
    settings.push({
      key,
      ...doc,
      kind: envKind(base),
      default: fallback.data,
      ...(base instanceof z.ZodEnum && { choices: base.options as string[] }),
    })
  }
  return { settings, sections }
}

/** The shape of an object schema under its wrappers (prefault, transform), or undefined for a leaf. */
function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  const base = unwrap(schema)
  return base instanceof z.ZodObject ? (base.shape as Record<string, z.ZodType>) : undefined
}

/** The schema under defaults, nullability and transforms: what the input is checked against. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema
  for (;;) {
    if (current instanceof z.ZodDefault || current instanceof z.ZodPrefault || current instanceof z.ZodNullable || current instanceof z.ZodOptional) {
      current = current.unwrap() as z.ZodType
    } else if (current instanceof z.ZodPipe) {
      current = current.in as z.ZodType
    } else {
      return current
    }
  }
}

function envKind(schema: z.ZodType): EnvKind {
  if (schema instanceof z.ZodNumber) return 'int'
  if (schema instanceof z.ZodBoolean) return 'bool'
  if (schema instanceof z.ZodArray) return 'list'
  if (schema instanceof z.ZodRecord) return 'map'
  return 'string'
}
