// Opens the one database the gateway uses, SQLite (embedded profile) or PostgreSQL (server profile),
// behind a single Kysely<Tables> so every repo is written once for both dialects.
import { Kysely, PostgresDialect, SqliteDialect, sql, type KyselyPlugin } from 'kysely'
import { createRequire } from 'node:module'
import type pg from 'pg'
import type { Logger } from 'pino'
import { DatabaseAvailability } from './availability.js'
import { exposeConnection, openSqlite } from './sqlite.js'
import type { Tables } from './tables.js'

export type Dialect = 'sqlite' | 'postgres'

export interface Database {
  readonly db: Kysely<Tables>
  readonly dialect: Dialect
  /**
   * SQLite only: a number that changes whenever another connection (another process) commits to
   * the file, never for this one's own writes. Undefined for PostgreSQL, where other gateways write.
   */
  readonly outsideCommits?: () => number
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping(): Promise<void>
  close(): Promise<void>
}

export interface OpenDatabaseOptions {
  /** PostgreSQL only: the schema to use (tests isolate themselves in one schema each). */
  schema?: string
  poolSize?: number
  /**
   * PostgreSQL only: a session idle inside a transaction this long is ended by the server, which
   * rolls it back and frees its row locks (default IDLE_IN_TRANSACTION_TIMEOUT_MS).
   */
  idleInTransactionTimeoutMs?: number
  /** Kysely plugins applied to every query (tests use one to count queries and rows). */
  plugins?: KyselyPlugin[]
  /** PostgreSQL only: where losing and regaining the database is logged (once each). */
  logger?: Logger
}

const INT8_OID = 20

/**
 * The gateway never waits on anything but the database inside a transaction, so a transaction
 * left idle this long belongs to a stalled process (paused, swapped out): ending it frees the rows
 * it locked, so that another gateway can end its runs when their leases lapse.
 */
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 10_000

/**
 * Starts the SQL of a query that runs often (see PreparedQuery): PostgreSQL then keeps it as a
 * named prepared statement on each connection (parsed and planned once); better-sqlite3 prepares
 * every statement anyway.
 */
export const PREPARE_MARK = '/* prepared */ '

export function openDatabase(url: string, options: OpenDatabaseOptions = {}): Database {
  return url.startsWith('sqlite:') ? openSqliteDatabase(url.slice('sqlite:'.length), options) : openPostgresDatabase(url, options)
}

function openSqliteDatabase(file: string, options: OpenDatabaseOptions): Database {
  const { database, raw } = openSqlite(file)
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database }), plugins: options.plugins })
  // Plugins see every query only through Kysely (tests count queries with one).
  if (!options.plugins?.length) exposeConnection(db, database)
  const dataVersion = raw.prepare('PRAGMA data_version').pluck()
  return { ...databaseOf(db, 'sqlite'), outsideCommits: () => dataVersion.get() as number }
}

// The PostgreSQL driver is loaded only by the server profile.
const require = createRequire(import.meta.url)

export function loadPg(): typeof pg {
  return require('pg') as typeof pg
}

function openPostgresDatabase(url: string, options: OpenDatabaseOptions): Database {
  const pg = loadPg()
  const pool = new pg.Pool({
    Client: preparingClient(pg),
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
    options: [
      `-c idle_in_transaction_session_timeout=${options.idleInTransactionTimeoutMs ?? IDLE_IN_TRANSACTION_TIMEOUT_MS}`,
      ...(options.schema ? [`-c search_path=${options.schema}`] : []),
    ].join(' '),
    // Epoch-millisecond columns are int8; they fit a JS number exactly.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  })
  // A connection lost while idle (pool 'error') or while a query holds it (client 'error', which
  // pg emits with no listener attached once the client is checked out) must not crash the
  // process: the query in flight rejects, the pool drops the client, the next query reconnects.
  const availability = new DatabaseAvailability(options.logger)
  pool.on('error', (err) => availability.failed(err))
  pool.on('connect', (client) => {
    availability.connected()
    client.on('error', (err) => availability.failed(err))
  })
  watchConnects(pool, availability)
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }), plugins: options.plugins })
  return databaseOf(db, 'postgres')
}

/** A pg client that runs marked queries as named prepared statements (one name per SQL text). */
export function preparingClient(pg: ReturnType<typeof loadPg>): typeof pg.Client {
  const names = new Map<string, string>()
  const nameOf = (text: string) => {
    let name = names.get(text)
    if (!name) names.set(text, (name = `prepared_${names.size + 1}`))
    return name
  }
  return class PreparingClient extends pg.Client {
    // biome-ignore lint/suspicious/noExplicitAny: pg's query has many overloads; this passes every call through.
    override query(config: any, values?: any, callback?: any): any {
      if (typeof config === 'string' && config.startsWith(PREPARE_MARK) && Array.isArray(values)) {
        return super.query({ name: nameOf(config), text: config, values }, callback)
      }
      return super.query(config, values, callback)
    }
  } as typeof pg.Client
}

/** A connection that cannot be opened (refused, timed out) is the other sign of an outage. */
function watchConnects(pool: pg.Pool, availability: DatabaseAvailability): void {
  const connect = pool.connect.bind(pool) as (callback?: unknown) => Promise<pg.PoolClient> | undefined
  pool.connect = ((callback?: unknown) => {
    if (callback) return connect(callback)
    return connect()!.catch((err: unknown) => {
      availability.failed(err)
      throw err
    })
  }) as pg.Pool['connect']
}

function databaseOf(db: Kysely<Tables>, dialect: Dialect): Database {
  let closed = false
  return {
    db,
    dialect,
    async ping() {
      if (closed) throw new Error('database is closed')
      await sql`select 1`.execute(db)
    },
    async close() {
      if (closed) return
      closed = true
      await db.destroy()
    },
  }
}
