// The agent instance domain as the rest of the app sees it (camelCase, epoch-millisecond times):
// the instance, the changes the repo applies and the inputs the service takes.

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
    | 'agentId'
    | 'screenplayId'
    | 'conversationId'
    | 'position'
    | 'status'
    | 'cwd'
    | 'config'
    | 'emoji'
    | 'definition'
    | 'displayOrder'
    | 'mcpConfigs'
    | 'executionState'
    | 'isSystemDefault'
    | 'isHidden'
    | 'customization'
    | 'councilorConfig'
    | 'isDeleted'
    | 'deletedReason'
    | 'deletedAt'
    | 'updatedAt'
    | 'lastExecution'
  >
>

export type InstanceSortKey = 'created_at' | 'updated_at' | 'display_order' | 'last_execution' | 'status' | 'agent_id'

/** An instance as the API shows it: with its agent's name (the id when the agent is unknown). */
export type NamedInstance = Instance & { agentName: string }

export interface CreateInstanceInput {
  instanceId: string
  agentId: string
  position?: Position
  screenplayId?: string | null
  conversationId?: string | null
  cwd?: string | null
  status?: string
  config?: Record<string, unknown>
  emoji?: string | null
  definition?: Record<string, unknown> | null
  displayOrder?: number
  mcpConfigs?: string[]
  isSystemDefault?: boolean
  isHidden?: boolean
  isCouncilorInstance?: boolean
  councilorConfig?: Record<string, unknown> | null
  customization?: Record<string, unknown> | null
}

export type InstancePatch = Omit<InstanceChanges, 'isDeleted' | 'deletedReason' | 'deletedAt' | 'updatedAt' | 'lastExecution' | 'agentId'>

export interface ListInstancesInput {
  agentId?: string
  status?: string
  screenplayId?: string
  conversationId?: string
  includeDeleted: boolean
  sort: `${'-' | ''}${InstanceSortKey}`
  offset: number
  limit: number
}
