// The ordered, durable log of each run's events: (run_id, seq, type, data, at).
import type { Kysely, Selectable } from 'kysely'
import { fromJson, toJson } from '../platform/db/json.js'
import { PreparedQuery, preparedVariants } from '../platform/db/prepared-query.js'
import type { Tables } from '../platform/db/tables.js'
import type { GatheredWrite, UnitOfWork } from '../platform/db/unit-of-work.js'
import type { RunEvent, RunEventBody } from './run-events.js'

/** Events stored by one statement at most; a longer batch takes several (in one transaction). */
export const ROWS_PER_INSERT = 16

/** An insert of `count` events: `run0`, `seq0`, `type0`, `data0`, `at0`, `run1`… */
interface EventRows {
  [column: `${'run' | 'seq' | 'type' | 'data' | 'at'}${number}`]: string | number
}

const EVENT_COLUMNS = ['run', 'seq', 'type', 'data', 'at'] as const

/** The events `bodies` of a run, numbered from `firstSeq`. */
export function eventsOf(runId: string, firstSeq: number, bodies: readonly RunEventBody[], at: number): RunEvent[] {
  // A plain literal: spreading the body and adding keys costs about 2.5 µs an event on Node 20's V8.
  return bodies.map((body, i) => ({ type: body.type, data: body.data, runId, seq: firstSeq + i, at }) as RunEvent)
}

export class RunEventLog {
  private readonly queries: ReturnType<typeof eventQueries>
  /** Events of the units of work that commit together, stored by as few statements as they fill. */
  private readonly stored: GatheredWrite<RunEvent> = { write: (events, queries) => this.write(events, queries) }

  constructor(private readonly db: Kysely<Tables>) {
    this.queries = eventQueries(db)
  }

  /** Stores events whose seqs the caller reserved (in the same write that changed the run). */
  async insertAt(runId: string, firstSeq: number, bodies: readonly RunEventBody[], at: number, uow: UnitOfWork): Promise<RunEvent[]> {
    const events = eventsOf(runId, firstSeq, bodies, at)
    await this.insert(events, uow)
    return events
  }

  /**
   * Stores events (of one run or several) whose seqs were reserved in the writes that changed their
   * runs, before `uow` commits.
   */
  async insert(events: readonly RunEvent[], uow: UnitOfWork): Promise<void> {
    uow.gather(this.stored, events)
  }

  private async write(events: readonly RunEvent[], queries: Kysely<Tables>): Promise<void> {
    for (let start = 0; start < events.length; start += ROWS_PER_INSERT) {
      const count = Math.min(ROWS_PER_INSERT, events.length - start)
      // The values in the insert's order (insertQuery checks it), with no object of 5 × count keys.
      const values = new Array<unknown>(count * EVENT_COLUMNS.length)
      for (let i = 0, at = 0; i < count; i++) {
        const event = events[start + i]!
        values[at++] = event.runId
        values[at++] = event.seq
        values[at++] = event.type
        values[at++] = toJson(event.data)
        values[at++] = event.at
      }
      await this.queries.insert(count).executeInOrder(values, queries)
    }
  }

  /** Events after `afterSeq`, in order, at most `limit`. */
  async readAfter(runId: string, afterSeq: number, limit = 1000): Promise<RunEvent[]> {
    return (await this.queries.after.takeAll({ runId, afterSeq, limit })).map(toEvent)
  }

  /** Events `fromSeq`…`toSeq` of a run, in order; a null `toSeq` reads to the newest. */
  async readRange(runId: string, fromSeq: number, toSeq: number | null): Promise<RunEvent[]> {
    const rows = toSeq === null ? await this.queries.from.takeAll({ runId, fromSeq }) : await this.queries.range.takeAll({ runId, fromSeq, toSeq })
    return rows.map(toEvent)
  }

  /** Drops the logs of runs that ended before `cutoff`; the runs themselves stay. */
  async purgeEndedBefore(cutoff: number): Promise<number> {
    const result = await this.db
      .deleteFrom('run_events')
      .where('run_id', 'in', (eb) => eb.selectFrom('runs').select('id').where('ended_at', '<', cutoff))
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  }
}

/** The queries of every run's events, compiled once (see PreparedQuery). */
function eventQueries(db: Kysely<Tables>) {
  return {
    /** By how many rows it inserts. */
    insert: preparedVariants((count: number) => insertQuery(db, count), ROWS_PER_INSERT),
    after: new PreparedQuery(db, (p: { runId: string; afterSeq: number; limit: number }) =>
      db.selectFrom('run_events').selectAll().where('run_id', '=', p.runId).where('seq', '>', p.afterSeq).orderBy('seq').limit(p.limit),
    ),
    range: new PreparedQuery(db, (p: { runId: string; fromSeq: number; toSeq: number }) =>
      db.selectFrom('run_events').selectAll().where('run_id', '=', p.runId).where('seq', '>=', p.fromSeq).where('seq', '<=', p.toSeq).orderBy('seq'),
    ),
    from: new PreparedQuery(db, (p: { runId: string; fromSeq: number }) =>
      db.selectFrom('run_events').selectAll().where('run_id', '=', p.runId).where('seq', '>=', p.fromSeq).orderBy('seq'),
    ),
  }
}

function insertQuery(db: Kysely<Tables>, count: number) {
  const query = new PreparedQuery(db, (p: EventRows) =>
    db.insertInto('run_events').values(
      Array.from({ length: count }, (_, i) => ({
        run_id: p[`run${i}`] as string,
        seq: p[`seq${i}`] as number,
        type: p[`type${i}`] as string,
        data: p[`data${i}`] as string,
        at: p[`at${i}`] as number,
      })),
    ),
  )
  const expected = Array.from({ length: count }, (_, i) => EVENT_COLUMNS.map((column) => `${column}${i}`)).flat()
  if (query.placeholders.join() !== expected.join()) throw new Error(`the events insert binds ${query.placeholders.join()}, not ${expected.join()}`)
  return query
}

function toEvent(row: Selectable<Tables['run_events']>): RunEvent {
  return { type: row.type, data: fromJson(row.data, {}), runId: row.run_id, seq: Number(row.seq), at: Number(row.at) } as RunEvent
}
