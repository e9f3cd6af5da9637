// A new instance row from what the client sent: the original's defaults (original-gateway.md §2.1.6).
import type { CreateInstanceInput, Instance, InstanceStatistics } from './instances.model.js'

const ZERO_STATISTICS: InstanceStatistics = {
  taskCount: 0,
  totalExecutions: 0,
  totalExecutionTime: 0,
  averageExecutionTime: 0,
  lastTaskDuration: 0,
  lastTaskCompletedAt: null,
  successCount: 0,
  errorCount: 0,
  lastExitCode: null,
  successRate: 0,
}

export function newInstance(input: CreateInstanceInput, cwd: string | null, now: number): Instance {
  const councilor = input.isCouncilorInstance ?? false
  return {
    instanceId: input.instanceId,
    agentId: input.agentId,
    screenplayId: input.screenplayId ?? null,
    conversationId: input.conversationId ?? null,
    position: input.position ?? { x: 0, y: 0 },
    status: input.status ?? (councilor ? 'idle' : 'pending'),
    cwd,
    config: input.config ?? {},
    emoji: input.emoji ?? null,
    definition: input.definition ?? null,
    displayOrder: input.displayOrder ?? 0,
    mcpConfigs: [...new Set(input.mcpConfigs ?? [])],
    executionState: null,
    isCouncilorInstance: councilor,
    // compat: original-gateway.md §2.1.6 keeps councilor settings only on councilor instances.
    councilorConfig: councilor ? (input.councilorConfig ?? null) : null,
    customization: councilor ? (input.customization ?? null) : null,
    isSystemDefault: input.isSystemDefault ?? false,
    isHidden: input.isHidden ?? false,
    statistics: { ...ZERO_STATISTICS },
    revision: 0,
    isDeleted: false,
    deletedReason: null,
    createdAt: now,
    updatedAt: now,
    lastExecution: null,
    deletedAt: null,
  }
}
