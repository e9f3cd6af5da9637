// better-sqlite3 behind Kysely's SqliteDialect, adapted so the same queries run on both dialects:
// booleans are bound as 1/0 (better-sqlite3 refuses JS booleans) and statements are cached.
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import type { SqliteDatabase, SqliteStatement } from 'kysely'

const STATEMENT_CACHE_SIZE = 500

export function openSqlite(file: string): { database: SqliteDatabase; raw: BetterSqlite3.Database } {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true })
  const raw = new BetterSqlite3(file)
  if (file !== ':memory:') raw.pragma('journal_mode = WAL')
  raw.pragma('synchronous = NORMAL')
  raw.pragma('foreign_keys = ON')
  raw.pragma('busy_timeout = 5000')
  return { database: new CachingSqliteDatabase(raw), raw }
}

/** The one connection of each SQLite database, by the Kysely instance in front of it. */
const connections = new WeakMap<object, SqliteDatabase>()

/** Lets `db`'s prepared queries reach its connection (see PreparedQuery.execute). */
export function exposeConnection(db: object, database: SqliteDatabase): void {
  connections.set(db, database)
}

export function exposedConnectionOf(db: object): SqliteDatabase | undefined {
  return connections.get(db)
}

class CachingSqliteDatabase implements SqliteDatabase {
  private readonly statements = new Map<string, SqliteStatement>()

  constructor(private readonly raw: BetterSqlite3.Database) {}

  close(): void {
    this.statements.clear()
    this.raw.close()
  }

  prepare(sql: string): SqliteStatement {
    let statement = this.statements.get(sql)
    if (statement) return statement
    statement = new BooleanBindingStatement(this.raw.prepare(withUnplannedLimits(sql)))
    if (this.statements.size >= STATEMENT_CACHE_SIZE) {
      this.statements.delete(this.statements.keys().next().value!)
    }
    this.statements.set(sql, statement)
    return statement
  }
}

class BooleanBindingStatement implements SqliteStatement {
  readonly reader: boolean
  /** The SQL as SQLite runs it. */
  readonly source: string
  private readonly toRow: RowFactory

  constructor(private readonly statement: BetterSqlite3.Statement) {
    this.reader = statement.reader
    this.source = statement.source
    // Rows come as arrays and become objects here: about a third faster than better-sqlite3's own
    // objects (a page of 20 screenplays: 87 → 57 µs), and every row of a statement has one shape.
    this.toRow = statement.reader ? rowFactoryOf(statement.raw(true).columns()) : (values) => values
  }

  all(parameters: ReadonlyArray<unknown>): unknown[] {
    return (this.statement.all(bindable(parameters)) as unknown[][]).map(this.toRow)
  }

  run(parameters: ReadonlyArray<unknown>) {
    return this.statement.run(bindable(parameters))
  }

  *iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown> {
    for (const values of this.statement.iterate(bindable(parameters)) as IterableIterator<unknown[]>) yield this.toRow(values)
  }
}

type RowFactory = (values: unknown[]) => unknown

/**
 * An object literal of the statement's columns, compiled once: objects that all share one shape,
 * the fastest V8 builds. Names are JSON-quoted; as with better-sqlite3, a repeated name keeps its
 * last column.
 */
export function rowFactoryOf(columns: BetterSqlite3.ColumnDefinition[]): RowFactory {
  const properties = columns.map((column, i) => `${JSON.stringify(column.name)}: values[${i}]`)
  return new Function('values', `return { ${properties.join(', ')} }`) as RowFactory
}

/**
 * SQLite's planner reads the value bound to a `LIMIT ?`, so binding one (better-sqlite3 binds on
 * every run) expires the statement and the next run compiles it again: the claim of queued runs
 * took 0.4 ms however few it claimed. Kysely writes every limit that way; as `cast(? as integer)`
 * the limit is the same, only computed when the statement runs.
 */
export function withUnplannedLimits(sql: string): string {
  return sql.replaceAll(' limit ?', ' limit cast(? as integer)')
}

/** The parameters as better-sqlite3 binds them (one array, spread by it): booleans as 1/0, copied only if any. */
function bindable(parameters: ReadonlyArray<unknown>): ReadonlyArray<unknown> {
  for (const value of parameters) {
    if (typeof value === 'boolean') return parameters.map((value) => (typeof value === 'boolean' ? (value ? 1 : 0) : value))
  }
  return parameters
}
