// The one face of backups and storage moves, shared by the CLI (`backup`, `restore`,
// `migrate-storage`) and the MCP tools (`backup_agents`, `restore_agents`, `migrate_storage`).
// Each call opens its own connections, so a backup taken inside a running gateway reads a snapshot
// without holding the gateway's connection.
import { existsSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { Kysely } from 'kysely'
import { openDatabase, type Database } from '../../platform/db/database.js'
import { migrateToLatest } from '../../platform/db/migrate.js'
import { migrationContext } from '../../platform/db/migrations/context.js'
import { allMigrations } from '../../platform/db/migrations/index.js'
import { DataTransferError, type BackupHeader } from './backup-format.js'
import { fileSink, readBackupFile, readBackupHeader } from './backup-file.js'
import { appliedMigrations, exportDatabase } from './database-export.js'
import { assertEmpty, databaseSink } from './database-import.js'
import { silentProgress, type Progress } from './progress.js'
import { describeTables } from './table-catalog.js'

export interface TransferSummary {
  /** Rows per table, in the order they were written. */
  tables: Record<string, number>
  rows: number
}

export interface BackupResult extends TransferSummary {
  file: string
  bytes: number
}

export interface RestoreResult extends TransferSummary {
  file: string
  /** When and where the backup was made (its header). */
  backup: { created_at: string; dialect: string }
}

export interface MigrateResult extends TransferSummary {
  from: string
  to: string
}

export interface DataTransfer {
  /** Writes every table of the gateway's database to `file` (JSON Lines). */
  backup(file: string): Promise<BackupResult>
  /** Loads `file` into the gateway's database, which must be empty: all of it in one transaction, or nothing. */
  restore(file: string): Promise<RestoreResult>
  /** Copies every table of `fromUrl` into the empty database at `toUrl` (SQLite ↔ PostgreSQL), in one transaction. */
  migrateStorage(fromUrl: string, toUrl: string): Promise<MigrateResult>
}

export interface DataTransferOptions {
  /** The gateway's database (config `database.url`). */
  databaseUrl: string
  progress?: Progress
}

// biome-ignore lint/suspicious/noExplicitAny: tables are discovered at run time
type AnyDb = Kysely<any>

export { DataTransferError }

export function createDataTransfer(options: DataTransferOptions): DataTransfer {
  const progress = options.progress ?? silentProgress
  return {
    async backup(file) {
      const source = await openExisting(options.databaseUrl)
      const sink = fileSink(file)
      try {
        const summary = await exportDatabase(source, sink, progress)
        return { file, bytes: (await stat(file)).size, ...summary }
      } catch (err) {
        await sink.abort()
        throw err
      } finally {
        await source.close()
      }
    },

    async restore(file) {
      if (!existsSync(file)) throw new DataTransferError(`no backup file at ${file}`)
      const header = await readBackupHeader(file)
      const target = openDatabase(options.databaseUrl, { poolSize: 1 })
      try {
        refuseForeignSchema(header, target)
        await migrateToLatest(target)
        const summary = await intoEmpty(target, (sink) => readBackupFile(file, sink, progress))
        return { file, backup: { created_at: header.created_at, dialect: header.dialect }, ...summary }
      } finally {
        await target.close()
      }
    },

    async migrateStorage(fromUrl, toUrl) {
      if (fromUrl === toUrl) throw new DataTransferError('--from and --to name the same database')
      const source = await openExisting(fromUrl)
      try {
        const target = openDatabase(toUrl, { poolSize: 1 })
        try {
          await migrateToLatest(target)
          const summary = await intoEmpty(target, async (sink) => void (await exportDatabase(source, sink, progress)))
          return { from: redact(fromUrl), to: redact(toUrl), ...summary }
        } finally {
          await target.close()
        }
      } finally {
        await source.close()
      }
    },
  }
}

/** Runs `fill` against a sink into `target` inside one transaction that first checks the target is empty. */
async function intoEmpty(target: Database, fill: (sink: ReturnType<typeof databaseSink>) => Promise<void>): Promise<TransferSummary> {
  return target.db.transaction().execute(async (tx: AnyDb) => {
    const tables = await describeTables(tx, target.dialect)
    await assertEmpty(tx, tables)
    const sink = databaseSink(tx, { migrations: await appliedMigrations(tx), tables })
    await fill(sink)
    return sink.summary()
  })
}

/** Refuses before the target is touched when the backup's schema is not this gateway's. */
function refuseForeignSchema(header: BackupHeader, target: Database): void {
  const known = Object.keys(allMigrations(migrationContext(target.dialect)))
  const unknown = header.migrations.filter((name) => !known.includes(name))
  if (unknown.length > 0) {
    throw new DataTransferError(
      `schema version mismatch: the backup was made by a newer gateway (migrations ${unknown.join(', ')} are unknown here); restore it with that version`,
    )
  }
  const missing = known.filter((name) => !header.migrations.includes(name))
  if (missing.length > 0) {
    throw new DataTransferError(
      `schema version mismatch: the backup predates migrations ${missing.join(', ')}; restore it with the gateway version that made it, then upgrade`,
    )
  }
}

/** Opens a database that must already hold a gateway schema (never creates an empty SQLite file). */
async function openExisting(url: string): Promise<Database> {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length)
    if (file !== ':memory:' && !existsSync(file)) throw new DataTransferError(`no SQLite database at ${file}`)
  }
  const database = openDatabase(url, { poolSize: 1 })
  try {
    const tables = await describeTables(database.db, database.dialect)
    if (tables.length === 0 || !(await hasMigrations(database.db))) {
      throw new DataTransferError(`${redact(url)} holds no gateway schema (run \`conductor-gateway migrate\` against it first)`)
    }
    return database
  } catch (err) {
    await database.close()
    throw err
  }
}

async function hasMigrations(db: AnyDb): Promise<boolean> {
  try {
    return (await appliedMigrations(db)).length > 0
  } catch {
    return false
  }
}

/** A database URL without its password, for reports. */
export function redact(url: string): string {
  if (!URL.canParse(url) || url.startsWith('sqlite:')) return url
  const u = new URL(url)
  if (u.password) u.password = '***'
  return u.toString()
}
