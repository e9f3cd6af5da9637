// A councilor: an agent promoted to run a task on a schedule and report what it finds
// (original-gateway.md §7). Its schedule, policies and counters live in one row.
import type { ScheduleSpec } from './schedule.js'

export const OVERLAP_POLICIES = ['skip', 'buffer_one', 'cancel_other', 'allow_all'] as const
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number]
export const MISSED_POLICIES = ['skip', 'once', 'all'] as const
export type MissedPolicy = (typeof MISSED_POLICIES)[number]

export const DEFAULT_POLICY: CouncilorPolicy = {
  overlap: 'skip',
  missed: 'once',
  missedCap: 10,
  maxRunsPerDay: null,
  jitterMs: 0,
  failureLimit: 5,
}

export interface CouncilorPolicy {
  /** A tick while a run of this councilor is active. */
  overlap: OverlapPolicy
  /** Ticks that fell while no gateway was running. */
  missed: MissedPolicy
  /** `missed: all` fires at most this many of them. */
  missedCap: number
  /** The spend guard: at most this many runs in any rolling 24 h (null: no limit of its own). */
  maxRunsPerDay: number | null
  /** A random delay added to each tick, always shorter than the gap to the following tick. */
  jitterMs: number
  /** Consecutive failed runs after which the schedule pauses itself. */
  failureLimit: number
}

/** The wire form of what the councilor does, stored as given (title, task, notifications). */
export interface CouncilorConfigDoc {
  title: string
  task: { name: string; prompt: string; context_files?: string[]; output_format: string }
  notifications: { on_success: boolean; on_warning: boolean; on_error: boolean; channels: string[] }
}

export interface CouncilorStats {
  totalRuns: number
  successCount: number
  errorCount: number
  cancelledCount: number
  totalDurationMs: number
  lastDurationMs: number | null
  lastRunAt: number | null
  lastSeverity: string | null
  consecutiveFailures: number
}

/** Ticks that did not become runs, and why. */
export interface TickCounters {
  skippedOverlap: number
  skippedMissed: number
  refusedSpend: number
  bufferedCount: number
  cancelledOverlap: number
}

/** A new councilor's statistics and counters. */
export const NO_STATS: Readonly<CouncilorStats> = {
  totalRuns: 0,
  successCount: 0,
  errorCount: 0,
  cancelledCount: 0,
  totalDurationMs: 0,
  lastDurationMs: null,
  lastRunAt: null,
  lastSeverity: null,
  consecutiveFailures: 0,
}
export const NO_COUNTERS: Readonly<TickCounters> = { skippedOverlap: 0, skippedMissed: 0, refusedSpend: 0, bufferedCount: 0, cancelledOverlap: 0 }

export interface Councilor {
  id: string
  agentId: string
  /** Set for councilors promoted as instances (POST /api/councilors/promote); null for agent-level ones. */
  instanceId: string | null
  screenplayId: string | null
  conversationId: string | null
  cwd: string | null
  config: CouncilorConfigDoc
  customization: Record<string, unknown> | null
  schedule: ScheduleSpec
  /** The interval counts from here (promotion, resume, schedule change). */
  anchorAt: number
  enabled: boolean
  /** 'manual' or 'failures' while paused. */
  pausedReason: string | null
  policy: CouncilorPolicy
  nextTickAt: number | null
  nextFireAt: number | null
  lastFireAt: number | null
  bufferedAt: number | null
  activeRuns: number
  lastRunId: string | null
  stats: CouncilorStats
  counters: TickCounters
  version: number
  createdAt: number
  updatedAt: number
}

export function displayNameOf(councilor: Pick<Councilor, 'customization' | 'agentId'>): string {
  const name = councilor.customization?.display_name
  return typeof name === 'string' && name.trim() !== '' ? name : councilor.agentId
}

export function successRateOf(stats: Pick<CouncilorStats, 'successCount' | 'errorCount'>): number {
  const total = stats.successCount + stats.errorCount
  return total === 0 ? 0 : Math.round((stats.successCount / total) * 1000) / 10
}
