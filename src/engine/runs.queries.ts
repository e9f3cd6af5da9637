// The queries each run makes on the runs table, built and compiled once (see PreparedQuery).
import { sql, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely'
import type { Dialect } from '../platform/db/database.js'
import { PreparedQuery, placeholdersOf, preparedVariants } from '../platform/db/prepared-query.js'
import type { Tables } from '../platform/db/tables.js'
import type { RunStatus } from './run-events.js'
import { RUN_COLUMNS, type NewRunRow } from './run-rows.js'

// Literals, not parameters: SQLite uses a partial index only when the query names its value.
export const QUEUED = sql.lit('queued') as unknown as RunStatus
export const RUNNING = sql.lit('running') as unknown as RunStatus

export interface Claim {
  /** How many of the oldest claimable runs to claim at most. */
  count: number
  workerId: string
  leaseExpiresAt: number
  now: number
}

export interface Ending {
  id: string
  /** How many event numbers the end reserves. */
  seqs: number
  status: RunStatus
  output: string
  error: string | null
  exitCode: number | null
  severity: string | null
  usage: string | null
  endedAt: number
}

export type RunQueries = ReturnType<typeof runQueries>

export function runQueries(db: Kysely<Tables>, dialect: Dialect) {
  const endings = preparedVariants((from: string) => endQuery(db, from.split(' ') as RunStatus[]))
  return {
    insert: new PreparedQuery(db, (row: NewRunRow) => db.insertInto('runs').values(placeholdersOf(row, RUN_COLUMNS))),
    get: new PreparedQuery(db, (p: { id: string }) => db.selectFrom('runs').selectAll().where('id', '=', p.id)),
    statusOf: new PreparedQuery(db, (p: { id: string }) => db.selectFrom('runs').select('status').where('id', '=', p.id)),
    byIdempotencyKey: new PreparedQuery(db, (p: { key: string }) => db.selectFrom('runs').selectAll().where('idempotency_key', '=', p.key)),
    /** PostgreSQL: serialises the creators of runs in one conversation until their transaction ends. */
    lockConversation: new PreparedQuery(db, (p: { id: string }) => sql`select pg_advisory_xact_lock(hashtext(${p.id}))`),
    busyRunOf: new PreparedQuery(db, (p: { conversationId: string }) =>
      db.selectFrom('runs').select('id').where('conversation_id', '=', p.conversationId).where('status', 'in', [QUEUED, RUNNING]).limit(1),
    ),
    claimOldest: claimOldestQuery(db, dialect),
    /** By the statuses a run may end from (a handful of combinations). */
    endFrom: (from: readonly RunStatus[]) => endings(from.join(' ')),
    /** By how many runs are renewed. */
    renewLeases: preparedVariants((count: number) => renewQuery(db, count)),
    savePrompt: new PreparedQuery(db, (p: { id: string; prompt: string }) => db.updateTable('runs').set({ prompt: p.prompt }).where('id', '=', p.id)),
    reserveSeqs: new PreparedQuery(db, (p: { id: string; count: number }) =>
      db
        .updateTable('runs')
        .set((eb) => ({ last_seq: eb('last_seq', '+', p.count) }))
        .where('id', '=', p.id)
        .where('status', '=', RUNNING)
        .returning('last_seq'),
    ),
  }
}

function claimOldestQuery(db: Kysely<Tables>, dialect: Dialect) {
  return new PreparedQuery(db, (p: Claim) => claimOf(db, dialect, p))
}

/**
 * queued → running, reserving each run's `run.started` event number: the `count` oldest claimable
 * runs (first come, first served). A run is claimable while no
 * run of its conversation is running, and only after every older queued run of its conversation:
 * one batch never claims two runs of a conversation, and the older goes first.
 */
export function claimOf(db: Kysely<Tables>, dialect: Dialect, p: Claim) {
  const claim = db
    .updateTable('runs')
    .set((eb) => ({
      status: RUNNING,
      worker_id: p.workerId,
      lease_expires_at: p.leaseExpiresAt,
      started_at: p.now,
      updated_at: p.now,
      last_seq: eb('last_seq', '+', 1),
    }))
    .where('status', '=', QUEUED)
    .where(({ or, not, exists, selectFrom, eb }) => or([eb('conversation_id', 'is', null), not(exists(runningIn(selectFrom, 'runs')))]))
    .returningAll()
  const oldest = db
    .selectFrom('runs as q')
    .select('q.id')
    .where('q.status', '=', QUEUED)
    .where(({ or, and, not, exists, selectFrom, eb }) =>
      or([eb('q.conversation_id', 'is', null), and([not(exists(runningIn(selectFrom, 'q'))), not(exists(olderQueuedOf(selectFrom)))])]),
    )
    .orderBy('q.created_at')
    .orderBy('q.id')
    .limit(p.count)
  // PostgreSQL: concurrent claimers skip each other's rows instead of waiting for them; `= any(array(…))`
  // runs the subquery once, so its limit holds (a semi-join may lock and claim more rows).
  if (dialect === 'postgres') return claim.where(sql<SqlBool>`id = any(array(${oldest.forUpdate().skipLocked()}))`)
  return claim.where('id', 'in', oldest)
}

function endQuery(db: Kysely<Tables>, from: readonly RunStatus[]) {
  return new PreparedQuery(db, (p: Ending) => endOf(db, from, p))
}

/** Ends run `id` if it is still in one of `from`, reserving `seqs` event numbers. */
export function endOf(db: Kysely<Tables>, from: readonly RunStatus[], p: Ending) {
  const statuses = from.map((status) => sql.lit(status) as unknown as RunStatus)
  return db
    .updateTable('runs')
    .set((eb) => ({
      last_seq: eb('last_seq', '+', p.seqs),
      status: p.status,
      output: p.output,
      error: p.error,
      exit_code: p.exitCode,
      severity: p.severity,
      usage: p.usage,
      ended_at: p.endedAt,
      updated_at: p.endedAt,
      lease_expires_at: null,
    }))
    .where('id', '=', p.id)
    .where('status', 'in', statuses)
    .returningAll()
}

export interface Renewal {
  workerId: string
  leaseExpiresAt: number
  now: number
  /** The runs' ids, as `id0`, `id1`… */
  [id: `id${number}`]: string
}

function renewQuery(db: Kysely<Tables>, count: number) {
  return new PreparedQuery(db, (p: Renewal) =>
    db
      .updateTable('runs')
      .set({ lease_expires_at: p.leaseExpiresAt, updated_at: p.now })
      .where(
        'id',
        'in',
        Array.from({ length: count }, (_, i) => p[`id${i}`]!),
      )
      .where('status', '=', RUNNING)
      .where('worker_id', '=', p.workerId)
      .returning(['id', 'cancel_requested']),
  )
}

/** A queued run of `q`'s conversation created before it (ties broken by id, as the queue is ordered). */
function olderQueuedOf(selectFrom: ExpressionBuilder<Tables, 'runs'>['selectFrom']) {
  return selectFrom('runs as older')
    .select('older.id')
    .whereRef('older.conversation_id', '=', 'q.conversation_id' as 'runs.conversation_id')
    .where('older.status', '=', QUEUED)
    .where(({ or, and, eb }) =>
      or([
        eb('older.created_at', '<', eb.ref('q.created_at' as 'runs.created_at')),
        and([eb('older.created_at', '=', eb.ref('q.created_at' as 'runs.created_at')), eb('older.id', '<', eb.ref('q.id' as 'runs.id'))]),
      ]),
    )
}

/** A running run in the same conversation as `outer` (one running run per conversation). */
function runningIn(selectFrom: ExpressionBuilder<Tables, 'runs'>['selectFrom'], outer: 'q' | 'runs') {
  return selectFrom('runs as busy')
    .select('busy.id')
    .whereRef('busy.conversation_id', '=', `${outer}.conversation_id` as 'runs.conversation_id')
    .where('busy.status', '=', RUNNING)
}
