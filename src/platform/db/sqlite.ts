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
    statement = new BooleanBindingStatement(this.raw.prepare(sql))
    if (this.statements.size >= STATEMENT_CACHE_SIZE) {
      this.statements.delete(this.statements.keys().next().value!)
    }
    this.statements.set(sql, statement)
    return statement
  }
}

class BooleanBindingStatement implements SqliteStatement {
  readonly reader: boolean

  constructor(private readonly statement: BetterSqlite3.Statement) {
    this.reader = statement.reader
  }

  all(parameters: ReadonlyArray<unknown>): unknown[] {
    return this.statement.all(...bindable(parameters))
  }

  run(parameters: ReadonlyArray<unknown>) {
    return this.statement.run(...bindable(parameters))
  }

  iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown> {
    return this.statement.iterate(...bindable(parameters))
  }
}

function bindable(parameters: ReadonlyArray<unknown>): unknown[] {
  return parameters.map((value) => (typeof value === 'boolean' ? (value ? 1 : 0) : value))
}
