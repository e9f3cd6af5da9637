// The run: one execution of an agent on an input, and what produced it.
import type { ExecutorKind, Provider } from '../platform/providers.js'
import type { RunContext, RunStatus, Severity, Usage } from './run-events.js'

export const RUN_SOURCES = ['api', 'chat', 'stream', 'execute', 'councilor', 'portfolio', 'mcp'] as const
export type RunSource = (typeof RUN_SOURCES)[number]

/** Who reports, on runs of the councilor scheduler. */
export interface CouncilorTag {
  councilorId: string
  taskName: string
  displayName: string
}

/** Everything a run needs besides its columns; kept as one JSON document. */
export interface RunOptions {
  agentName?: string
  agentEmoji?: string
  contextMode?: 'stateless' | 'stateful'
  /** MCP server names whose tools the model may call. */
  mcpServers?: string[]
  councilor?: CouncilorTag
  /** Free-form caller metadata, echoed back on reads. */
  metadata?: Record<string, unknown>
}

export interface Run {
  id: string
  status: RunStatus
  source: RunSource
  agentId: string | null
  personaVersion: number | null
  instanceId: string | null
  conversationId: string | null
  screenplayId: string | null
  executor: ExecutorKind
  provider: Provider
  model: string | null
  input: string
  cwd: string | null
  prompt: string | null
  output: string
  error: string | null
  exitCode: number | null
  severity: Severity | null
  usage: Usage | null
  options: RunOptions
  idempotencyKey: string | null
  timeoutMs: number
  workerId: string | null
  leaseExpiresAt: number | null
  cancelRequested: boolean
  isDeleted: boolean
  lastSeq: number
  createdAt: number
  startedAt: number | null
  endedAt: number | null
  updatedAt: number
}

/** How long the run executed (to its end, else to `now`); 0 for a run that never started. */
export function durationOf(run: Pick<Run, 'startedAt' | 'endedAt'>, now?: number): number {
  const end = run.endedAt ?? now
  return run.startedAt === null || end === undefined ? 0 : Math.max(0, end - run.startedAt)
}

export function isCouncilorRun(run: Pick<Run, 'source'>): boolean {
  return run.source === 'councilor'
}

/** Who and what a run is for, as live readers see it (carried by `run.queued`). */
export function contextOf(run: Run): RunContext {
  return {
    agentId: run.agentId,
    agentName: run.options.agentName ?? null,
    agentEmoji: run.options.agentEmoji ?? null,
    instanceId: run.instanceId,
    conversationId: run.conversationId,
    screenplayId: run.screenplayId,
    source: run.source,
    provider: run.provider,
    model: run.model,
    isCouncilor: isCouncilorRun(run),
    ...(run.options.councilor && { councilor: run.options.councilor }),
  }
}
