// PostgreSQL only: a write of the runs table and the events it numbers in one statement (a
// data-modifying CTE). A run's creation, claim and end then each take one round trip, and need no
// transaction of their own: one statement commits as a whole.
import { sql, type Kysely } from 'kysely'
import { PreparedQuery, placeholdersOf, preparedVariants } from '../platform/db/prepared-query.js'
import type { Tables } from '../platform/db/tables.js'
import type { RunStatus } from './run-events.js'
import { RUN_COLUMNS, type NewRunRow, type RunRow } from './run-rows.js'
import { claimOf, endOf, type Claim, type Ending } from './runs.queries.js'

/** The most events one of these statements writes; a write with more stores them apart. */
export const INLINE_EVENTS_MAX = 16

/** The events' own columns, `type0`, `data0`, `type1`…; their run, seqs and time come from the write. */
interface EventColumns {
  [column: `${'type' | 'data'}${number}`]: string
}

export type RunsWithEvents = ReturnType<typeof runsWithEvents>

export function runsWithEvents(db: Kysely<Tables>) {
  return {
    /** A new run and its first `count` events, numbered from 1, at its creation. */
    insert: preparedVariants((count: number) => insertQuery(db, count), INLINE_EVENTS_MAX),
    /** A claim (see `claimOf`) and each claimed run's `run.started` event (`data0`), at `now`. */
    claimById: claimQuery(db, true),
    claimOldest: claimQuery(db, false),
    /** An end (see `endOf`) and its `seqs` events, the last numbered the run's new lastSeq. */
    end: preparedVariants((key: string) => {
      const [seqs, ...from] = key.split(' ')
      return endQuery(db, from as RunStatus[], Number(seqs))
    }),
  }
}

function insertQuery(db: Kysely<Tables>, count: number) {
  return new PreparedQuery(db, (p: NewRunRow & EventColumns) =>
    db
      .with('created', (qb) => qb.insertInto('runs').values(placeholdersOf(p, RUN_COLUMNS)).returning('id'))
      .insertInto('run_events')
      .values(Array.from({ length: count }, (_, i) => ({ run_id: p.id, seq: i + 1, type: p[`type${i}`]!, data: p[`data${i}`]!, at: p.created_at }))),
  )
}

function claimQuery(db: Kysely<Tables>, byId: boolean) {
  return new PreparedQuery(
    db,
    (p: Claim & EventColumns) => sql<RunRow>`with claimed as (${claimOf(db, 'postgres', byId, p)}), started as (
      insert into run_events (run_id, seq, type, data, at)
      select id, last_seq, ${sql.lit('run.started')}, cast(${p.data0} as jsonb), cast(${p.now} as bigint) from claimed
    ) select * from claimed`,
  )
}

function endQuery(db: Kysely<Tables>, from: readonly RunStatus[], seqs: number) {
  return new PreparedQuery(db, (p: Ending & EventColumns) => {
    const events = Array.from(
      { length: seqs },
      (_, i) =>
        sql`select id, last_seq - ${sql.lit(seqs - 1 - i)}, cast(${p[`type${i}`]} as text), cast(${p[`data${i}`]} as jsonb), cast(${p.endedAt} as bigint) from ended`,
    )
    return sql<RunRow>`with ended as (${endOf(db, from, p)}), events as (
      insert into run_events (run_id, seq, type, data, at) ${sql.join(events, sql` union all `)}
    ) select * from ended`
  })
}
