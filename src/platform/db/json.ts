// JSON columns are text in SQLite and jsonb in PostgreSQL; values cross the boundary here.

/** Serialises a value for a JSON column (both dialects accept JSON text on write). */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null)
}

/** Reads a JSON column: PostgreSQL hands back parsed values, SQLite hands back text. */
export function fromJson<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined) return fallback
  if (typeof value !== 'string') return value as T
  try {
    return JSON.parse(value) as T
  } catch {
    return fallback
  }
}

/** Reads a boolean column: PostgreSQL has booleans, SQLite stores 1/0. */
export function fromBool(value: unknown): boolean {
  return value === true || value === 1 || value === '1'
}

/** Reads a nullable number column: PostgreSQL hands back bigint columns as text. */
export function numberOrNull(value: number | string | null): number | null {
  return value === null ? null : Number(value)
}

/**
 * Several rows (or values) as one JSON array parameter for PostgreSQL, read there with
 * `json_to_recordset` or `json_array_elements_text`. One native `JSON.stringify` of them all costs
 * far less than node-postgres writing an array literal per column, which escapes each element in
 * JavaScript (about 12 µs a run in a profile), and a JSON value goes in as the value it is instead
 * of as JSON text escaped once more.
 */
export type JsonRows = string & { readonly jsonRows: true }

/**
 * `rows` as JSON rows. A lone surrogate (half of a character) is written as a `\ud800` escape,
 * which PostgreSQL refuses as text; it becomes U+FFFD, as node-postgres's UTF-8 encoding of text
 * parameters makes it. Only text that contains such an escape (or those characters typed as
 * they are) is written twice.
 */
export function jsonRows(rows: readonly unknown[]): JsonRows {
  const json = JSON.stringify(rows)
  return (json.includes('\\ud') ? JSON.stringify(rows, wellFormed) : json) as JsonRows
}

function wellFormed(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? value.toWellFormed() : value
}
