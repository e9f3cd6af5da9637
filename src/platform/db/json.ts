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
