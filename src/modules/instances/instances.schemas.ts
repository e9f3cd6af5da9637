// Wire shapes of /api/agents/instances and /api/agents/context (original-gateway.md §2.1.5–2.1.6,
// web-client-contract.md #17–#26). Bodies keep the original's messages for their 400s.
import { z } from 'zod'
import { toIso } from '../../platform/clock.js'
import { int32 } from '../../platform/http/int32.js'
import { PathId, QueryBool, queryInt } from '../../platform/http/query.js'
import type { Agent } from '../agents/agents.repo.js'
import type { InstanceHistoryEntry } from './instance-history.js'
import type { InstancePatch, InstanceSortKey, InstanceStatistics, NamedInstance, Position } from './instances.model.js'

export const INSTANCE_STATUSES = ['pending', 'queued', 'running', 'completed', 'error', 'idle', 'paused'] as const
const SORT_KEYS: InstanceSortKey[] = ['created_at', 'updated_at', 'display_order', 'last_execution', 'status', 'agent_id']
export const INSTANCE_SORTS = SORT_KEYS.flatMap((key) => [key, `-${key}`]) as Array<`${'-' | ''}${InstanceSortKey}`>
export const REQUIRED_CREATE_FIELDS = ['instance_id', 'agent_id', 'position']
/** One task longer than a year is a unit mistake, and sums of such values would overflow. */
const MAX_TASK_DURATION_MS = 365 * 86_400_000

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)
const isPosition = (value: unknown): value is Position => isObject(value) && Number.isFinite(value.x) && Number.isFinite(value.y)

const PositionField = z
  .custom<Position>(isPosition, { message: 'Invalid position format. Expected: {x: number, y: number}' })
  .describe('{x: number, y: number}')
const Status = z
  .string()
  .refine((s) => (INSTANCE_STATUSES as readonly string[]).includes(s), { message: `Invalid status. Allowed values: ${INSTANCE_STATUSES.join(', ')}` })
const objectField = (message: string) => z.custom<Record<string, unknown>>(isObject, { message }).describe('A JSON object')
const OptionalId = z
  .string()
  .trim()
  .max(200)
  .nullable()
  .optional()
  .transform((id) => (id === '' ? null : id))
const McpNames = z.array(z.string().trim().min(1).max(100)).max(100)

const sharedFields = {
  screenplay_id: OptionalId,
  conversation_id: OptionalId,
  cwd: z.string().max(1000).nullable().optional().describe('Absolute working directory; inherits the screenplay one when omitted'),
  status: Status.optional(),
  config: objectField('Config must be an object').optional(),
  emoji: z.string().max(32).nullable().optional(),
  definition: objectField('definition must be an object').nullable().optional(),
  display_order: int32().optional(),
  mcp_configs: McpNames.optional(),
  is_hidden: z.boolean().optional(),
  is_system_default: z.boolean().optional(),
  customization: objectField('customization must be an object').nullable().optional(),
  councilor_config: objectField('councilor_config must be an object').nullable().optional(),
}

export const CreateInstanceBody = z
  .object({
    instance_id: z.string().trim().max(200).optional(),
    agent_id: z.string().trim().max(200).optional(),
    position: z.unknown().optional(),
    ...sharedFields,
    is_councilor_instance: z.boolean().optional(),
  })
  .superRefine((body, ctx) => {
    const missing = REQUIRED_CREATE_FIELDS.filter((field) => !body[field as keyof typeof body])
    if (missing.length > 0) {
      ctx.addIssue({ code: 'custom', message: `Missing required fields: ${missing.join(', ')}` })
    } else if (!isPosition(body.position)) {
      ctx.addIssue({ code: 'custom', message: 'Invalid position format. Expected: {x: number, y: number}', path: ['position'] })
    }
  })
  .describe('instance_id, agent_id and position are required; screenplay_id and conversation_id may come later')

export const PatchInstanceBody = z.object({
  position: PositionField.optional(),
  ...sharedFields,
  execution_state: objectField('execution_state must be an object').optional(),
})

export const CwdBody = z.object({ cwd: z.string({ message: 'Invalid cwd path' }).min(1, { message: 'Invalid cwd path' }).max(1000) })

export const StatisticsBody = z.object({
  task_duration: z
    .number({ message: 'task_duration is required and must be a number' })
    .refine((d) => d >= 0, { message: 'task_duration must be positive' })
    .refine((d) => d <= MAX_TASK_DURATION_MS, { message: `task_duration cannot exceed ${MAX_TASK_DURATION_MS} ms (a year)` })
    .describe('Milliseconds'),
  exit_code: int32().default(0),
  increment_count: z.boolean({ message: 'increment_count must be true or false' }).default(true),
})

export const ReorderBody = z.object(
  {
    order_updates: z
      .array(
        z.looseObject({
          instance_id: z.string().nullable().optional(),
          display_order: int32().nullable().optional(),
        }),
        { message: 'order_updates is required and must be a list' },
      )
      .min(1, { message: 'order_updates is required and must be a list' }),
  },
  { message: 'order_updates is required and must be a list' },
)

export const McpConfigsBody = z.object({
  // compat: original-gateway.md §2.1.6 treats a missing list as [] (it clears the instance's MCPs).
  mcp_configs: z
    .array(z.string({ message: 'Each MCP config must be a string' }), { message: 'mcp_configs must be a list' })
    .max(100)
    .default([]),
})

export const InstanceParams = z.object({ instance_id: PathId })

export const ListInstancesQuery = z.object({
  agent_id: z.string().optional(),
  status: z.string().optional(),
  screenplay_id: z.string().optional(),
  conversation_id: z.string().optional(),
  limit: queryInt({ min: 1, max: 500, default: 100 }),
  offset: queryInt({ min: 0, default: 0 }),
  sort: z.enum(INSTANCE_SORTS).default('-created_at').describe('A leading - sorts descending'),
  include_deleted: QueryBool.default(false),
})

export const DeleteInstanceQuery = z.object({ hard: QueryBool.default(false), cascade: QueryBool.default(false) })

const StatisticsDto = z.object({
  task_count: z.number().int(),
  total_executions: z.number().int(),
  total_execution_time: z.number(),
  average_execution_time: z.number(),
  last_task_duration: z.number(),
  last_task_completed_at: z.string().nullable(),
  success_count: z.number().int(),
  error_count: z.number().int(),
  last_exit_code: z.number().int().nullable(),
  success_rate: z.number(),
  last_execution: z.string().nullable(),
})

const Json = z.record(z.string(), z.unknown())

export const InstanceDto = z.object({
  instance_id: z.string(),
  agent_id: z.string(),
  name: z.string().describe("The agent's name (its id when the agent is not in the catalog); the client shows definition.title first"),
  screenplay_id: z.string().nullable(),
  conversation_id: z.string().nullable(),
  position: z.object({ x: z.number(), y: z.number() }),
  status: z.string(),
  cwd: z.string().nullable(),
  config: Json,
  emoji: z.string().nullable(),
  definition: Json.nullable(),
  display_order: z.number().int(),
  mcp_configs: z.array(z.string()),
  execution_state: Json.nullable(),
  statistics: StatisticsDto,
  is_councilor: z.boolean(),
  is_councilor_instance: z.boolean(),
  councilor_config: Json.nullable(),
  customization: Json.nullable(),
  is_system_default: z.boolean(),
  is_hidden: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
  last_execution: z.string().nullable(),
  isDeleted: z.boolean(),
  deleted_at: z.string().nullable(),
  deletedReason: z.string().nullable(),
})

const Success = z.literal(true)
export const CreatedInstanceDto = z.object({ success: Success, message: z.string(), instance: InstanceDto })
export const InstanceListDto = z.object({ success: Success, count: z.number().int(), total: z.number().int(), instances: z.array(InstanceDto) })
export const OneInstanceDto = z.object({ success: Success, instance: InstanceDto })
export const PatchedInstanceDto = z.object({
  success: Success,
  message: z.string(),
  instance_id: z.string(),
  updated_fields: z.array(z.string()),
  updated_at: z.string(),
})
export const CwdDto = z.object({ success: Success, message: z.string(), instance_id: z.string(), cwd: z.string() })
export const StatisticsUpdatedDto = z.object({ success: Success, message: z.string(), instance_id: z.string(), statistics: StatisticsDto })
export const ReorderedDto = z.object({ success: Success, message: z.string(), updated_count: z.number().int() })
export const McpConfigsDto = z.object({
  instance_id: z.string(),
  agent_id: z.string(),
  template_mcps: z.array(z.string()),
  instance_mcps: z.array(z.string()),
  combined: z.array(z.string()),
})
export const McpConfigsUpdatedDto = z.object({ success: Success, instance_id: z.string(), mcp_configs: z.array(z.string()), message: z.string() })
export const DeletedInstanceDto = z.object({
  success: Success,
  message: z.string(),
  instance_id: z.string(),
  deletion_type: z.enum(['soft', 'hard']),
  isDeleted: z.boolean().optional(),
  history_messages_affected: z.number().int().optional(),
  cascade_deleted: z.object({ history_records: z.number().int() }).nullable().optional(),
})
export const ContextDto = z.object({
  persona: z.string(),
  operating_procedure: z.string(),
  history: z.array(
    z.object({
      _id: z.string(),
      user_input: z.string(),
      ai_response: z.string(),
      timestamp: z.number().describe('Epoch seconds'),
      createdAt: z.string(),
      isDeleted: z.boolean(),
    }),
  ),
  cwd: z.string().nullable(),
})

const WIRE_PATCH_FIELDS: Record<keyof InstancePatch, string> = {
  position: 'position',
  status: 'status',
  config: 'config',
  executionState: 'execution_state',
  cwd: 'cwd',
  emoji: 'emoji',
  definition: 'definition',
  displayOrder: 'display_order',
  screenplayId: 'screenplay_id',
  conversationId: 'conversation_id',
  mcpConfigs: 'mcp_configs',
  isHidden: 'is_hidden',
  isSystemDefault: 'is_system_default',
  customization: 'customization',
  councilorConfig: 'councilor_config',
}

export function toWirePatchFields(fields: Array<keyof InstancePatch>): string[] {
  return fields.map((field) => WIRE_PATCH_FIELDS[field])
}

export function toPatch(body: z.output<typeof PatchInstanceBody>): InstancePatch {
  return {
    position: body.position,
    status: body.status,
    config: body.config,
    executionState: body.execution_state,
    cwd: body.cwd,
    emoji: body.emoji,
    definition: body.definition,
    displayOrder: body.display_order,
    screenplayId: body.screenplay_id,
    conversationId: body.conversation_id,
    mcpConfigs: body.mcp_configs,
    isHidden: body.is_hidden,
    isSystemDefault: body.is_system_default,
    customization: body.customization,
    councilorConfig: body.councilor_config,
  }
}

export function toStatisticsDto(s: InstanceStatistics, lastExecution: number | null): z.output<typeof StatisticsDto> {
  return {
    task_count: s.taskCount,
    total_executions: s.totalExecutions,
    total_execution_time: s.totalExecutionTime,
    average_execution_time: s.averageExecutionTime,
    last_task_duration: s.lastTaskDuration,
    last_task_completed_at: toIso(s.lastTaskCompletedAt),
    success_count: s.successCount,
    error_count: s.errorCount,
    last_exit_code: s.lastExitCode,
    success_rate: s.successRate,
    last_execution: toIso(lastExecution),
  }
}

export function toInstanceDto(i: NamedInstance): z.output<typeof InstanceDto> {
  return {
    instance_id: i.instanceId,
    agent_id: i.agentId,
    name: i.agentName,
    screenplay_id: i.screenplayId,
    conversation_id: i.conversationId,
    position: i.position,
    status: i.status,
    cwd: i.cwd,
    config: i.config,
    emoji: i.emoji,
    definition: i.definition,
    display_order: i.displayOrder,
    mcp_configs: i.mcpConfigs,
    execution_state: i.executionState,
    statistics: toStatisticsDto(i.statistics, i.lastExecution),
    is_councilor: i.isCouncilorInstance,
    is_councilor_instance: i.isCouncilorInstance,
    councilor_config: i.councilorConfig,
    customization: i.customization,
    is_system_default: i.isSystemDefault,
    is_hidden: i.isHidden,
    created_at: toIso(i.createdAt),
    updated_at: toIso(i.updatedAt),
    last_execution: toIso(i.lastExecution),
    isDeleted: i.isDeleted,
    deleted_at: toIso(i.deletedAt),
    deletedReason: i.deletedReason,
  }
}

/** The agent definition as the side panel shows it ("operating procedure"). */
export function toOperatingProcedure(agent: Agent | undefined): string {
  if (!agent) return ''
  const definition = {
    name: agent.name,
    emoji: agent.emoji,
    description: agent.description,
    ...(agent.prompt !== null && { prompt: agent.prompt }),
    group: agent.group,
    tags: agent.tags,
    mcp_configs: agent.mcpConfigs,
    ai_provider: agent.aiProvider,
    model: agent.model,
    ...agent.extra,
  }
  return JSON.stringify(definition, null, 2)
}

export function toHistoryDto(entry: InstanceHistoryEntry) {
  return {
    _id: entry.id,
    user_input: entry.userInput,
    ai_response: entry.aiResponse,
    timestamp: entry.timestamp / 1000,
    createdAt: toIso(entry.timestamp),
    isDeleted: entry.isDeleted,
  }
}
