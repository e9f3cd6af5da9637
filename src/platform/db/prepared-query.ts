// A query of a hot path, built and compiled by Kysely once; each execution binds new values to
// its placeholders and runs the compiled SQL (which both drivers then prepare). Building and
// compiling a query with Kysely costs more than SQLite takes to run it.
import type { CompiledQuery, Kysely, QueryResult, SqliteDatabase } from 'kysely'
import { PREPARE_MARK } from './database.js'
import { exposedConnectionOf } from './sqlite.js'
import type { Tables } from './tables.js'

/** Where a value of the parameters object goes; Kysely sees it as an ordinary value. */
class Placeholder {
  constructor(readonly name: string) {}
}

/** A query builder or a raw `sql` template: anything Kysely compiles. */
interface CompilableQuery<R> {
  compile(db: Kysely<Tables>): CompiledQuery<R>
}

export class PreparedQuery<P extends object, R = unknown> {
  private readonly compiled: CompiledQuery<R>
  /** The name of the value each parameter of the compiled query takes; undefined for a constant. */
  private readonly names: ReadonlyArray<string | undefined>
  /** SQLite's one connection, when its Kysely instance exposes it. */
  private readonly connection: SqliteDatabase | undefined

  /**
   * `build` writes the query once, taking every value that changes from `params` (values it does
   * not take from there stay constant). The SQL must not depend on those values: one used as
   * anything but a bound parameter (in `sql.lit`, in a condition of the builder) is an error.
   */
  constructor(
    private readonly db: Kysely<Tables>,
    build: (params: P) => CompilableQuery<R>,
  ) {
    const used = new Set<string>()
    const params = new Proxy({} as P, {
      get: (_, name) => {
        used.add(String(name))
        return new Placeholder(String(name))
      },
    })
    const compiled = build(params).compile(db)
    this.compiled = { ...compiled, sql: PREPARE_MARK + compiled.sql }
    this.connection = exposedConnectionOf(db)
    this.names = this.compiled.parameters.map((value) => (value instanceof Placeholder ? value.name : undefined))
    for (const name of used) {
      if (!this.names.includes(name)) throw new Error(`prepared query: '${name}' is not a bound parameter of: ${this.compiled.sql}`)
    }
  }

  get sql(): string {
    return this.compiled.sql
  }

  /** The names of the values the query takes, in the order it binds them (undefined for a constant). */
  get placeholders(): ReadonlyArray<string | undefined> {
    return this.names
  }

  /** Runs the query with `values`, on the database or on `queries` (a transaction's). */
  execute(values: P, queries: Kysely<Tables> = this.db): Promise<QueryResult<R>> {
    const { names, compiled } = this
    const parameters = new Array<unknown>(names.length)
    for (let i = 0; i < names.length; i++) {
      const name = names[i]
      parameters[i] = name === undefined ? compiled.parameters[i] : values[name as keyof P]
    }
    return this.executeInOrder(parameters, queries)
  }

  /**
   * Runs the query with the value of every placeholder given in `placeholders` order, constants
   * included: for a statement of many rows, whose parameters object would cost more to build and
   * read than the statement takes to run.
   */
  executeInOrder(parameters: unknown[], queries: Kysely<Tables> = this.db): Promise<QueryResult<R>> {
    const { compiled } = this
    // A SQLite transaction holds the one connection until it ends, so its statements can skip
    // Kysely's per-query connection handling (a chain of promises and about 1.3 KB a statement).
    if (this.connection && queries !== this.db && queries.isTransaction) return executeOn<R>(this.connection, compiled.sql, parameters)
    return queries.executeQuery({ ...compiled, parameters })
  }

  /** The first row, if any. */
  async takeFirst(values: P, queries?: Kysely<Tables>): Promise<R | undefined> {
    return (await this.execute(values, queries)).rows[0]
  }

  async takeAll(values: P, queries?: Kysely<Tables>): Promise<R[]> {
    return (await this.execute(values, queries)).rows
  }

  /** How many rows an insert, update or delete touched. */
  async affected(values: P, queries?: Kysely<Tables>): Promise<number> {
    return Number((await this.execute(values, queries)).numAffectedRows ?? 0)
  }
}

/** What Kysely's SQLite driver would answer for the statement. */
function executeOn<R>(connection: SqliteDatabase, sql: string, parameters: unknown[]): Promise<QueryResult<R>> {
  try {
    const statement = connection.prepare(sql)
    if (statement.reader) return Promise.resolve({ rows: statement.all(parameters) as R[] })
    const { changes } = statement.run(parameters)
    return Promise.resolve({ rows: [], numAffectedRows: BigInt(changes) })
  } catch (err) {
    return Promise.reject(err)
  }
}

/** The `names` of `params` as an object: the placeholders of an insert's row. */
export function placeholdersOf<P extends object, K extends keyof P>(params: P, names: readonly K[]): Pick<P, K> {
  const row = {} as Pick<P, K>
  for (const name of names) row[name] = params[name]
  return row
}

/**
 * Prepared variants of one query whose SQL depends on a key (how many rows an insert writes, a
 * set of statuses): each variant is compiled the first time its key is asked for. Keys should be
 * few; a key past `limit` distinct ones is compiled on every call and not kept.
 */
export function preparedVariants<K, P extends object, R>(build: (key: K) => PreparedQuery<P, R>, limit = 64): (key: K) => PreparedQuery<P, R> {
  const variants = new Map<K, PreparedQuery<P, R>>()
  return (key) => {
    let query = variants.get(key)
    if (!query) {
      query = build(key)
      if (variants.size < limit) variants.set(key, query)
    }
    return query
  }
}
