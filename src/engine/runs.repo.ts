// Run storage. The runs table is also the queue: workers claim queued rows atomically
// (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has a single writer).
import { queriesOf, type UnitOfWork } from '../platform/db/unit-of-work.js'
import { sql, type ExpressionBuilder, type Kysely, type Selectable } from 'kysely'
import type { Dialect } from '../platform/db/database.js'
import { fromBool, fromJson, toJson } from '../platform/db/json.js'
import type { RunsTable, Tables } from '../platform/db/tables.js'
import type { ExecutorKind, Provider } from '../platform/providers.js'
import type { Run, RunOptions, RunSource } from './run.js'
import type { RunEnding } from './run-ending.js'
import type { RunStatus, Severity, Usage } from './run-events.js'
import type { ListRunsOptions, RunCensus, RunFilter } from './runs.js'

export interface RunsRepo {
  insert(run: Run, uow?: UnitOfWork): Promise<void>
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
   * queued → running for this worker, reserving one event number (for `run.started`) in the same
   * write; undefined when it is not claimable (gone, taken, conversation busy).
   */
  claim(id: string, workerId: string, leaseExpiresAt: number, now: number, uow?: UnitOfWork): Promise<Run | undefined>
  /** Claims the oldest claimable queued run (same contract as `claim`). */
  claimNext(workerId: string, leaseExpiresAt: number, now: number, uow?: UnitOfWork): Promise<Run | undefined>
  /**
   * Extends the leases of `ids`, runs this worker is executing; returns those whose cancellation
   * was requested. A run stored with this worker's id but not executed by it (its creation failed
   * half-way, say) is not renewed: its lease lapses and the reaper ends it.
   */
  renewLeases(workerId: string, ids: readonly string[], leaseExpiresAt: number, now: number): Promise<string[]>
  /**
   * Ends a run that is still in one of `from` and returns it, reserving `seqs` event numbers in
   * the same write (the run's lastSeq is the last of them); undefined when it already moved on.
   */
  end(id: string, from: RunStatus[], ending: RunEnding, seqs: number, uow?: UnitOfWork): Promise<Run | undefined>
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

type RunRow = Selectable<RunsTable>

// Literals, not parameters: SQLite uses a partial index only when the query names its value.
const QUEUED = sql.lit('queued') as unknown as RunStatus
const RUNNING = sql.lit('running') as unknown as RunStatus

export class KyselyRunsRepo implements RunsRepo {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly dialect: Dialect,
  ) {}

  async insert(run: Run, uow?: UnitOfWork): Promise<void> {
    const tx = queriesOf(uow, this.db)
    await tx.insertInto('runs').values(toRow(run)).execute()
  }

  async get(id: string, uow?: UnitOfWork): Promise<Run | undefined> {
    const tx = queriesOf(uow, this.db)
    const row = await tx.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst()
    return row ? toRun(row) : undefined
  }

  async statusOf(id: string): Promise<RunStatus | undefined> {
    const row = await this.db.selectFrom('runs').select('status').where('id', '=', id).executeTakeFirst()
    return row?.status as RunStatus | undefined
  }

  async findByIdempotencyKey(key: string): Promise<Run | undefined> {
    const row = await this.db.selectFrom('runs').selectAll().where('idempotency_key', '=', key).executeTakeFirst()
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
    if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${conversationId}))`.execute(tx)
    const row = await tx
      .selectFrom('runs')
      .select('id')
      .where('conversation_id', '=', conversationId)
      .where('status', 'in', ['queued', 'running'])
      .limit(1)
      .executeTakeFirst()
    return row !== undefined
  }

  async claim(id: string, workerId: string, leaseExpiresAt: number, now: number, uow?: UnitOfWork) {
    return this.claimWhere(uow, workerId, leaseExpiresAt, now, id)
  }

  async claimNext(workerId: string, leaseExpiresAt: number, now: number, uow?: UnitOfWork) {
    return this.claimWhere(uow, workerId, leaseExpiresAt, now)
  }

  private async claimWhere(
    uow: UnitOfWork | undefined,
    workerId: string,
    leaseExpiresAt: number,
    now: number,
    id?: string,
  ): Promise<Run | undefined> {
    const tx = queriesOf(uow, this.db)
    try {
      const row = await tx
        .updateTable('runs')
        .set((eb) => ({
          status: 'running',
          worker_id: workerId,
          lease_expires_at: leaseExpiresAt,
          started_at: now,
          updated_at: now,
          last_seq: eb('last_seq', '+', 1),
        }))
        .where('id', '=', (eb) => {
          if (id !== undefined) return eb.val(id)
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
          return this.dialect === 'postgres' ? candidate.forUpdate().skipLocked() : candidate
        })
        .where('status', '=', 'queued')
        .where(({ or, not, exists, selectFrom, eb }) => or([eb('conversation_id', 'is', null), not(exists(runningIn(selectFrom, 'runs')))]))
        .returningAll()
        .executeTakeFirst()
      return row ? toRun(row) : undefined
    } catch (err) {
      // Another worker started a run of the same conversation between our check and our write.
      if (isUniqueViolationOnRunning(err)) return undefined
      throw err
    }
  }

  async renewLeases(workerId: string, ids: readonly string[], leaseExpiresAt: number, now: number): Promise<string[]> {
    if (ids.length === 0) return []
    const rows = await this.db
      .updateTable('runs')
      .set({ lease_expires_at: leaseExpiresAt, updated_at: now })
      .where('id', 'in', ids)
      .where('status', '=', RUNNING)
      .where('worker_id', '=', workerId)
      .returning(['id', 'cancel_requested'])
      .execute()
    return rows.filter((row) => fromBool(row.cancel_requested)).map((row) => row.id)
  }

  async end(id: string, from: RunStatus[], ending: RunEnding, seqs: number, uow?: UnitOfWork): Promise<Run | undefined> {
    const tx = queriesOf(uow, this.db)
    const row = await tx
      .updateTable('runs')
      .set((eb) => ({
        last_seq: eb('last_seq', '+', seqs),
        status: ending.status,
        output: ending.output,
        error: ending.error,
        exit_code: ending.exitCode,
        severity: ending.severity,
        usage: ending.usage ? toJson(ending.usage) : null,
        ended_at: ending.endedAt,
        updated_at: ending.endedAt,
        lease_expires_at: null,
      }))
      .where('id', '=', id)
      .where('status', 'in', from)
      .returningAll()
      .executeTakeFirst()
    return row ? toRun(row) : undefined
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
    await this.db.updateTable('runs').set({ prompt }).where('id', '=', id).execute()
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
    const row = await queriesOf(uow, this.db)
      .updateTable('runs')
      .set((eb) => ({ last_seq: eb('last_seq', '+', count) }))
      .where('id', '=', id)
      .where('status', '=', RUNNING)
      .returning('last_seq')
      .executeTakeFirst()
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
}

/** A running run in the same conversation as `outer` (one running run per conversation). */
function runningIn(selectFrom: ExpressionBuilder<Tables, 'runs'>['selectFrom'], outer: 'q' | 'runs') {
  return selectFrom('runs as busy')
    .select('busy.id')
    .whereRef('busy.conversation_id', '=', `${outer}.conversation_id` as 'runs.conversation_id')
    .where('busy.status', '=', 'running')
}

function isUniqueViolationOnRunning(err: unknown): boolean {
  const e = err as { code?: string; message?: string; constraint?: string }
  return (
    (e.code === '23505' && e.constraint === 'runs_one_running_per_conversation') ||
    (e.code === 'SQLITE_CONSTRAINT_UNIQUE' && /runs\.conversation_id/.test(e.message ?? ''))
  )
}

function toRow(run: Run) {
  return {
    id: run.id,
    status: run.status,
    source: run.source,
    agent_id: run.agentId,
    persona_version: run.personaVersion,
    instance_id: run.instanceId,
    conversation_id: run.conversationId,
    screenplay_id: run.screenplayId,
    executor: run.executor,
    provider: run.provider,
    model: run.model,
    input: run.input,
    cwd: run.cwd,
    prompt: run.prompt,
    output: run.output,
    error: run.error,
    exit_code: run.exitCode,
    severity: run.severity,
    usage: run.usage ? toJson(run.usage) : null,
    options: toJson(run.options),
    idempotency_key: run.idempotencyKey,
    timeout_ms: run.timeoutMs,
    worker_id: run.workerId,
    lease_expires_at: run.leaseExpiresAt,
    cancel_requested: run.cancelRequested,
    is_deleted: run.isDeleted,
    deleted_message_id: null,
    last_seq: run.lastSeq,
    created_at: run.createdAt,
    started_at: run.startedAt,
    ended_at: run.endedAt,
    updated_at: run.updatedAt,
  }
}

function toRun(row: RunRow): Run {
  return {
    id: row.id,
    status: row.status as RunStatus,
    source: row.source as RunSource,
    agentId: row.agent_id,
    personaVersion: row.persona_version,
    instanceId: row.instance_id,
    conversationId: row.conversation_id,
    screenplayId: row.screenplay_id,
    executor: row.executor as ExecutorKind,
    provider: row.provider as Provider,
    model: row.model,
    input: row.input,
    cwd: row.cwd,
    prompt: row.prompt,
    output: row.output,
    error: row.error,
    exitCode: row.exit_code,
    severity: row.severity as Severity | null,
    usage: fromJson<Usage | null>(row.usage, null),
    options: fromJson<RunOptions>(row.options, {}),
    idempotencyKey: row.idempotency_key,
    timeoutMs: Number(row.timeout_ms),
    workerId: row.worker_id,
    leaseExpiresAt: row.lease_expires_at === null ? null : Number(row.lease_expires_at),
    cancelRequested: fromBool(row.cancel_requested),
    isDeleted: fromBool(row.is_deleted),
    lastSeq: Number(row.last_seq),
    createdAt: Number(row.created_at),
    startedAt: row.started_at === null ? null : Number(row.started_at),
    endedAt: row.ended_at === null ? null : Number(row.ended_at),
    updatedAt: Number(row.updated_at),
  }
}
