// Reads every table of a database into a DataSink, page by page (keyset on the primary key), in
// one read-only snapshot so the backup is consistent while the gateway keeps writing.
import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { Database } from '../../platform/db/database.js'
import { fromBool } from '../../platform/db/json.js'
import { BACKUP_FORMAT, BACKUP_VERSION, type DataSink, type Row } from './backup-format.js'
import type { Progress } from './progress.js'
import { describeTables, type ColumnInfo, type TableInfo } from './table-catalog.js'

export const PAGE_SIZE = 1_000

// biome-ignore lint/suspicious/noExplicitAny: tables are discovered at run time
type AnyDb = Kysely<any>

export interface ExportSummary {
  tables: Record<string, number>
  rows: number
}

export async function exportDatabase(database: Database, sink: DataSink, progress: Progress): Promise<ExportSummary> {
  let transaction = database.db.transaction()
  if (database.dialect === 'postgres') transaction = transaction.setIsolationLevel('repeatable read')
  return transaction.execute(async (tx: AnyDb) => {
    if (database.dialect === 'postgres') await sql`set transaction read only`.execute(tx)
    const migrations = await appliedMigrations(tx)
    const tables = await describeTables(tx, database.dialect)
    const counts = new Map<string, number>()
    for (const table of tables) counts.set(table.name, await countRows(tx, table.name))
    const total = [...counts.values()].reduce((a, b) => a + b, 0)

    await sink.begin({ format: BACKUP_FORMAT, version: BACKUP_VERSION, created_at: new Date().toISOString(), dialect: database.dialect, migrations })
    progress.start('backup', total)
    let done = 0
    for (const table of tables) {
      const expected = counts.get(table.name)!
      await sink.table({ table: table.name, columns: table.columns.map((c) => c.name), rows: expected })
      let written = 0
      for await (const page of pagesOf(tx, table, database.dialect === 'postgres')) {
        await sink.rows(page)
        written += page.length
        done += page.length
        progress.update(done, table.name)
      }
      // Cannot happen inside one snapshot; if it did, the header would lie about the file.
      if (written !== expected) throw new Error(`${table.name}: counted ${expected} rows but read ${written}`)
    }
    await sink.end({ end: true, tables: tables.length, rows: total })
    progress.finish()
    return { tables: Object.fromEntries(counts), rows: total }
  })
}

export async function appliedMigrations(db: AnyDb): Promise<string[]> {
  const rows = await db.selectFrom('schema_migrations').select('name').orderBy('name').execute()
  return rows.map((row: { name: string }) => row.name)
}

export async function countRows(db: AnyDb, table: string): Promise<number> {
  const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(db)
  return Number(rows[0]!.n)
}

async function* pagesOf(db: AnyDb, table: TableInfo, postgres: boolean): AsyncGenerator<Row[]> {
  const select = sql.join(table.columns.map((column) => selectColumn(column, postgres)))
  const key = table.primaryKey
  const keyIndexes = key.map((name) => table.columns.findIndex((c) => c.name === name))
  let after: unknown[] | undefined
  let offset = 0
  for (;;) {
    let query: RawBuilder<Record<string, unknown>>
    if (key.length === 0) {
      // No key to page on: order by every column and page by offset (slower, still bounded memory).
      const all = sql.join(table.columns.map((c) => sql.ref(c.name)))
      query = sql`select ${select} from ${sql.table(table.name)} order by ${all} limit ${PAGE_SIZE} offset ${offset}`
    } else {
      const keyList = sql.join(key.map((name) => sql.ref(name)))
      const where = after ? sql`where (${keyList}) > (${sql.join(after)})` : sql``
      query = sql`select ${select} from ${sql.table(table.name)} ${where} order by ${keyList} limit ${PAGE_SIZE}`
    }
    const { rows } = await query.execute(db)
    if (rows.length === 0) return
    const page = rows.map((row) => table.columns.map((column) => exportValue(column, row[column.name])))
    yield page
    if (rows.length < PAGE_SIZE) return
    const lastRow = rows[rows.length - 1]!
    after = keyIndexes.map((index) => lastRow[table.columns[index]!.name])
    offset += rows.length
  }
}

// jsonb is read as text: the driver would turn a JSON null into SQL NULL.
function selectColumn(column: ColumnInfo, postgres: boolean) {
  return postgres && column.kind === 'json' ? sql`${sql.ref(column.name)}::text as ${sql.ref(column.name)}` : sql.ref(column.name)
}

function exportValue(column: ColumnInfo, value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (column.kind === 'boolean') return fromBool(value)
  if (column.kind === 'json' && typeof value === 'string') return JSON.stringify(JSON.parse(value))
  if (typeof value === 'bigint') return Number(value)
  if (Buffer.isBuffer(value)) throw new Error(`column ${column.name} holds binary data, which backups do not support`)
  return value
}
