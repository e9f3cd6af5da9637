// The ordered, durable log of each run's events: (run_id, seq, type, data, at).
import type { Kysely, Selectable } from 'kysely'
import { fromJson, toJson } from '../platform/db/json.js'
import type { Tables } from '../platform/db/tables.js'
import { queriesOf, type UnitOfWork } from '../platform/db/unit-of-work.js'
import type { RunEvent, RunEventBody } from './run-events.js'

export class RunEventLog {
  constructor(private readonly db: Kysely<Tables>) {}

  /** Stores events whose seqs the caller reserved (in the same write that changed the run). */
  async insertAt(runId: string, firstSeq: number, bodies: readonly RunEventBody[], at: number, uow: UnitOfWork): Promise<RunEvent[]> {
    if (bodies.length === 0) return []
    const events = bodies.map((body, i) => ({ ...body, runId, seq: firstSeq + i, at }) as RunEvent)
    await queriesOf(uow, this.db)
      .insertInto('run_events')
      .values(events.map((e) => ({ run_id: runId, seq: e.seq, type: e.type, data: toJson(e.data), at })))
      .execute()
    return events
  }

  /** Events after `afterSeq`, in order, at most `limit`. */
  async readAfter(runId: string, afterSeq: number, limit = 1000): Promise<RunEvent[]> {
    const rows = await this.db
      .selectFrom('run_events')
      .selectAll()
      .where('run_id', '=', runId)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute()
    return rows.map(toEvent)
  }

  /** Events `fromSeq`…`toSeq` of a run, in order; a null `toSeq` reads to the newest. */
  async readRange(runId: string, fromSeq: number, toSeq: number | null): Promise<RunEvent[]> {
    let query = this.db.selectFrom('run_events').selectAll().where('run_id', '=', runId).where('seq', '>=', fromSeq)
    if (toSeq !== null) query = query.where('seq', '<=', toSeq)
    const rows = await query.orderBy('seq').execute()
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

function toEvent(row: Selectable<Tables['run_events']>): RunEvent {
  return { type: row.type, data: fromJson(row.data, {}), runId: row.run_id, seq: Number(row.seq), at: Number(row.at) } as RunEvent
}
