// Agent instance storage: the only place with queries on `agent_instances`.
import { queriesOf, type UnitOfWork } from '../../platform/db/unit-of-work.js'
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely'
import type { AgentInstancesTable, Tables } from '../../platform/db/tables.js'
import { rowOf, toColumns, toInstance } from './instance-rows.js'
import type { Instance, InstanceChanges, InstanceSortKey } from './instances.model.js'

export interface ListInstancesFilter {
  agentId?: string
  status?: string
  screenplayId?: string
  conversationId?: string
  includeDeleted: boolean
  sortBy: InstanceSortKey
  descending: boolean
  offset: number
  limit: number
}

export interface ExecutionRecord {
  durationMs: number
  exitCode: number
  completedAt: number
  incrementCount: boolean
}

export interface InstancesRepo {
  insert(instance: Instance, uow?: UnitOfWork): Promise<void>
  /** Like `insert`, but does nothing when an instance with that id exists. */
  insertIfMissing(instance: Instance, uow?: UnitOfWork): Promise<void>
  findById(instanceId: string, options?: { includeDeleted?: boolean }, uow?: UnitOfWork): Promise<Instance | undefined>
  list(filter: ListInstancesFilter): Promise<{ items: Instance[]; total: number }>
  /** Applies the changes (bumping the revision); with `expectedRevision`, only if the row still has it. */
  update(instanceId: string, changes: InstanceChanges, options?: { expectedRevision?: number }, uow?: UnitOfWork): Promise<Instance | undefined>
  /** Adds one execution to the statistics in a single statement (no lost updates). */
  recordExecution(instanceId: string, run: ExecutionRecord, uow?: UnitOfWork): Promise<Instance | undefined>
  /** Sets display_order of live instances; returns how many it updated. */
  reorder(entries: Array<{ instanceId: string; displayOrder: number }>, now: number, uow: UnitOfWork): Promise<number>
  hideWhere(where: { screenplayId: string } | { conversationId: string }, reason: string, now: number, uow: UnitOfWork): Promise<number>
  listLiveOfConversation(conversationId: string, uow: UnitOfWork): Promise<Instance[]>
  /** Distinct conversation ids of the live instances placed in a screenplay. */
  conversationIdsOfScreenplay(screenplayId: string, uow: UnitOfWork): Promise<string[]>
  delete(instanceId: string, uow: UnitOfWork): Promise<void>
}

const SORT_COLUMNS: Record<InstanceSortKey, keyof AgentInstancesTable> = {
  created_at: 'created_at',
  updated_at: 'updated_at',
  display_order: 'display_order',
  last_execution: 'last_execution',
  status: 'status',
  agent_id: 'agent_id',
}

export class KyselyInstancesRepo implements InstancesRepo {
  constructor(private readonly db: Kysely<Tables>) {}

  async insert(i: Instance, uow?: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    await tx.insertInto('agent_instances').values(rowOf(i)).execute()
  }

  async insertIfMissing(i: Instance, uow?: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    await tx
      .insertInto('agent_instances')
      .values(rowOf(i))
      .onConflict((oc) => oc.column('instance_id').doNothing())
      .execute()
  }

  async findById(instanceId: string, options: { includeDeleted?: boolean } = {}, uow?: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    let query = tx.selectFrom('agent_instances').selectAll().where('instance_id', '=', instanceId)
    if (!options.includeDeleted) query = query.where('is_deleted', '=', false)
    const row = await query.executeTakeFirst()
    return row ? toInstance(row) : undefined
  }

  async list(filter: ListInstancesFilter) {
    const filtered = this.applyFilter(this.db.selectFrom('agent_instances'), filter)
    const direction = filter.descending ? 'desc' : 'asc'
    const [rows, count] = await Promise.all([
      filtered
        .selectAll()
        .orderBy(SORT_COLUMNS[filter.sortBy], direction)
        .orderBy('created_at', direction)
        .orderBy('instance_id', direction)
        .offset(filter.offset)
        .limit(filter.limit)
        .execute(),
      filtered.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    ])
    return { items: rows.map(toInstance), total: Number(count.total) }
  }

  async update(instanceId: string, changes: InstanceChanges, options: { expectedRevision?: number } = {}, uow?: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    let query = tx
      .updateTable('agent_instances')
      .set((eb) => ({ ...toColumns(changes), revision: eb('revision', '+', 1) }))
      .where('instance_id', '=', instanceId)
    if (options.expectedRevision !== undefined) query = query.where('revision', '=', options.expectedRevision)
    const row = await query.returningAll().executeTakeFirst()
    return row ? toInstance(row) : undefined
  }

  async recordExecution(instanceId: string, run: ExecutionRecord, uow?: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const inc = run.incrementCount ? 1 : 0
    const ok = run.exitCode === 0 ? 1 : 0
    const count = sql<number>`(task_count + ${inc})`
    const row = await tx
      .updateTable('agent_instances')
      .set({
        task_count: sql`task_count + ${inc}`,
        total_executions: sql`total_executions + ${inc}`,
        total_execution_time: sql`total_execution_time + ${run.durationMs}`,
        average_execution_time: sql`case when ${count} > 0 then (total_execution_time + ${run.durationMs}) / ${count} else 0 end`,
        last_task_duration: run.durationMs,
        last_task_completed_at: run.completedAt,
        success_count: sql`success_count + ${ok}`,
        error_count: sql`error_count + ${1 - ok}`,
        last_exit_code: run.exitCode,
        success_rate: sql`case when ${count} > 0 then (success_count + ${ok}) * 100.0 / ${count} else 0 end`,
        last_execution: run.completedAt,
        updated_at: run.completedAt,
      })
      .where('instance_id', '=', instanceId)
      .returningAll()
      .executeTakeFirst()
    return row ? toInstance(row) : undefined
  }

  async reorder(entries: Array<{ instanceId: string; displayOrder: number }>, now: number, uow: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    let updated = 0
    for (const entry of entries) {
      const result = await tx
        .updateTable('agent_instances')
        .set((eb) => ({ display_order: entry.displayOrder, updated_at: now, revision: eb('revision', '+', 1) }))
        .where('instance_id', '=', entry.instanceId)
        .where('is_deleted', '=', false)
        .executeTakeFirst()
      updated += Number(result.numUpdatedRows)
    }
    return updated
  }

  async hideWhere(where: { screenplayId: string } | { conversationId: string }, reason: string, now: number, uow: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const result = await tx
      .updateTable('agent_instances')
      .set((eb) => ({ is_deleted: true, deleted_reason: reason, deleted_at: now, updated_at: now, revision: eb('revision', '+', 1) }))
      .where('screenplayId' in where ? 'screenplay_id' : 'conversation_id', '=', 'screenplayId' in where ? where.screenplayId : where.conversationId)
      .where('is_deleted', '=', false)
      .executeTakeFirst()
    return Number(result.numUpdatedRows)
  }

  async listLiveOfConversation(conversationId: string, uow: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const rows = await tx
      .selectFrom('agent_instances')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('is_deleted', '=', false)
      .orderBy('display_order')
      .orderBy('created_at')
      .execute()
    return rows.map(toInstance)
  }

  async conversationIdsOfScreenplay(screenplayId: string, uow: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const rows = await tx
      .selectFrom('agent_instances')
      .select('conversation_id')
      .distinct()
      .where('screenplay_id', '=', screenplayId)
      .where('is_deleted', '=', false)
      .where('conversation_id', 'is not', null)
      .execute()
    return rows.map((row) => row.conversation_id!)
  }

  async delete(instanceId: string, uow: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    await tx.deleteFrom('agent_instances').where('instance_id', '=', instanceId).execute()
  }

  private applyFilter<O>(query: SelectQueryBuilder<Tables, 'agent_instances', O>, filter: ListInstancesFilter) {
    let q = query
    if (!filter.includeDeleted) q = q.where('is_deleted', '=', false)
    if (filter.agentId !== undefined) q = q.where('agent_id', '=', filter.agentId)
    if (filter.status !== undefined) q = q.where('status', '=', filter.status)
    if (filter.screenplayId !== undefined) q = q.where('screenplay_id', '=', filter.screenplayId)
    if (filter.conversationId !== undefined) q = q.where('conversation_id', '=', filter.conversationId)
    return q
  }
}
