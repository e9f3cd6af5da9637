// The task views the web client reads (original-gateway.md §2.1.4, web-client-contract.md §2.7),
// served from runs. A task is a run seen with the original's vocabulary.
import { z } from 'zod'
import { contextOf, durationOf, isCouncilorRun, type Run } from '../../engine/run.js'
import { RUN_SORT_KEYS, type RunSortKey } from '../../engine/runs.js'
import { toIso } from '../../platform/clock.js'
import { PathId, QueryBool, queryInt } from '../../platform/http/query.js'
import { TASK_STATUSES, endStateOfRun, taskEndedMessage, taskStatusOf } from './task-projection.js'

/** `-created_at` style: a field (completed_at is the run's end), `-` for descending. */
const TaskSort = z
  .string()
  .default('-created_at')
  .transform((value, ctx) => {
    const field = value.replace(/^-/, '')
    const key = (field === 'completed_at' ? 'ended_at' : field) as RunSortKey
    if (!(RUN_SORT_KEYS as readonly string[]).includes(key)) {
      ctx.addIssue({ code: 'custom', message: `cannot sort by ${field}; use created_at, updated_at, started_at, completed_at, status or agent_id` })
      return z.NEVER
    }
    return { sortBy: key, ascending: !value.startsWith('-') }
  })

export const ListTasksQuery = z.object({
  status: z.enum([...TASK_STATUSES, 'failed']).optional(),
  agent_id: z.string().optional(),
  limit: queryInt({ min: 1, max: 500, default: 100 }),
  offset: queryInt({ min: 0, default: 0 }),
  sort: TaskSort,
})

export const ProcessingTasksQuery = ListTasksQuery.omit({ status: true, agent_id: true })

export const TaskEventsQuery = z.object({
  limit: queryInt({ min: 1, max: 200, default: 50 }),
  include_councilors: QueryBool.default(true),
  include_regular: QueryBool.default(true),
})

export const TaskParams = z.object({ task_id: PathId })

const nullableString = z.string().nullable()

export const TaskDocDto = z.object({
  _id: z.string(),
  task_id: z.string(),
  agent_id: nullableString,
  agent_name: nullableString,
  agent_emoji: nullableString,
  instance_id: nullableString,
  conversation_id: nullableString,
  screenplay_id: nullableString,
  status: z.enum(TASK_STATUSES),
  prompt: z.string(),
  input_text: z.string(),
  result: z.string(),
  error: nullableString,
  exit_code: z.number().int().nullable(),
  duration: z.number().nullable().describe('Seconds'),
  severity: nullableString,
  provider: z.string(),
  model: nullableString,
  cwd: nullableString,
  source: z.string(),
  is_councilor_execution: z.boolean(),
  isDeleted: z.boolean(),
  created_at: z.string(),
  started_at: nullableString,
  completed_at: nullableString,
  updated_at: z.string(),
})

export const TaskListDto = z.object({ success: z.literal(true), count: z.number().int(), total: z.number().int(), tasks: z.array(TaskDocDto) })

export const TaskDto = z.object({
  success: z.literal(true),
  task: TaskDocDto.pick({
    task_id: true,
    agent_id: true,
    agent_name: true,
    agent_emoji: true,
    instance_id: true,
    conversation_id: true,
    screenplay_id: true,
    status: true,
    result: true,
    exit_code: true,
    duration: true,
    created_at: true,
    started_at: true,
    completed_at: true,
  }),
})

export const TaskDetailsDto = z.object({
  success: z.literal(true),
  task: z.object({
    task_id: z.string(),
    agent_id: z.string(),
    agent_name: z.string(),
    agent_emoji: z.string(),
    prompt: nullableString,
    result: z.string(),
    status: z.string(),
    severity: z.string(),
    created_at: z.string(),
    completed_at: nullableString,
    duration: z.number(),
    error: nullableString,
    is_councilor: z.boolean(),
  }),
})

export const TaskEventsDto = z.object({
  success: z.literal(true),
  count: z.number().int(),
  events: z.array(z.object({ type: z.enum(['task_completed', 'task_error']), data: z.record(z.string(), z.unknown()), timestamp: z.number() })),
})

export function toTaskDoc(run: Run): z.output<typeof TaskDocDto> {
  return {
    _id: run.id,
    task_id: run.id,
    agent_id: run.agentId,
    agent_name: run.options.agentName ?? null,
    agent_emoji: run.options.agentEmoji ?? null,
    instance_id: run.instanceId,
    conversation_id: run.conversationId,
    screenplay_id: run.screenplayId,
    status: taskStatusOf(run.status),
    prompt: run.prompt ?? run.input,
    input_text: run.input,
    result: run.output,
    error: run.error,
    exit_code: run.exitCode,
    duration: durationSeconds(run),
    severity: run.severity,
    provider: run.provider,
    model: run.model,
    cwd: run.cwd,
    source: run.source,
    is_councilor_execution: isCouncilorRun(run),
    isDeleted: run.isDeleted,
    created_at: toIso(run.createdAt),
    started_at: toIso(run.startedAt),
    completed_at: toIso(run.endedAt),
    updated_at: toIso(run.updatedAt),
  }
}

export function toTaskDetails(run: Run): z.output<typeof TaskDetailsDto>['task'] {
  return {
    task_id: run.id,
    agent_id: run.agentId ?? 'unknown',
    agent_name: run.options.agentName ?? run.agentId ?? 'unknown',
    agent_emoji: run.options.agentEmoji ?? '🤖',
    prompt: run.prompt ?? run.input,
    result: run.output,
    status: taskStatusOf(run.status),
    severity: run.severity ?? 'info',
    created_at: toIso(run.createdAt),
    completed_at: toIso(run.endedAt),
    duration: durationSeconds(run) ?? 0,
    error: run.error,
    is_councilor: isCouncilorRun(run),
  }
}

/** A finished run as the event the feed shows after a reload (timestamp in epoch ms). */
export function toTaskEvent(run: Run): z.output<typeof TaskEventsDto>['events'][number] {
  const message = taskEndedMessage(run.id, contextOf(run), endStateOfRun(run))
  return { type: message.type as 'task_completed' | 'task_error', data: { ...message.data }, timestamp: run.endedAt ?? run.createdAt }
}

function durationSeconds(run: Run): number | null {
  return run.endedAt === null ? null : durationOf(run) / 1000
}
