// Writes a data stream into a database inside the caller's transaction: checks that the stream
// matches the target's schema (same migrations, same tables and columns) and that every table
// received as many rows as announced, and inserts in batches.
import type { Kysely } from 'kysely'
import { DataTransferError, type BackupHeader, type BackupTrailer, type DataSink, type Row, type TableHeader } from './backup-format.js'
import { countRows } from './database-export.js'
import type { TableInfo } from './table-catalog.js'

// biome-ignore lint/suspicious/noExplicitAny: tables are discovered at run time
type AnyDb = Kysely<any>

/** Bound parameters per INSERT: under SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_PARAMETERS = 30_000
const MAX_BATCH_ROWS = 500

export interface ImportSummary {
  tables: Record<string, number>
  rows: number
}

/** Refuses unless every table of the target is empty; names the first one that is not. */
export async function assertEmpty(db: AnyDb, tables: TableInfo[]): Promise<void> {
  for (const table of tables) {
    const rows = await countRows(db, table.name)
    if (rows > 0)
      throw new DataTransferError(`the target database is not empty: table ${table.name} has ${rows} rows (restore only into a new database)`)
  }
}

/** A sink into `db` (an open transaction) whose schema is `tables` at `migrations`. */
export function databaseSink(db: AnyDb, target: { migrations: string[]; tables: TableInfo[] }): DataSink & { summary(): ImportSummary } {
  const byName = new Map(target.tables.map((table) => [table.name, table]))
  const received: Record<string, number> = {}
  let current: { header: TableHeader; count: number; batch: Row[]; batchRows: number } | undefined

  const flush = async () => {
    if (!current || current.batch.length === 0) return
    const { header, batch } = current
    current.batch = []
    await db
      .insertInto(header.table)
      .values(batch.map((row) => Object.fromEntries(header.columns.map((column, i) => [column, row[i]]))))
      .execute()
  }
  const closeTable = async () => {
    if (!current) return
    await flush()
    const { header, count } = current
    if (count !== header.rows) throw new DataTransferError(`table ${header.table}: the backup announced ${header.rows} rows but holds ${count}`)
    received[header.table] = count
    current = undefined
  }

  return {
    async begin(header: BackupHeader) {
      const mine = target.migrations.join(', ')
      if (header.migrations.join(', ') !== mine) {
        const missing = header.migrations.filter((name) => !target.migrations.includes(name))
        const newer = target.migrations.filter((name) => !header.migrations.includes(name))
        throw new DataTransferError(
          `schema version mismatch: the backup was made at migrations [${header.migrations.join(', ')}], this gateway is at [${mine}]` +
            (missing.length ? `; this gateway does not know ${missing.join(', ')} (use the gateway version that made the backup)` : '') +
            (newer.length ? `; the backup predates ${newer.join(', ')} (restore with the version that made it, then upgrade)` : ''),
        )
      }
    },
    async table(header: TableHeader) {
      await closeTable()
      const table = byName.get(header.table)
      if (!table) throw new DataTransferError(`table ${header.table} does not exist in the target database`)
      if (received[header.table] !== undefined) throw new DataTransferError(`table ${header.table} appears twice`)
      const known = new Set(table.columns.map((c) => c.name))
      const unknown = header.columns.filter((c) => !known.has(c))
      const absent = [...known].filter((c) => !header.columns.includes(c))
      if (unknown.length || absent.length) {
        throw new DataTransferError(
          `table ${header.table}: columns differ from the target's` +
            (unknown.length ? ` (unknown: ${unknown.join(', ')})` : '') +
            (absent.length ? ` (missing: ${absent.join(', ')})` : ''),
        )
      }
      const perRow = Math.max(1, Math.floor(MAX_PARAMETERS / header.columns.length))
      current = { header, count: 0, batch: [], batchRows: Math.min(MAX_BATCH_ROWS, perRow) }
    },
    async rows(rows: Row[]) {
      if (!current) throw new DataTransferError('rows before any table header')
      for (const row of rows) {
        if (row.length !== current.header.columns.length) {
          throw new DataTransferError(`table ${current.header.table}: a row has ${row.length} values for ${current.header.columns.length} columns`)
        }
        current.batch.push(row)
        current.count += 1
        if (current.batch.length >= current.batchRows) await flush()
      }
      // Nothing is held back between calls, so a refusal surfaces with the rows that caused it.
      await flush()
    },
    async end(trailer: BackupTrailer) {
      await closeTable()
      const missing = target.tables.filter((table) => received[table.name] === undefined).map((table) => table.name)
      if (missing.length) throw new DataTransferError(`the backup has no section for table(s) ${missing.join(', ')}`)
      const rows = Object.values(received).reduce((a, b) => a + b, 0)
      if (trailer.rows !== rows) throw new DataTransferError(`the backup's end record announces ${trailer.rows} rows but it holds ${rows}`)
    },
    summary() {
      return { tables: { ...received }, rows: Object.values(received).reduce((a, b) => a + b, 0) }
    },
  }
}
