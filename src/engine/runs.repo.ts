// Run storage. The runs table is also the queue: workers claim queued rows atomically
// (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has a single writer).
import { queriesOf, type UnitOfWork } from '../platform/db/unit-of-work.js'
import type { Kysely } from 'kysely'
import type { Dialect } from '../platform/db/database.js'
import { fromBool, jsonRows, toJson } from '../platform/db/json.js'
import { TurnBatcher } from '../platform/db/turn-batcher.js'
import type { PreparedQuery } from '../platform/db/prepared-query.js'
import type { Tables } from '../platform/db/tables.js'
import type { Run } from './run.js'
import type { RunEnding } from './run-ending.js'
import type { RunEventBody, RunStatus } from './run-events.js'
import { toRow, toRun, type NewRunRow, type RunRow } from './run-rows.js'
import { QUEUED, RUNNING, runQueries, type Claim, type Renewal, type RunQueries } from './runs.queries.js'
import { INLINE_EVENTS_MAX, runsWithEvents, type Endings, type NewRuns, type RunsWithEvents } from './runs-with-events.queries.js'
import type { ListRunsOptions, RunCensus, RunFilter } from './runs.js'

/** Events a write of the runs table stores in the same statement (only where `writesEvents`). */
export type WithEvents = readonly RunEventBody[]

export interface RunsRepo {
  /**
   * Whether a write of a run can store the events it numbers in the same statement (PostgreSQL:
   * a data-modifying CTE), at most INLINE_EVENTS_MAX of them: `insert`, `claim`, `claimOldest`
   * and `end` then take the events, and one statement needs no transaction around it.
   */
  readonly writesEvents: boolean
  /** Stores a new run; with `events` (numbered from 1, at its creation) in the same statement. */
  insert(run: Run, uow?: UnitOfWork, events?: WithEvents): Promise<void>
  get(id: string, uow?: UnitOfWork): Promise<Run | undefined>
  findByIdempotencyKey(key: string): Promise<Run | undefined>
  statusOf(id: string): Promise<RunStatus | undefined>
  list(options: ListRunsOptions): Promise<Run[]>
  count(filter: RunFilter): Promise<number>
  /**
   * Whether the conversation has a queued or running run. Inside `uow`, and on PostgreSQL it first
   * takes the conversation's transaction lock, so two creators cannot both see it idle.
   */
  isConversationBusy(conversationId: string, uow: UnitOfWork): Promise<boolean>
  /**
   * Claims up to `count` of the oldest claimable queued runs at once, oldest first: queued →
   * running for this worker, each reserving one event number (for `run.started`) in the same
   * write. With `started` (one event), each run's is stored in the same statement with that
   * number, at `now`. A run is claimable only after every older queued run of its conversation
   * and while none of it runs, so one batch holds at most one run per conversation.
   */
  claimOldest(count: number, claim: ClaimBy, uow?: UnitOfWork, started?: WithEvents): Promise<Run[]>
  /**
   * Extends the leases of `ids`, runs this worker is executing; returns those whose cancellation
   * was requested. A run stored with this worker's id but not executed by it (its creation failed
   * half-way, say) is not renewed: its lease lapses and the reaper ends it.
   */
  renewLeases(workerId: string, ids: readonly string[], leaseExpiresAt: number, now: number): Promise<string[]>
  /**
   * Ends a run that is still in one of `from` and returns it, reserving `seqs` event numbers in
   * the same write (the run's lastSeq is the last of them); undefined when it already moved on.
   * `seqs` may be the events themselves: they are stored in the same statement, at `endedAt`.
   */
  end(id: string, from: RunStatus[], ending: RunEnding, seqs: number | WithEvents, uow?: UnitOfWork): Promise<Run | undefined>
  /** Flags a queued or running run for its worker to stop; a finished run is left as it is. */
  requestCancel(id: string, now: number): Promise<void>
  /** Running runs whose lease lapsed before `now`. */
  listExpiredLeases(now: number, limit: number): Promise<Run[]>
  savePrompt(id: string, prompt: string): Promise<void>
  markDeleted(id: string, messageId: string | null, now: number, uow?: UnitOfWork): Promise<boolean>
  /** Hides every run of an instance (its history); returns how many were hidden. */
  markDeletedForInstance(instanceId: string, now: number, uow?: UnitOfWork): Promise<number>
  /** Advances the run's event counter by `count` and returns the first seq to use. */
  /**
   * Advances a running run's event counter by `count` and returns the first seq to use; undefined
   * when the run is no longer running (its final event is its last: nothing may follow it).
   */
  reserveSeqs(id: string, count: number, uow: UnitOfWork): Promise<number | undefined>
  /** Active runs by status, executor and provider, and the number of stored events. */
  census(): Promise<RunCensus>
}

/** Who claims, until when, and when. */
export interface ClaimBy {
  workerId: string
  leaseExpiresAt: number
  now: number
}

export class KyselyRunsRepo implements RunsRepo {
  readonly writesEvents: boolean
  private readonly queries: RunQueries
  private readonly withEvents: RunsWithEvents | undefined

  constructor(
    private readonly db: Kysely<Tables>,
    private readonly dialect: Dialect,
  ) {
    this.queries = runQueries(db, dialect)
    this.writesEvents = dialect === 'postgres'
    this.withEvents = this.writesEvents ? runsWithEvents(db) : undefined
  }

  async insert(run: Run, uow?: UnitOfWork, events?: WithEvents): Promise<void> {
    const row = toRow(run)
    if (!events) await this.queries.insert.execute(row, queriesOf(uow, this.db))
    else if (!uow) await this.creations.run({ row, events })
    else await this.insertWithEvents({ row, events }, queriesOf(uow, this.db))
  }

  private async insertWithEvents({ row, events }: CreateJob, tx: Kysely<Tables>): Promise<void> {
    await this.inline()
      .insert(events.length)
      .execute(Object.assign(row, columnsOf(events)), tx)
  }

  /** New runs with their events and no transaction, gathered per event-loop turn into one statement. */
  private readonly creations = new TurnBatcher<CreateJob, void>({
    keyOf: (job) => job.row.id,
    runOne: (job) => this.insertWithEvents(job, this.db),
    runMany: async (jobs) => {
      await this.inline().insertMany.execute(newRunsOf(jobs))
      return jobs.map(() => undefined)
    },
    max: ROWS_PER_STATEMENT,
  })

  async get(id: string, uow?: UnitOfWork): Promise<Run | undefined> {
    const row = await this.queries.get.takeFirst({ id }, queriesOf(uow, this.db))
    return row ? toRun(row) : undefined
  }

  async statusOf(id: string): Promise<RunStatus | undefined> {
    const row = await this.queries.statusOf.takeFirst({ id })
    return row?.status as RunStatus | undefined
  }

  async findByIdempotencyKey(key: string): Promise<Run | undefined> {
    const row = await this.queries.byIdempotencyKey.takeFirst({ key })
    return row ? toRun(row) : undefined
  }

  async list(options: ListRunsOptions): Promise<Run[]> {
    const direction = options.ascending ? 'asc' : 'desc'
    const rows = await this.filtered(options)
      .selectAll()
      .orderBy(options.sortBy ?? 'created_at', direction)
      .orderBy('id', direction)
      .limit(options.limit)
      .offset(options.offset)
      .execute()
    return rows.map(toRun)
  }

  async count(filter: RunFilter): Promise<number> {
    const row = await this.filtered(filter)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    return Number(row.n)
  }

  async census(): Promise<RunCensus> {
    const active = await this.db
      .selectFrom('runs')
      .select(['status', 'executor', 'provider', (eb) => eb.fn.countAll<number>().as('n')])
      .where('status', 'in', [QUEUED, RUNNING])
      .groupBy(['status', 'executor', 'provider'])
      .execute()
    const events = await this.db
      .selectFrom('run_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    return {
      active: active.map((row) => ({ status: row.status as RunStatus, executor: row.executor, provider: row.provider, count: Number(row.n) })),
      storedEvents: Number(events.n),
    }
  }

  async isConversationBusy(conversationId: string, uow: UnitOfWork): Promise<boolean> {
    const tx = queriesOf(uow, this.db)
    if (this.dialect === 'postgres') await this.queries.lockConversation.execute({ id: conversationId }, tx)
    return (await this.queries.busyRunOf.takeFirst({ conversationId }, tx)) !== undefined
  }

  async claimOldest(count: number, claim: ClaimBy, uow?: UnitOfWork, started?: WithEvents): Promise<Run[]> {
    const query = started ? this.inline().claimOldest : this.queries.claimOldest
    const runs = await this.claimWith(query, Object.assign({ count }, claim, columnsOf(started ?? [])), uow)
    return runs.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
  }

  private async claimWith(query: PreparedQuery<Claim, RunRow>, claim: Claim, uow: UnitOfWork | undefined): Promise<Run[]> {
    try {
      return (await query.takeAll(claim, queriesOf(uow, this.db))).map(toRun)
    } catch (err) {
      // Another worker started a run of the same conversation between our check and our write.
      if (isUniqueViolationOnRunning(err)) return []
      throw err
    }
  }

  async renewLeases(workerId: string, ids: readonly string[], leaseExpiresAt: number, now: number): Promise<string[]> {
    if (ids.length === 0) return []
    const renewal: Renewal = { workerId, leaseExpiresAt, now }
    for (const [i, id] of ids.entries()) renewal[`id${i}`] = id
    const rows = await this.queries.renewLeases(ids.length).takeAll(renewal)
    return rows.filter((row) => fromBool(row.cancel_requested)).map((row) => row.id)
  }

  async end(id: string, from: RunStatus[], ending: RunEnding, seqs: number | WithEvents, uow?: UnitOfWork): Promise<Run | undefined> {
    const { status, output, error, exitCode, severity, usage, endedAt } = ending
    const count = typeof seqs === 'number' ? seqs : seqs.length
    const values = { id, seqs: count, status, output, error, exitCode, severity, usage: usage ? toJson(usage) : null, endedAt }
    if (typeof seqs !== 'number' && !uow) return this.endingsFrom(from.join(' ')).run({ values, from, events: seqs })
    const tx = queriesOf(uow, this.db)
    const row =
      typeof seqs === 'number' ? await this.queries.endFrom(from).takeFirst(values, tx) : await this.endWithEvents({ values, from, events: seqs }, tx)
    return row ? toRun(row) : undefined
  }

  private async endWithEvents({ values, from, events }: EndJob, tx: Kysely<Tables>): Promise<RunRow | undefined> {
    return this.inline()
      .end(`${values.seqs} ${from.join(' ')}`)
      .takeFirst(Object.assign(values, columnsOf(events)), tx)
  }

  /** Ends with their events and no transaction, gathered per event-loop turn into one statement per `from`. */
  private readonly endings = new Map<string, TurnBatcher<EndJob, Run | undefined>>()

  private endingsFrom(from: string): TurnBatcher<EndJob, Run | undefined> {
    let batcher = this.endings.get(from)
    if (batcher) return batcher
    batcher = new TurnBatcher<EndJob, Run | undefined>({
      keyOf: (job) => job.values.id,
      runOne: async (job) => {
        const row = await this.endWithEvents(job, this.db)
        return row ? toRun(row) : undefined
      },
      runMany: async (jobs) => {
        const { rows } = await this.inline().endMany(from).execute(endingsOf(jobs))
        const ended = new Map(rows.map((row) => [row.id, row]))
        return jobs.map((job) => {
          const row = ended.get(job.values.id)
          return row ? toRun(row) : undefined
        })
      },
      max: ROWS_PER_STATEMENT,
    })
    this.endings.set(from, batcher)
    return batcher
  }

  async requestCancel(id: string, now: number): Promise<void> {
    await this.db
      .updateTable('runs')
      .set({ cancel_requested: true, updated_at: now })
      .where('id', '=', id)
      .where('status', 'in', ['queued', 'running'])
      .execute()
  }

  async listExpiredLeases(now: number, limit: number): Promise<Run[]> {
    const rows = await this.db
      .selectFrom('runs')
      .selectAll()
      .where('status', '=', RUNNING)
      .where('lease_expires_at', '<', now)
      .orderBy('lease_expires_at')
      .limit(limit)
      .execute()
    return rows.map(toRun)
  }

  async savePrompt(id: string, prompt: string): Promise<void> {
    await this.queries.savePrompt.execute({ id, prompt })
  }

  async markDeleted(id: string, messageId: string | null, now: number, uow?: UnitOfWork): Promise<boolean> {
    const tx = queriesOf(uow, this.db)
    const result = await tx
      .updateTable('runs')
      .set({ is_deleted: true, deleted_message_id: messageId, updated_at: now })
      .where('id', '=', id)
      .where('is_deleted', '=', false)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) === 1
  }

  async markDeletedForInstance(instanceId: string, now: number, uow?: UnitOfWork): Promise<number> {
    const tx = queriesOf(uow, this.db)
    const result = await tx
      .updateTable('runs')
      .set({ is_deleted: true, updated_at: now })
      .where('instance_id', '=', instanceId)
      .where('is_deleted', '=', false)
      .executeTakeFirst()
    return Number(result.numUpdatedRows)
  }

  async reserveSeqs(id: string, count: number, uow: UnitOfWork): Promise<number | undefined> {
    const row = await this.queries.reserveSeqs.takeFirst({ id, count }, queriesOf(uow, this.db))
    return row && Number(row.last_seq) - count + 1
  }

  private filtered(filter: RunFilter) {
    let query = this.db.selectFrom('runs')
    if (filter.ids) query = query.where('id', 'in', filter.ids.length > 0 ? filter.ids : [''])
    if (filter.statuses) query = query.where('status', 'in', filter.statuses.length > 0 ? filter.statuses : ['' as RunStatus])
    if (filter.agentId !== undefined) query = query.where('agent_id', '=', filter.agentId)
    if (filter.instanceId !== undefined) query = query.where('instance_id', '=', filter.instanceId)
    if (filter.conversationId !== undefined) query = query.where('conversation_id', '=', filter.conversationId)
    if (filter.screenplayId !== undefined) query = query.where('screenplay_id', '=', filter.screenplayId)
    if (filter.source !== undefined) query = query.where('source', '=', filter.source)
    if (filter.councilor !== undefined) query = query.where('source', filter.councilor ? '=' : '!=', 'councilor')
    if (!filter.includeDeleted) query = query.where('is_deleted', '=', false)
    return query
  }

  private inline(): RunsWithEvents {
    if (!this.withEvents) throw new Error('this database cannot write events with their run (writesEvents is false)')
    return this.withEvents
  }
}

interface EndJob {
  values: EndValues
  from: readonly RunStatus[]
  events: WithEvents
}

interface EndValues {
  id: string
  seqs: number
  status: RunStatus
  output: string
  error: string | null
  exitCode: number | null
  severity: string | null
  usage: string | null
  endedAt: number
}

/** The most runs one statement creates or ends. */
const ROWS_PER_STATEMENT = 64

interface CreateJob {
  row: NewRunRow
  events: WithEvents
}

function newRunsOf(jobs: readonly CreateJob[]): NewRuns {
  const events: object[] = []
  for (const { row, events: first } of jobs) {
    first.forEach((event, i) => {
      events.push({ run_id: row.id, seq: i + 1, type: event.type, data: event.data ?? null, at: row.created_at })
    })
  }
  return { runs: jsonRows(jobs.map((job) => job.row)), events: jsonRows(events) }
}

function endingsOf(jobs: readonly EndJob[]): Endings {
  const endings: object[] = []
  const events: object[] = []
  for (const { values, events: pending } of jobs) {
    const { id, seqs, status, output, error, exitCode, severity, usage, endedAt } = values
    endings.push({ id, seqs, status, output, error, exit_code: exitCode, severity, usage, ended_at: endedAt })
    pending.forEach((event, i) => {
      events.push({ run_id: id, back: pending.length - 1 - i, type: event.type, data: event.data ?? null })
    })
  }
  return { endings: jsonRows(endings), events: jsonRows(events) }
}

/** The events' columns of a statement that stores them with their run. */
function columnsOf(events: WithEvents): Record<`${'type' | 'data'}${number}`, string> {
  if (events.length > INLINE_EVENTS_MAX) throw new Error(`at most ${INLINE_EVENTS_MAX} events are stored with their run, not ${events.length}`)
  const columns: Record<`${'type' | 'data'}${number}`, string> = {}
  events.forEach((event, i) => {
    columns[`type${i}`] = event.type
    columns[`data${i}`] = toJson(event.data)
  })
  return columns
}

function isUniqueViolationOnRunning(err: unknown): boolean {
  const e = err as { code?: string; message?: string; constraint?: string }
  return (
    (e.code === '23505' && e.constraint === 'runs_one_running_per_conversation') ||
    (e.code === 'SQLITE_CONSTRAINT_UNIQUE' && /runs\.conversation_id/.test(e.message ?? ''))
  )
}
