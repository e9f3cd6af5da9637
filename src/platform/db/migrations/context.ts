import type { Dialect } from '../database.js'

/** What a migration may vary by dialect; everything else is shared schema-builder code. */
export interface MigrationContext {
  dialect: Dialect
  /** Column type for JSON values. */
  json: 'jsonb' | 'text'
}

export function migrationContext(dialect: Dialect): MigrationContext {
  return { dialect, json: dialect === 'postgres' ? 'jsonb' : 'text' }
}
