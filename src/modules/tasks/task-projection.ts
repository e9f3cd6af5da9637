// Runs in the web client's task vocabulary (original-gateway.md §2.1.4, §4.1): a task is a run
// seen with the original's statuses, and its life is told to the feed as `task_*` messages. The
// HTTP task views and the WebSocket feed both speak through this one projection.
import { durationOf, type Run } from '../../engine/run.js'
import type { EndState } from '../../engine/run-ending.js'
import type { RunContext, RunStatus } from '../../engine/run-events.js'

export const TASK_STATUSES = ['pending', 'processing', 'completed', 'error', 'cancelled'] as const
export type TaskStatus = (typeof TASK_STATUSES)[number]

const TO_TASK_STATUS: Record<RunStatus, TaskStatus> = {
  queued: 'pending',
  running: 'processing',
  completed: 'completed',
  failed: 'error',
  timed_out: 'error',
  cancelled: 'cancelled',
}

export function taskStatusOf(status: RunStatus): TaskStatus {
  return TO_TASK_STATUS[status]
}

/** The run statuses a task status (or the original's alias `failed`) stands for. */
export function runStatusesOf(status: TaskStatus | 'failed'): RunStatus[] {
  const wanted = status === 'failed' ? 'error' : status
  return (Object.keys(TO_TASK_STATUS) as RunStatus[]).filter((s) => TO_TASK_STATUS[s] === wanted)
}

const SUMMARY_CHARS = 200

/** Which task a message is about. */
export type TaskIds = {
  task_id: string
  agent_id: string | null
  instance_id: string | null
  conversation_id: string | null
  screenplay_id: string | null
}

/** The ids plus how the feed shows the agent. */
export type TaskWho = TaskIds & {
  agent_name: string
  agent_emoji: string
}

export type TaskEndData = TaskWho & {
  execution_id: string
  status: TaskStatus
  severity: string
  /** Present on task_error. */
  error?: string
  exit_code: number | null
  duration_ms: number
  summary: string
  result_summary: string
  level: 'result'
}

export type TaskMessage =
  | { type: 'task_submitted'; data: TaskWho & { status: 'pending'; started_at: string; level: 'info' } }
  /** compat: §4.1: the streamed path (stream-execute) announced its task as task_started. */
  | { type: 'task_started'; data: TaskWho & { status: 'processing'; level: 'debug' } }
  | { type: 'task_picked'; data: TaskWho & { status: 'processing'; level: 'debug' } }
  | { type: 'task_completed' | 'task_error'; data: TaskEndData }

export function taskIdsOf(runId: string, context: RunContext): TaskIds {
  return {
    task_id: runId,
    agent_id: context.agentId,
    instance_id: context.instanceId,
    conversation_id: context.conversationId,
    screenplay_id: context.screenplayId,
  }
}

export function taskWhoOf(runId: string, context: RunContext): TaskWho {
  return { ...taskIdsOf(runId, context), agent_name: context.agentName ?? context.agentId ?? 'agent', agent_emoji: context.agentEmoji ?? '🤖' }
}

/** A queued run, as the feed announces it. */
export function taskQueuedMessage(runId: string, context: RunContext, at: number): TaskMessage {
  const who = taskWhoOf(runId, context)
  if (context.source === 'stream') return { type: 'task_started', data: { ...who, status: 'processing', level: 'debug' } }
  return { type: 'task_submitted', data: { ...who, status: 'pending', started_at: new Date(at).toISOString(), level: 'info' } }
}

export function taskPickedMessage(runId: string, context: RunContext): TaskMessage {
  return { type: 'task_picked', data: { ...taskWhoOf(runId, context), status: 'processing', level: 'debug' } }
}

/** A finished run: `task_completed`, or `task_error` for every other end (cancel and timeout included). */
export function taskEndedMessage(runId: string, context: RunContext, end: EndState): TaskMessage {
  const status = taskStatusOf(end.status)
  const failed = end.status !== 'completed'
  const error = failed ? (end.error ?? (end.status === 'cancelled' ? 'cancelled' : 'failed')) : undefined
  const summary = summaryOf(end.output) || error || 'Execução concluída'
  return {
    type: failed ? 'task_error' : 'task_completed',
    data: {
      ...taskWhoOf(runId, context),
      execution_id: runId,
      status,
      severity: end.severity ?? (end.status === 'cancelled' ? 'warning' : failed ? 'error' : 'success'),
      ...(error !== undefined && { error }),
      exit_code: end.exitCode,
      duration_ms: end.durationMs,
      summary,
      result_summary: summary,
      level: 'result',
    },
  }
}

/** A stored run's end state (the same facts its final event carries). */
export function endStateOfRun(run: Run): EndState {
  return { status: run.status, output: run.output, error: run.error, exitCode: run.exitCode, severity: run.severity, durationMs: durationOf(run) }
}

export function summaryOf(output: string): string {
  return output.length > SUMMARY_CHARS ? `${output.slice(0, SUMMARY_CHARS)}...` : output
}
