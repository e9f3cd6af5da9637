// The run: one execution of an agent on an input, and what produced it.
import type { ExecutorKind, Provider } from '../platform/providers.js'
import type { RunStatus, Severity, Usage } from './run-events.js'

export const RUN_SOURCES = ['api', 'chat', 'stream', 'execute', 'councilor', 'portfolio', 'mcp'] as const
export type RunSource = (typeof RUN_SOURCES)[number]

/** Everything a run needs besides its columns; kept as one JSON document. */
export interface RunOptions {
  agentName?: string
  agentEmoji?: string
  contextMode?: 'stateless' | 'stateful'
  /** MCP server names whose tools the model may call. */
  mcpServers?: string[]
  /** The legacy stream id (`job_<uuid>`) when the run was started by /api/v1/stream-execute. */
  jobId?: string
  /** Conversation messages this run writes: the user's and the bot placeholder. */
  userMessageId?: string
  botMessageId?: string
  isCouncilor?: boolean
  /** Set on runs of the councilor scheduler: who reports and which task. */
  councilor?: { councilorId: string; taskName: string; displayName: string }
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

export function durationOf(run: Pick<Run, 'startedAt' | 'endedAt' | 'createdAt'>, now: number): number {
  return (run.endedAt ?? now) - (run.startedAt ?? run.createdAt)
}
