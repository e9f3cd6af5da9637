// PostgreSQL only: a write of the runs table and the events it numbers in one statement (a
// data-modifying CTE). A run's creation, claim and end then each take one round trip, and need no
// transaction of their own: one statement commits as a whole.
import { sql, type Kysely } from 'kysely'
import { PreparedQuery, placeholdersOf, preparedVariants } from '../platform/db/prepared-query.js'
import type { JsonRows } from '../platform/db/json.js'
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
    claimOldest: claimOldestQuery(db),
    /** An end (see `endOf`) and its `seqs` events, the last numbered the run's new lastSeq. */
    end: preparedVariants((key: string) => {
      const [seqs, ...from] = key.split(' ')
      return endQuery(db, from as RunStatus[], Number(seqs))
    }),
    /** New runs and their first events, numbered from 1, at their creation: one statement. */
    insertMany: insertManyQuery(db),
    /** Several ends (see `endOf`) from the statuses `from` (space-separated), and their events: one statement. */
    endMany: preparedVariants((from: string) => endManyQuery(db, from.split(' ') as RunStatus[])),
  }
}

type RunColumn = (typeof RUN_COLUMNS)[number]

/** New runs and their first events (`run_id`, `seq`, `type`, `data`, `at`), as JSON rows. */
export interface NewRuns {
  runs: JsonRows
  events: JsonRows
}

/** Each column's type in PostgreSQL (see the runs migration), for reading the JSON rows of a multi-row insert. */
const RUN_COLUMN_TYPES: Record<RunColumn, string> = {
  id: 'text',
  status: 'text',
  source: 'text',
  agent_id: 'text',
  persona_version: 'integer',
  instance_id: 'text',
  conversation_id: 'text',
  screenplay_id: 'text',
  executor: 'text',
  provider: 'text',
  model: 'text',
  input: 'text',
  cwd: 'text',
  prompt: 'text',
  output: 'text',
  error: 'text',
  exit_code: 'integer',
  severity: 'text',
  usage: 'jsonb',
  options: 'jsonb',
  idempotency_key: 'text',
  timeout_ms: 'bigint',
  worker_id: 'text',
  lease_expires_at: 'bigint',
  cancel_requested: 'boolean',
  is_deleted: 'boolean',
  deleted_message_id: 'text',
  last_seq: 'integer',
  created_at: 'bigint',
  started_at: 'bigint',
  ended_at: 'bigint',
  updated_at: 'bigint',
}

/** A jsonb column arrives as its JSON text (what the row holds), read as text and cast. */
const asRead = (column: RunColumn) => (RUN_COLUMN_TYPES[column] === 'jsonb' ? 'text' : RUN_COLUMN_TYPES[column])

function insertManyQuery(db: Kysely<Tables>) {
  return new PreparedQuery(db, (p: NewRuns) => {
    const columns = sql.join(RUN_COLUMNS.map((column) => sql.ref(column)))
    const values = sql.join(
      RUN_COLUMNS.map((column) => (RUN_COLUMN_TYPES[column] === 'jsonb' ? sql`cast(r.${sql.ref(column)} as jsonb)` : sql`r.${sql.ref(column)}`)),
    )
    const definition = sql.join(RUN_COLUMNS.map((column) => sql`${sql.ref(column)} ${sql.raw(asRead(column))}`))
    return sql`with created as (
      insert into runs (${columns}) select ${values} from json_to_recordset(cast(${p.runs} as json)) as r(${definition}) returning id
    ) insert into run_events (run_id, seq, type, data, at)
      select run_id, seq, type, data, at from json_to_recordset(cast(${p.events} as json))
        as e(run_id text, seq integer, type text, data jsonb, at bigint)`
  })
}

/**
 * Several runs' ends as JSON rows, one per run (`id`, `seqs`, `status`, `output`, `error`,
 * `exit_code`, `severity`, `usage` as JSON text, `ended_at`), and their events, one per event
 * (`run_id`, `back`, `type`, `data`): `back` counts from the run's last event (0).
 */
export interface Endings {
  endings: JsonRows
  events: JsonRows
}

/**
 * Ends of runs still in one of `from`. The statuses are written into the statement so that even
 * the plan PostgreSQL settles on for a table still empty reads only the runs in those statuses (a
 * partial index), never the whole table, however large it grows.
 */
function endManyQuery(db: Kysely<Tables>, from: readonly RunStatus[]) {
  const statuses = sql.join(from.map((status) => sql.lit(status)))
  return new PreparedQuery(
    db,
    (p: Endings) => sql<RunRow>`with endings as (
      select * from json_to_recordset(cast(${p.endings} as json))
        as e(id text, seqs integer, status text, output text, error text, exit_code integer, severity text, usage text, ended_at bigint)
    ), ended as (
      update runs set last_seq = runs.last_seq + e.seqs, status = e.status, output = e.output, error = e.error,
        exit_code = e.exit_code, severity = e.severity, usage = cast(e.usage as jsonb), ended_at = e.ended_at, updated_at = e.ended_at,
        lease_expires_at = null
      from endings e where runs.status in (${statuses}) and runs.id = e.id
      returning runs.*
    ), events as (
      insert into run_events (run_id, seq, type, data, at)
      select ended.id, ended.last_seq - v.back, v.type, v.data, ended.ended_at
      from json_to_recordset(cast(${p.events} as json)) as v(run_id text, back integer, type text, data jsonb)
      join ended on ended.id = v.run_id
    ) select * from ended`,
  )
}

function insertQuery(db: Kysely<Tables>, count: number) {
  return new PreparedQuery(db, (p: NewRunRow & EventColumns) =>
    db
      .with('created', (qb) => qb.insertInto('runs').values(placeholdersOf(p, RUN_COLUMNS)).returning('id'))
      .insertInto('run_events')
      .values(Array.from({ length: count }, (_, i) => ({ run_id: p.id, seq: i + 1, type: p[`type${i}`]!, data: p[`data${i}`]!, at: p.created_at }))),
  )
}

function claimOldestQuery(db: Kysely<Tables>) {
  return new PreparedQuery(
    db,
    (p: Claim & EventColumns) => sql<RunRow>`with claimed as (${claimOf(db, 'postgres', p)}), started as (
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
