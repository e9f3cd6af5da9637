// What a backup holds, read from the migrated schema itself rather than from a list in code: a
// table that a later migration adds is backed up, restored and migrated without touching this
// module. Tables come in dependency order (a table after every table its foreign keys point to).
import { sql, type Kysely } from 'kysely'
import type { Dialect } from '../../platform/db/database.js'

/** How a column's values cross dialects: JSON is text in SQLite and jsonb in PostgreSQL, booleans 0/1 or true/false. */
export type ColumnKind = 'json' | 'boolean' | 'integer' | 'real' | 'text'

export interface ColumnInfo {
  name: string
  kind: ColumnKind
}

export interface TableInfo {
  name: string
  columns: ColumnInfo[]
  /** Primary key columns in key order (empty when the table has none). */
  primaryKey: string[]
  /** Tables this one's foreign keys reference. */
  references: string[]
}

/** Tables that are not data: the schema version (recorded in the backup's header) and transient cluster messages. */
export const NOT_BACKED_UP: Record<string, string> = {
  schema_migrations: 'the schema version; recorded in the header and checked on restore',
  cluster_messages: 'transient payloads between gateway instances, gone after a minute',
}

// biome-ignore lint/suspicious/noExplicitAny: the catalog queries tables not known at compile time
type AnyDb = Kysely<any>

export async function describeTables(db: AnyDb, dialect: Dialect): Promise<TableInfo[]> {
  const tables = dialect === 'sqlite' ? await describeSqlite(db) : await describePostgres(db)
  return dependencyOrder(tables.filter((table) => !Object.hasOwn(NOT_BACKED_UP, table.name)))
}

async function describeSqlite(db: AnyDb): Promise<TableInfo[]> {
  const names = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`.execute(
    db,
  )
  const tables: TableInfo[] = []
  for (const { name } of names.rows) {
    const columns = await sql<{ name: string; type: string; pk: number }>`select name, type, pk from pragma_table_info(${name}) order by cid`.execute(
      db,
    )
    const keys = await sql<{ table: string }>`select distinct "table" from pragma_foreign_key_list(${name})`.execute(db)
    tables.push({
      name,
      columns: columns.rows.map((c) => ({ name: c.name, kind: kindOf(c.type) })),
      primaryKey: columns.rows
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name),
      references: keys.rows.map((k) => k.table).filter((t) => t !== name),
    })
  }
  return tables
}

async function describePostgres(db: AnyDb): Promise<TableInfo[]> {
  const columns = await sql<{ table_name: string; column_name: string; data_type: string }>`
    select c.table_name, c.column_name, c.data_type from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
    where c.table_schema = current_schema() order by c.table_name, c.ordinal_position`.execute(db)
  const keys = await sql<{ table_name: string; column_name: string }>`
    select tc.table_name, kcu.column_name from information_schema.table_constraints tc
    join information_schema.key_column_usage kcu on kcu.constraint_schema = tc.constraint_schema and kcu.constraint_name = tc.constraint_name
    where tc.table_schema = current_schema() and tc.constraint_type = 'PRIMARY KEY' order by tc.table_name, kcu.ordinal_position`.execute(db)
  const references = await sql<{ child: string; parent: string }>`
    select distinct c.relname as child, p.relname as parent from pg_constraint k
    join pg_class c on c.oid = k.conrelid join pg_class p on p.oid = k.confrelid join pg_namespace n on n.oid = k.connamespace
    where k.contype = 'f' and n.nspname = current_schema()`.execute(db)
  const tables = new Map<string, TableInfo>()
  for (const row of columns.rows) {
    let table = tables.get(row.table_name)
    if (!table) tables.set(row.table_name, (table = { name: row.table_name, columns: [], primaryKey: [], references: [] }))
    table.columns.push({ name: row.column_name, kind: kindOf(row.data_type) })
  }
  for (const row of keys.rows) tables.get(row.table_name)?.primaryKey.push(row.column_name)
  for (const row of references.rows) if (row.child !== row.parent) tables.get(row.child)?.references.push(row.parent)
  return [...tables.values()].sort((a, b) => a.name.localeCompare(b.name))
}

function kindOf(declared: string): ColumnKind {
  const type = declared.toLowerCase()
  if (type.startsWith('json')) return 'json'
  if (type === 'boolean') return 'boolean'
  if (type.includes('int')) return 'integer'
  if (type.includes('double') || type.includes('real') || type.includes('float') || type.includes('numeric')) return 'real'
  return 'text'
}

/** Parents before children; otherwise by name, so two backups of the same data are the same file. */
export function dependencyOrder(tables: TableInfo[]): TableInfo[] {
  const byName = new Map(tables.map((table) => [table.name, table]))
  const ordered: TableInfo[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (table: TableInfo) => {
    if (state.get(table.name) === 'done') return
    if (state.get(table.name) === 'visiting') throw new Error(`tables reference each other in a cycle through ${table.name}`)
    state.set(table.name, 'visiting')
    for (const parent of [...table.references].sort()) {
      const parentTable = byName.get(parent)
      if (parentTable) visit(parentTable)
    }
    state.set(table.name, 'done')
    ordered.push(table)
  }
  for (const table of [...tables].sort((a, b) => a.name.localeCompare(b.name))) visit(table)
  return ordered
}
