// Schema migrations: every pending migration runs in one transaction (all or nothing), and on
// PostgreSQL under an advisory lock so gateways starting together apply each migration once.
import { sql, type Kysely } from 'kysely'
import type { Database } from './database.js'
import { migrationContext } from './migrations/context.js'
import { allMigrations } from './migrations/index.js'

const MIGRATION_LOCK_KEY = 5006_0001

/** Brings the schema to the latest version; returns the names of the migrations it applied. */
export async function migrateToLatest(database: Database): Promise<string[]> {
  const migrations = allMigrations(migrationContext(database.dialect))
  return database.db.transaction().execute(async (tx) => {
    if (database.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(tx)
    await tx.schema
      .createTable('schema_migrations')
      .ifNotExists()
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('applied_at', 'bigint', (c) => c.notNull())
      .execute()
    const done = new Set((await tx.selectFrom('schema_migrations').select('name').execute()).map((row) => row.name))
    const applied: string[] = []
    for (const [name, migration] of Object.entries(migrations)) {
      if (done.has(name)) continue
      try {
        await migration.up(tx as unknown as Kysely<unknown>)
      } catch (err) {
        throw new Error(`migration ${name} failed: ${(err as Error).message}`, { cause: err })
      }
      await tx.insertInto('schema_migrations').values({ name, applied_at: Date.now() }).execute()
      applied.push(name)
    }
    return applied
  })
}
