// Councilor storage: the only place with queries on `councilors` and `councilor_fires`.
import { sql, type Insertable, type Kysely, type Selectable, type Updateable } from 'kysely'
import { fromBool, fromJson, numberOrNull, toJson } from '../../platform/db/json.js'
import type { CouncilorsTable, Tables } from '../../platform/db/tables.js'
import { queriesOf, type UnitOfWork } from '../../platform/db/unit-of-work.js'
import type { Councilor, CouncilorConfigDoc, MissedPolicy, OverlapPolicy } from './councilor.model.js'
import type { ScheduleType } from './schedule.js'

/** What a schedule or its bookkeeping may change (statistics change only through `recordEnd`). */
export type CouncilorChanges = Partial<
  Pick<
    Councilor,
    | 'screenplayId'
    | 'conversationId'
    | 'cwd'
    | 'config'
    | 'customization'
    | 'schedule'
    | 'anchorAt'
    | 'enabled'
    | 'pausedReason'
    | 'policy'
    | 'nextTickAt'
    | 'nextFireAt'
    | 'lastFireAt'
    | 'bufferedAt'
    | 'lastRunId'
  >
> & {
  /** Added to the counters (and to active_runs), in the same statement. */
  /** Zero the consecutive-failure count (a resume starts over). */
  resetFailures?: boolean
  add?: Partial<Record<'activeRuns' | 'skippedOverlap' | 'skippedMissed' | 'refusedSpend' | 'bufferedCount' | 'cancelledOverlap', number>>
}

/** A run's end, as the statistics count it. */
export interface RunEnd {
  outcome: 'success' | 'error' | 'cancelled'
  durationMs: number
  endedAt: number
  severity: string | null
  /** False for a tick whose run could not be created (it was never active). */
  started: boolean
}

export interface CouncilorsRepo {
  insert(councilor: Councilor, uow?: UnitOfWork): Promise<void>
  find(id: string, uow?: UnitOfWork): Promise<Councilor | undefined>
  findByAgent(agentId: string, uow?: UnitOfWork): Promise<Councilor | undefined>
  findByInstance(instanceId: string): Promise<Councilor | undefined>
  list(): Promise<Councilor[]>
  /** Councilors with a tick due by `now` or a buffered tick that may start, soonest first. */
  due(now: number, limit: number): Promise<Councilor[]>
  /** Applies the changes and bumps the version; with `expectedVersion`, only if the row still has it. */
  update(id: string, changes: CouncilorChanges, now: number, uow?: UnitOfWork, expectedVersion?: number): Promise<boolean>
  softDelete(id: string, now: number, uow?: UnitOfWork): Promise<boolean>
  recordFires(councilorId: string, fires: Array<{ runId: string; firedAt: number }>, uow: UnitOfWork): Promise<void>
  /** Runs started in (since, now]: of one councilor, or of all of them. */
  firesSince(since: number, councilorId: string | null, uow?: UnitOfWork): Promise<number>
  /** Runs started in (since, now] by each of `councilorIds` (absent: none). */
  firesSinceEach(since: number, councilorIds: readonly string[]): Promise<Map<string, number>>
  /**
   * Serializes the global spend guard's count-then-fire across gateway processes until `uow` ends
   * (PostgreSQL; SQLite's single writer already does).
   */
  lockSpendGuard(uow: UnitOfWork): Promise<void>
  pruneFires(before: number): Promise<void>
  /** Counts a run's end in one statement (no lost updates); answers the councilor as it is after. */
  recordEnd(id: string, runId: string | null, end: RunEnd, uow: UnitOfWork): Promise<Councilor | undefined>
}

type Row = Selectable<CouncilorsTable>

export class KyselyCouncilorsRepo implements CouncilorsRepo {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {}

  async insert(c: Councilor, uow?: UnitOfWork) {
    await queriesOf(uow, this.db)
      .insertInto('councilors')
      .values({
        ...(columnsOf(c) as Insertable<CouncilorsTable>),
        id: c.id,
        agent_id: c.agentId,
        instance_id: c.instanceId,
        is_deleted: false,
        created_at: c.createdAt,
        updated_at: c.updatedAt,
        deleted_at: null,
      })
      .execute()
  }

  async find(id: string, uow?: UnitOfWork) {
    const row = await queriesOf(uow, this.db)
      .selectFrom('councilors')
      .selectAll()
      .where('id', '=', id)
      .where('is_deleted', '=', false)
      .executeTakeFirst()
    return row && toCouncilor(row)
  }

  async findByAgent(agentId: string, uow?: UnitOfWork) {
    const row = await queriesOf(uow, this.db)
      .selectFrom('councilors')
      .selectAll()
      .where('agent_id', '=', agentId)
      .where('is_deleted', '=', false)
      .executeTakeFirst()
    return row && toCouncilor(row)
  }

  async findByInstance(instanceId: string) {
    const row = await this.db
      .selectFrom('councilors')
      .selectAll()
      .where('instance_id', '=', instanceId)
      .where('is_deleted', '=', false)
      .executeTakeFirst()
    return row && toCouncilor(row)
  }

  async list() {
    const rows = await this.db.selectFrom('councilors').selectAll().where('is_deleted', '=', false).orderBy('created_at').orderBy('id').execute()
    return rows.map(toCouncilor)
  }

  async due(now: number, limit: number) {
    const [ticks, buffered] = await Promise.all([
      this.db
        .selectFrom('councilors')
        .selectAll()
        .where('next_fire_at', 'is not', null)
        .where('next_fire_at', '<=', now)
        .where('is_deleted', '=', false)
        .orderBy('next_fire_at')
        .limit(limit)
        .execute(),
      this.db
        .selectFrom('councilors')
        .selectAll()
        .where('buffered_at', 'is not', null)
        .where('active_runs', '=', 0)
        .where('is_deleted', '=', false)
        .limit(limit)
        .execute(),
    ])
    const byId = new Map([...ticks, ...buffered].map((row) => [row.id, row]))
    return [...byId.values()].map(toCouncilor)
  }

  async update(id: string, changes: CouncilorChanges, now: number, uow?: UnitOfWork, expectedVersion?: number) {
    const { add = {}, resetFailures, ...rest } = changes
    const values: Updateable<CouncilorsTable> = { ...columnsOf(rest), updated_at: now }
    if (resetFailures) values.consecutive_failures = 0
    Object.assign(values, { version: sql<number>`version + 1` })
    for (const [key, amount] of Object.entries(add)) {
      if (!amount) continue
      const column = COUNTER_COLUMNS[key as keyof typeof COUNTER_COLUMNS]
      Object.assign(values, { [column]: sql<number>`${sql.ref(column)} + ${amount}` })
    }
    let query = queriesOf(uow, this.db).updateTable('councilors').set(values).where('id', '=', id).where('is_deleted', '=', false)
    if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion)
    const result = await query.executeTakeFirst()
    return Number(result.numUpdatedRows) === 1
  }

  async softDelete(id: string, now: number, uow?: UnitOfWork) {
    const result = await queriesOf(uow, this.db)
      .updateTable('councilors')
      .set({
        is_deleted: true,
        deleted_at: now,
        updated_at: now,
        enabled: false,
        next_tick_at: null,
        next_fire_at: null,
        buffered_at: null,
        version: sql<number>`version + 1`,
      })
      .where('id', '=', id)
      .where('is_deleted', '=', false)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) === 1
  }

  async recordFires(councilorId: string, fires: Array<{ runId: string; firedAt: number }>, uow: UnitOfWork) {
    if (fires.length === 0) return
    await queriesOf(uow, this.db)
      .insertInto('councilor_fires')
      .values(fires.map((f) => ({ councilor_id: councilorId, run_id: f.runId, fired_at: f.firedAt })))
      .execute()
  }

  async firesSince(since: number, councilorId: string | null, uow?: UnitOfWork) {
    let query = queriesOf(uow, this.db)
      .selectFrom('councilor_fires')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('fired_at', '>', since)
    if (councilorId !== null) query = query.where('councilor_id', '=', councilorId)
    const row = await query.executeTakeFirstOrThrow()
    return Number(row.n)
  }

  async firesSinceEach(since: number, councilorIds: readonly string[]) {
    if (councilorIds.length === 0) return new Map<string, number>()
    const rows = await this.db
      .selectFrom('councilor_fires')
      .select((eb) => ['councilor_id', eb.fn.countAll<number>().as('n')])
      .where('fired_at', '>', since)
      .where('councilor_id', 'in', councilorIds)
      .groupBy('councilor_id')
      .execute()
    return new Map(rows.map((row) => [row.councilor_id, Number(row.n)]))
  }

  async lockSpendGuard(uow: UnitOfWork) {
    if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext('councilor-spend-guard'))`.execute(queriesOf(uow, this.db))
  }

  async pruneFires(before: number) {
    await this.db.deleteFrom('councilor_fires').where('fired_at', '<=', before).execute()
  }

  async recordEnd(id: string, runId: string | null, end: RunEnd, uow: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const counted = end.outcome !== 'cancelled'
    await tx
      .updateTable('councilors')
      .set({
        active_runs: end.started ? sql<number>`case when active_runs > 0 then active_runs - 1 else 0 end` : sql<number>`active_runs`,
        total_runs: sql<number>`total_runs + ${counted ? 1 : 0}`,
        success_count: sql<number>`success_count + ${end.outcome === 'success' ? 1 : 0}`,
        error_count: sql<number>`error_count + ${end.outcome === 'error' ? 1 : 0}`,
        cancelled_count: sql<number>`cancelled_count + ${end.outcome === 'cancelled' ? 1 : 0}`,
        total_duration_ms: sql<number>`total_duration_ms + ${counted ? end.durationMs : 0}`,
        ...(counted && { last_duration_ms: end.durationMs, last_run_at: end.endedAt, last_severity: end.severity }),
        consecutive_failures:
          end.outcome === 'error' ? sql<number>`consecutive_failures + 1` : end.outcome === 'success' ? 0 : sql<number>`consecutive_failures`,
        ...(runId !== null && { last_run_id: runId }),
      })
      .where('id', '=', id)
      .execute()
    const row = await tx.selectFrom('councilors').selectAll().where('id', '=', id).executeTakeFirst()
    return row && toCouncilor(row)
  }
}

const COUNTER_COLUMNS = {
  activeRuns: 'active_runs',
  skippedOverlap: 'skipped_overlap',
  skippedMissed: 'skipped_missed',
  refusedSpend: 'refused_spend',
  bufferedCount: 'buffered_count',
  cancelledOverlap: 'cancelled_overlap',
} as const

function columnsOf(c: Omit<CouncilorChanges, 'add' | 'resetFailures'>): Updateable<CouncilorsTable> {
  const v: Updateable<CouncilorsTable> = {}
  if (c.screenplayId !== undefined) v.screenplay_id = c.screenplayId
  if (c.conversationId !== undefined) v.conversation_id = c.conversationId
  if (c.cwd !== undefined) v.cwd = c.cwd
  if (c.config !== undefined) v.config = toJson(c.config)
  if (c.customization !== undefined) v.customization = c.customization === null ? null : toJson(c.customization)
  if (c.schedule !== undefined) {
    v.schedule_type = c.schedule.type
    v.schedule_value = c.schedule.value
    v.timezone = c.schedule.timezone
    v.starts_at = c.schedule.startsAt
    v.ends_at = c.schedule.endsAt
  }
  if (c.anchorAt !== undefined) v.anchor_at = c.anchorAt
  if (c.enabled !== undefined) v.enabled = c.enabled
  if (c.pausedReason !== undefined) v.paused_reason = c.pausedReason
  if (c.policy !== undefined) {
    v.overlap = c.policy.overlap
    v.missed = c.policy.missed
    v.missed_cap = c.policy.missedCap
    v.max_runs_per_day = c.policy.maxRunsPerDay
    v.jitter_ms = c.policy.jitterMs
    v.failure_limit = c.policy.failureLimit
  }
  if (c.nextTickAt !== undefined) v.next_tick_at = c.nextTickAt
  if (c.nextFireAt !== undefined) v.next_fire_at = c.nextFireAt
  if (c.lastFireAt !== undefined) v.last_fire_at = c.lastFireAt
  if (c.bufferedAt !== undefined) v.buffered_at = c.bufferedAt
  if (c.lastRunId !== undefined) v.last_run_id = c.lastRunId
  return v
}

function toCouncilor(r: Row): Councilor {
  return {
    id: r.id,
    agentId: r.agent_id,
    instanceId: r.instance_id,
    screenplayId: r.screenplay_id,
    conversationId: r.conversation_id,
    cwd: r.cwd,
    config: fromJson<CouncilorConfigDoc>(r.config, {
      title: '',
      task: { name: '', prompt: '', output_format: 'checklist' },
      notifications: { on_success: false, on_warning: true, on_error: true, channels: ['panel'] },
    }),
    customization: fromJson<Record<string, unknown> | null>(r.customization, null),
    schedule: {
      type: r.schedule_type as ScheduleType,
      value: r.schedule_value,
      timezone: r.timezone,
      startsAt: numberOrNull(r.starts_at),
      endsAt: numberOrNull(r.ends_at),
    },
    anchorAt: Number(r.anchor_at),
    enabled: fromBool(r.enabled),
    pausedReason: r.paused_reason,
    policy: {
      overlap: r.overlap as OverlapPolicy,
      missed: r.missed as MissedPolicy,
      missedCap: r.missed_cap,
      maxRunsPerDay: r.max_runs_per_day,
      jitterMs: Number(r.jitter_ms),
      failureLimit: r.failure_limit,
    },
    nextTickAt: numberOrNull(r.next_tick_at),
    nextFireAt: numberOrNull(r.next_fire_at),
    lastFireAt: numberOrNull(r.last_fire_at),
    bufferedAt: numberOrNull(r.buffered_at),
    activeRuns: Number(r.active_runs),
    lastRunId: r.last_run_id,
    stats: {
      totalRuns: Number(r.total_runs),
      successCount: Number(r.success_count),
      errorCount: Number(r.error_count),
      cancelledCount: Number(r.cancelled_count),
      totalDurationMs: Number(r.total_duration_ms),
      lastDurationMs: numberOrNull(r.last_duration_ms),
      lastRunAt: numberOrNull(r.last_run_at),
      lastSeverity: r.last_severity,
      consecutiveFailures: Number(r.consecutive_failures),
    },
    counters: {
      skippedOverlap: Number(r.skipped_overlap),
      skippedMissed: Number(r.skipped_missed),
      refusedSpend: Number(r.refused_spend),
      bufferedCount: Number(r.buffered_count),
      cancelledOverlap: Number(r.cancelled_overlap),
    },
    version: Number(r.version),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  }
}
