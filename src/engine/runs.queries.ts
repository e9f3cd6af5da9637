// The queries each run makes on the runs table, built and compiled once (see PreparedQuery).
import { sql, type ExpressionBuilder, type Kysely } from 'kysely'
import type { Dialect } from '../platform/db/database.js'
import { PreparedQuery, placeholdersOf, preparedVariants } from '../platform/db/prepared-query.js'
import type { Tables } from '../platform/db/tables.js'
import type { RunStatus } from './run-events.js'
import { RUN_COLUMNS, type NewRunRow } from './run-rows.js'

// Literals, not parameters: SQLite uses a partial index only when the query names its value.
export const QUEUED = sql.lit('queued') as unknown as RunStatus
export const RUNNING = sql.lit('running') as unknown as RunStatus

export interface Claim {
  /** The run to claim; ignored when claiming the oldest claimable one. */
  id: string
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
    claimById: claimQuery(db, dialect, true),
    claimOldest: claimQuery(db, dialect, false),
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

/** queued → running, reserving the `run.started` event's number: the run `id` (`byId`), or else the oldest claimable one. */
function claimQuery(db: Kysely<Tables>, dialect: Dialect, byId: boolean) {
  return new PreparedQuery(db, (p: Claim) =>
    db
      .updateTable('runs')
      .set((eb) => ({
        status: RUNNING,
        worker_id: p.workerId,
        lease_expires_at: p.leaseExpiresAt,
        started_at: p.now,
        updated_at: p.now,
        last_seq: eb('last_seq', '+', 1),
      }))
      .where('id', '=', (eb) => {
        if (byId) return eb.val(p.id)
        const candidate = eb
          .selectFrom('runs as q')
          .select('q.id')
          .where('q.status', '=', QUEUED)
          .where(({ or, not, exists, selectFrom, eb: inner }) =>
            or([inner('q.conversation_id', 'is', null), not(exists(runningIn(selectFrom, 'q')))]),
          )
          .orderBy('q.created_at')
          .orderBy('q.id')
          .limit(1)
        return dialect === 'postgres' ? candidate.forUpdate().skipLocked() : candidate
      })
      .where('status', '=', QUEUED)
      .where(({ or, not, exists, selectFrom, eb }) => or([eb('conversation_id', 'is', null), not(exists(runningIn(selectFrom, 'runs')))]))
      .returningAll(),
  )
}

function endQuery(db: Kysely<Tables>, from: readonly RunStatus[]) {
  const statuses = from.map((status) => sql.lit(status) as unknown as RunStatus)
  return new PreparedQuery(db, (p: Ending) =>
    db
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
      .returningAll(),
  )
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

/** A running run in the same conversation as `outer` (one running run per conversation). */
function runningIn(selectFrom: ExpressionBuilder<Tables, 'runs'>['selectFrom'], outer: 'q' | 'runs') {
  return selectFrom('runs as busy')
    .select('busy.id')
    .whereRef('busy.conversation_id', '=', `${outer}.conversation_id` as 'runs.conversation_id')
    .where('busy.status', '=', RUNNING)
}
