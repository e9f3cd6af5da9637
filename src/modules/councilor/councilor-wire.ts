// Councilors as the web client reads them (original-gateway.md §2.5, web-client-contract.md §2.8).
import type { Run } from '../../engine/run.js'
import { durationOf } from '../../engine/run.js'
import { toIso } from '../../platform/clock.js'
import type { Agent } from '../agents/agents.repo.js'
import { type Councilor, displayNameOf, successRateOf } from './councilor.model.js'

/** The configuration as the client sent it, with the scheduler's fields filled in. */
export function configWireOf(c: Councilor) {
  return {
    title: c.config.title,
    schedule: {
      type: c.schedule.type,
      value: c.schedule.value,
      enabled: c.enabled,
      timezone: c.schedule.timezone,
      start_at: toIso(c.schedule.startsAt),
      end_at: toIso(c.schedule.endsAt),
    },
    task: c.config.task,
    notifications: c.config.notifications,
    policy: {
      overlap: c.policy.overlap,
      missed: c.policy.missed,
      missed_cap: c.policy.missedCap,
      max_runs_per_day: c.policy.maxRunsPerDay,
      jitter_seconds: c.policy.jitterMs / 1000,
      pause_after_failures: c.policy.failureLimit,
    },
  }
}

/** What the scheduler did and is about to do: visible in the dashboard data. */
export function schedulerStateOf(c: Councilor) {
  return {
    enabled: c.enabled,
    paused_reason: c.pausedReason,
    next_run_time: toIso(c.nextFireAt),
    last_run_time: toIso(c.lastFireAt),
    active_runs: c.activeRuns,
    buffered_tick: toIso(c.bufferedAt),
    consecutive_failures: c.stats.consecutiveFailures,
    skipped_overlap: c.counters.skippedOverlap,
    skipped_missed: c.counters.skippedMissed,
    refused_spend_guard: c.counters.refusedSpend,
    buffered: c.counters.bufferedCount,
    cancelled_overlap: c.counters.cancelledOverlap,
  }
}

export function statisticsOf(c: Councilor) {
  const s = c.stats
  const counted = s.successCount + s.errorCount
  return {
    task_count: counted,
    total_execution_time: s.totalDurationMs,
    average_execution_time: counted === 0 ? 0 : Math.round((s.totalDurationMs / counted) * 100) / 100,
    last_task_duration: s.lastDurationMs,
    last_task_completed_at: toIso(s.lastRunAt),
    success_count: s.successCount,
    error_count: s.errorCount,
    cancelled_count: s.cancelledCount,
    last_exit_code: s.lastRunAt === null ? null : s.consecutiveFailures > 0 ? 1 : 0,
    total_executions: counted,
    success_rate: successRateOf(s),
    last_execution: toIso(s.lastRunAt),
    last_severity: s.lastSeverity,
  }
}

export function instanceWireOf(c: Councilor, agent: Agent | undefined) {
  return {
    instance_id: c.instanceId ?? c.id,
    councilor_id: c.id,
    agent_id: c.agentId,
    screenplay_id: c.screenplayId,
    conversation_id: c.conversationId,
    is_councilor_instance: true,
    councilor_config: configWireOf(c),
    customization: c.customization,
    cwd: c.cwd,
    emoji: agent?.emoji || '🏛️',
    display_order: 0,
    definition: { title: agent?.name ?? c.agentId, description: agent?.description ?? '', unicode: '' },
    position: { x: 100, y: 100 },
    statistics: statisticsOf(c),
    scheduler: schedulerStateOf(c),
    status: c.activeRuns > 0 ? 'running' : c.enabled ? 'idle' : 'paused',
    last_execution: toIso(c.stats.lastRunAt),
    created_at: toIso(c.createdAt),
    updated_at: toIso(c.updatedAt),
    agent_name: agent?.name ?? c.agentId,
    agent_emoji: agent?.emoji ?? '🏛️',
    agent_description: agent?.description ?? '',
  }
}

/** `AgentWithCouncilor`: an agent, with its agent-level councilor when it has one. */
export function agentWireOf(agent: Agent, c: Councilor | undefined) {
  return {
    _id: agent.agentId,
    agent_id: agent.agentId,
    name: agent.name,
    title: c?.config.title ?? null,
    emoji: agent.emoji,
    description: agent.description,
    prompt: agent.prompt,
    model: agent.model,
    is_councilor: c !== undefined,
    councilor_config: c ? configWireOf(c) : null,
    customization: c ? c.customization : agent.customization,
    stats: c
      ? { total_executions: statisticsOf(c).total_executions, last_execution: toIso(c.stats.lastRunAt), success_rate: successRateOf(c.stats) }
      : null,
    scheduler: c ? schedulerStateOf(c) : null,
    created_at: toIso(agent.createdAt),
    updated_at: toIso(agent.updatedAt),
  }
}

/** `CouncilorExecution`, from a run of the councilor. */
export function executionWireOf(run: Run, councilorId: string) {
  const active = run.status === 'queued' || run.status === 'running'
  return {
    _id: run.id,
    execution_id: run.id,
    run_id: run.id,
    councilor_id: councilorId,
    started_at: toIso(run.startedAt ?? run.createdAt),
    completed_at: toIso(run.endedAt),
    status: active ? 'running' : run.status === 'completed' ? 'completed' : 'error',
    run_status: run.status,
    severity: active ? null : run.status === 'completed' ? (run.severity ?? 'success') : 'error',
    output: run.output,
    error: run.error,
    duration_ms: run.endedAt === null ? null : durationOf(run),
    created_at: toIso(run.createdAt),
  }
}

export function reportWireOf(c: Councilor, runs: Run[]) {
  const stats = statisticsOf(c)
  return {
    councilor_id: c.id,
    agent_id: c.agentId,
    instance_id: c.instanceId,
    councilor_name: displayNameOf(c),
    title: c.config.title,
    task_name: c.config.task.name,
    recent_executions: runs.map((run) => executionWireOf(run, c.id)),
    total_executions: stats.total_executions,
    success_rate: stats.success_rate,
    statistics: stats,
    scheduler: schedulerStateOf(c),
    next_execution: toIso(c.nextFireAt),
  }
}

/** `GET /api/councilors/scheduler/jobs`: one job per councilor, paused ones included. */
export function jobWireOf(c: Councilor) {
  const { schedule } = c
  return {
    id: c.instanceId ?? c.id,
    councilor_id: c.id,
    agent_id: c.agentId,
    name: c.instanceId ? `Councilor Instance: ${displayNameOf(c)}` : `Councilor: ${displayNameOf(c)}`,
    trigger: `${schedule.type}[${schedule.value}${schedule.type === 'cron' ? `, tz=${schedule.timezone}` : ''}]`,
    schedule: { type: schedule.type, value: schedule.value, timezone: schedule.timezone },
    ...schedulerStateOf(c),
  }
}
