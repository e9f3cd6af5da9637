// Agent instance ↔ `agent_instances` row mapping (camelCase inside, snake_case columns).
import { fromBool, fromJson, toJson } from '../../platform/db/json.js'
import type { AgentInstancesTable } from '../../platform/db/tables.js'
import type { Instance, InstanceChanges, Position } from './instances.model.js'

type Row = Record<keyof AgentInstancesTable, unknown>

export function rowOf(i: Instance) {
  const s = i.statistics
  return {
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
  }
}

const jsonOrNull = (value: Record<string, unknown> | null) => (value === null ? null : toJson(value))

export function toColumns(c: InstanceChanges) {
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

export function toInstance(row: Row): Instance {
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
