// The run event log's vocabulary: one typed union. Every reader (SSE, WebSocket, conversation
// writer, statistics, task views) consumes these, never provider-specific shapes.

export const RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled', 'timed_out'] as const
export type RunStatus = (typeof RUN_STATUSES)[number]
export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set(['completed', 'failed', 'cancelled', 'timed_out'])

export function isTerminal(status: RunStatus): boolean {
  return TERMINAL_STATUSES.has(status)
}

export interface Usage {
  tokensIn: number
  tokensOut: number
  costUsd?: number
}

/** Who and what a run is for; carried by `run.queued` so live readers need no lookup. */
export interface RunContext {
  agentId: string | null
  agentName: string | null
  agentEmoji: string | null
  instanceId: string | null
  conversationId: string | null
  screenplayId: string | null
  source: string
  provider: string
  model: string | null
  isCouncilor: boolean
  councilor?: { councilorId: string; taskName: string; displayName: string }
}

/** What an event says, before the log gives it a sequence number. */
export type RunEventBody =
  | { type: 'run.queued'; data: RunContext }
  | { type: 'run.started'; data: { workerId: string } }
  | { type: 'text.delta'; data: { text: string } }
  | { type: 'tool.started'; data: { toolCallId: string; name: string; input: unknown; server?: string } }
  | { type: 'tool.finished'; data: { toolCallId: string; name: string; output: unknown; isError: boolean; server?: string } }
  | { type: 'usage'; data: Usage }
  /** A provider's native event, passed through for debug consoles (Claude stream-json). */
  | { type: 'provider.event'; data: { provider: string; event: unknown } }
  | { type: 'run.completed'; data: { output: string; exitCode: number; durationMs: number; severity: Severity } }
  | { type: 'run.failed'; data: { error: string; output: string; exitCode: number; durationMs: number } }
  | { type: 'run.cancelled'; data: { output: string; durationMs: number } }
  | { type: 'run.timed_out'; data: { output: string; durationMs: number; timeoutMs: number } }

export type RunEventType = RunEventBody['type']

/** An event as stored: its run, its place in the run's log and when it happened. */
export type RunEvent = RunEventBody & { runId: string; seq: number; at: number }

export type Severity = 'success' | 'warning' | 'error'

export const FINAL_EVENT_TYPES: ReadonlySet<RunEventType> = new Set(['run.completed', 'run.failed', 'run.cancelled', 'run.timed_out'])

export function isFinalEvent(event: { type: RunEventType }): boolean {
  return FINAL_EVENT_TYPES.has(event.type)
}
