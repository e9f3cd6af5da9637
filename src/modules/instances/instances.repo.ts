// Agent instance storage: the only place with queries on `agent_instances`.
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely'
import { fromBool, fromJson, toJson } from '../../platform/db/json.js'
import type { AgentInstancesTable, Tables } from '../../platform/db/tables.js'

export interface Position {
  x: number
  y: number
}

export interface InstanceStatistics {
  taskCount: number
  totalExecutions: number
  totalExecutionTime: number
  averageExecutionTime: number
  lastTaskDuration: number
  lastTaskCompletedAt: number | null
  successCount: number
  errorCount: number
  lastExitCode: number | null
  successRate: number
}

export interface Instance {
  instanceId: string
  agentId: string
  screenplayId: string | null
  conversationId: string | null
  position: Position
  status: string
  cwd: string | null
  config: Record<string, unknown>
  emoji: string | null
  definition: Record<string, unknown> | null
  displayOrder: number
  mcpConfigs: string[]
  executionState: Record<string, unknown> | null
  isCouncilorInstance: boolean
  councilorConfig: Record<string, unknown> | null
  customization: Record<string, unknown> | null
  isSystemDefault: boolean
  isHidden: boolean
  statistics: InstanceStatistics
  revision: number
  isDeleted: boolean
  deletedReason: string | null
  createdAt: number
  updatedAt: number
  lastExecution: number | null
  deletedAt: number | null
}

export type InstanceChanges = Partial<
  Pick<
    Instance,
    | 'agentId' | 'screenplayId' | 'conversationId' | 'position' | 'status' | 'cwd' | 'config' | 'emoji' | 'definition'
    | 'displayOrder' | 'mcpConfigs' | 'executionState' | 'isSystemDefault' | 'isHidden' | 'customization' | 'councilorConfig'
    | 'isDeleted' | 'deletedReason' | 'deletedAt' | 'updatedAt' | 'lastExecution'
  >
>

export type InstanceSortKey = 'created_at' | 'updated_at' | 'display_order' | 'last_execution' | 'status' | 'agent_id'

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
  insert(instance: Instance, tx?: Kysely<Tables>): Promise<void>
  findById(instanceId: string, options?: { includeDeleted?: boolean }, tx?: Kysely<Tables>): Promise<Instance | undefined>
  list(filter: ListInstancesFilter): Promise<{ items: Instance[]; total: number }>
  /** Applies the changes (bumping the revision); with `expectedRevision`, only if the row still has it. */
  update(instanceId: string, changes: InstanceChanges, options?: { expectedRevision?: number }, tx?: Kysely<Tables>): Promise<Instance | undefined>
  /** Adds one execution to the statistics in a single statement (no lost updates). */
  recordExecution(instanceId: string, run: ExecutionRecord): Promise<Instance | undefined>
  /** Sets display_order of live instances; returns how many it updated. */
  reorder(entries: Array<{ instanceId: string; displayOrder: number }>, now: number, tx: Kysely<Tables>): Promise<number>
  hideWhere(where: { screenplayId: string } | { conversationId: string }, reason: string, now: number, tx: Kysely<Tables>): Promise<number>
  listLiveOfConversation(conversationId: string, tx: Kysely<Tables>): Promise<Instance[]>
  delete(instanceId: string, tx: Kysely<Tables>): Promise<void>
}

const SORT_COLUMNS: Record<InstanceSortKey, keyof AgentInstancesTable> = {
  created_at: 'created_at',
  updated_at: 'updated_at',
  display_order: 'display_order',
  last_execution: 'last_execution',
  status: 'status',
  agent_id: 'agent_id',
}

type Row = Record<keyof AgentInstancesTable, unknown>

export class KyselyInstancesRepo implements InstancesRepo {
  constructor(private readonly db: Kysely<Tables>) {}

  async insert(i: Instance, tx: Kysely<Tables> = this.db) {
    const s = i.statistics
    await tx
      .insertInto('agent_instances')
      .values({
        instance_id: i.instanceId,
        agent_id: i.agentId,
        screenplay_id: i.screenplayId,
        conversation_id: i.conversationId,
        position: toJson(i.position),
        status: i.status,
        cwd: i.cwd,
        config: toJson(i.config),
        emoji: i.emoji,
        definition: jsonOrNull(i.definition),
        display_order: i.displayOrder,
        mcp_configs: toJson(i.mcpConfigs),
        execution_state: jsonOrNull(i.executionState),
        is_councilor_instance: i.isCouncilorInstance,
        councilor_config: jsonOrNull(i.councilorConfig),
        customization: jsonOrNull(i.customization),
        is_system_default: i.isSystemDefault,
        is_hidden: i.isHidden,
        task_count: s.taskCount,
        total_executions: s.totalExecutions,
        total_execution_time: s.totalExecutionTime,
        average_execution_time: s.averageExecutionTime,
        last_task_duration: s.lastTaskDuration,
        last_task_completed_at: s.lastTaskCompletedAt,
        success_count: s.successCount,
        error_count: s.errorCount,
        last_exit_code: s.lastExitCode,
        success_rate: s.successRate,
        revision: i.revision,
        is_deleted: i.isDeleted,
        deleted_reason: i.deletedReason,
        created_at: i.createdAt,
        updated_at: i.updatedAt,
        last_execution: i.lastExecution,
        deleted_at: i.deletedAt,
      })
      .execute()
  }

  async findById(instanceId: string, options: { includeDeleted?: boolean } = {}, tx: Kysely<Tables> = this.db) {
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

  async update(instanceId: string, changes: InstanceChanges, options: { expectedRevision?: number } = {}, tx: Kysely<Tables> = this.db) {
    let query = tx
      .updateTable('agent_instances')
      .set((eb) => ({ ...toColumns(changes), revision: eb('revision', '+', 1) }))
      .where('instance_id', '=', instanceId)
    if (options.expectedRevision !== undefined) query = query.where('revision', '=', options.expectedRevision)
    const row = await query.returningAll().executeTakeFirst()
    return row ? toInstance(row) : undefined
  }

  async recordExecution(instanceId: string, run: ExecutionRecord) {
    const inc = run.incrementCount ? 1 : 0
    const ok = run.exitCode === 0 ? 1 : 0
    const count = sql<number>`(task_count + ${inc})`
    const row = await this.db
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

  async reorder(entries: Array<{ instanceId: string; displayOrder: number }>, now: number, tx: Kysely<Tables>) {
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

  async hideWhere(where: { screenplayId: string } | { conversationId: string }, reason: string, now: number, tx: Kysely<Tables>) {
    const result = await tx
      .updateTable('agent_instances')
      .set((eb) => ({ is_deleted: true, deleted_reason: reason, deleted_at: now, updated_at: now, revision: eb('revision', '+', 1) }))
      .where('screenplayId' in where ? 'screenplay_id' : 'conversation_id', '=', 'screenplayId' in where ? where.screenplayId : where.conversationId)
      .where('is_deleted', '=', false)
      .executeTakeFirst()
    return Number(result.numUpdatedRows)
  }

  async listLiveOfConversation(conversationId: string, tx: Kysely<Tables>) {
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

  async delete(instanceId: string, tx: Kysely<Tables>) {
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

const jsonOrNull = (value: Record<string, unknown> | null) => (value === null ? null : toJson(value))

function toColumns(c: InstanceChanges) {
  return {
    ...(c.agentId !== undefined && { agent_id: c.agentId }),
    ...(c.screenplayId !== undefined && { screenplay_id: c.screenplayId }),
    ...(c.conversationId !== undefined && { conversation_id: c.conversationId }),
    ...(c.position !== undefined && { position: toJson(c.position) }),
    ...(c.status !== undefined && { status: c.status }),
    ...(c.cwd !== undefined && { cwd: c.cwd }),
    ...(c.config !== undefined && { config: toJson(c.config) }),
    ...(c.emoji !== undefined && { emoji: c.emoji }),
    ...(c.definition !== undefined && { definition: jsonOrNull(c.definition) }),
    ...(c.displayOrder !== undefined && { display_order: c.displayOrder }),
    ...(c.mcpConfigs !== undefined && { mcp_configs: toJson(c.mcpConfigs) }),
    ...(c.executionState !== undefined && { execution_state: jsonOrNull(c.executionState) }),
    ...(c.isSystemDefault !== undefined && { is_system_default: c.isSystemDefault }),
    ...(c.isHidden !== undefined && { is_hidden: c.isHidden }),
    ...(c.customization !== undefined && { customization: jsonOrNull(c.customization) }),
    ...(c.councilorConfig !== undefined && { councilor_config: jsonOrNull(c.councilorConfig) }),
    ...(c.isDeleted !== undefined && { is_deleted: c.isDeleted }),
    ...(c.deletedReason !== undefined && { deleted_reason: c.deletedReason }),
    ...(c.deletedAt !== undefined && { deleted_at: c.deletedAt }),
    ...(c.updatedAt !== undefined && { updated_at: c.updatedAt }),
    ...(c.lastExecution !== undefined && { last_execution: c.lastExecution }),
  }
}

const numberOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value))

function toInstance(row: Row): Instance {
  return {
    instanceId: row.instance_id as string,
    agentId: row.agent_id as string,
    screenplayId: row.screenplay_id as string | null,
    conversationId: row.conversation_id as string | null,
    position: fromJson<Position>(row.position, { x: 0, y: 0 }),
    status: row.status as string,
    cwd: row.cwd as string | null,
    config: fromJson<Record<string, unknown>>(row.config, {}),
    emoji: row.emoji as string | null,
    definition: fromJson<Record<string, unknown> | null>(row.definition, null),
    displayOrder: Number(row.display_order),
    mcpConfigs: fromJson<string[]>(row.mcp_configs, []),
    executionState: fromJson<Record<string, unknown> | null>(row.execution_state, null),
    isCouncilorInstance: fromBool(row.is_councilor_instance),
    councilorConfig: fromJson<Record<string, unknown> | null>(row.councilor_config, null),
    customization: fromJson<Record<string, unknown> | null>(row.customization, null),
    isSystemDefault: fromBool(row.is_system_default),
    isHidden: fromBool(row.is_hidden),
    statistics: {
      taskCount: Number(row.task_count),
      totalExecutions: Number(row.total_executions),
      totalExecutionTime: Number(row.total_execution_time),
      averageExecutionTime: Number(row.average_execution_time),
      lastTaskDuration: Number(row.last_task_duration),
      lastTaskCompletedAt: numberOrNull(row.last_task_completed_at),
      successCount: Number(row.success_count),
      errorCount: Number(row.error_count),
      lastExitCode: numberOrNull(row.last_exit_code),
      successRate: Number(row.success_rate),
    },
    revision: Number(row.revision),
    isDeleted: fromBool(row.is_deleted),
    deletedReason: row.deleted_reason as string | null,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    lastExecution: numberOrNull(row.last_execution),
    deletedAt: numberOrNull(row.deleted_at),
  }
}
