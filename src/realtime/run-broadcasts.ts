// What the web client's feed and agent animations see of runs: each run event becomes the
// gamification message the original gateway or its watcher sent (§4.1). Every instance derives
// these from its own event hub (which also carries other instances' runs), so they are sent
// to local clients only.
import type { RunEventHub } from '../engine/run-event-hub.js'
import { isFinalEvent, type RunContext, type RunEvent } from '../engine/run-events.js'
import { claudeNews } from './claude-news.js'
import type { GamificationHub, GamificationMessage } from './gamification-hub.js'

const SUMMARY_CHARS = 200

interface LiveRun {
  context: RunContext
  startedAt: number
  toolCalls: number
  toolStarts: Map<string, number>
}

/** Looks up a run this instance did not see queued (it started before we were listening). */
export type RunContextLookup = (runId: string) => Promise<{ context: RunContext; startedAt: number } | undefined>

export function broadcastRuns(
  hub: RunEventHub,
  gamification: GamificationHub,
  lookup: RunContextLookup,
  onError: (err: unknown) => void,
): () => void {
  const live = new Map<string, LiveRun>()

  const handle = async (event: RunEvent): Promise<void> => {
    if (event.type === 'run.queued') {
      live.set(event.runId, { context: event.data, startedAt: event.at, toolCalls: 0, toolStarts: new Map() })
    }
    let run = live.get(event.runId)
    if (!run) {
      const found = await lookup(event.runId)
      if (!found) return
      run = { ...found, toolCalls: 0, toolStarts: new Map() }
      live.set(event.runId, run)
    }
    // Runs are tracked either way (tool counts, start times); messages are built only for someone.
    if (gamification.clientCount > 0) {
      for (const message of [...messagesFor(event, run), ...councilorMessagesFor(event, run)]) gamification.broadcastLocal(message)
    }
    track(event, run)
    if (isFinalEvent(event)) live.delete(event.runId)
  }

  return hub.subscribeAll((events) => {
    for (const event of events) void handle(event).catch(onError)
  })
}

function messagesFor(event: RunEvent, run: LiveRun): GamificationMessage[] {
  const ctx = run.context
  const ids = {
    task_id: event.runId,
    agent_id: ctx.agentId,
    instance_id: ctx.instanceId,
    conversation_id: ctx.conversationId,
    screenplay_id: ctx.screenplayId,
  }
  const who = { ...ids, agent_name: ctx.agentName ?? ctx.agentId ?? 'agent', agent_emoji: ctx.agentEmoji ?? '🤖' }
  switch (event.type) {
    case 'run.queued':
      // compat: §4.1: the streamed path (stream-execute) announced its task as task_started.
      if (ctx.source === 'stream') return [{ type: 'task_started', data: { ...who, status: 'processing', level: 'debug' } }]
      return [{ type: 'task_submitted', data: { ...who, status: 'pending', started_at: iso(event.at), level: 'info' } }]
    case 'run.started':
      return [
        { type: 'task_picked', data: { ...who, status: 'processing', level: 'debug' } },
        { type: 'stream_start', data: { ...ids, level: 'debug' } },
      ]
    case 'provider.event':
      return [
        { type: 'agent_stream', data: { ...ids, event_type: eventType(event.data.event), event: event.data.event, level: 'debug' } },
        ...claudeNews(event.data.event, ids),
      ]
    case 'tool.started':
      return [
        {
          type: 'tool_call',
          data: {
            ...ids,
            call_id: event.data.toolCallId,
            tool: event.data.name,
            method: event.data.name,
            phase: 'start',
            params: event.data.input,
            timestamp: iso(event.at),
            mcp_name: mcpNameOf(event.data.name),
          },
        },
      ]
    case 'tool.finished': {
      const started = run.toolStarts.get(event.data.toolCallId) ?? event.at
      return [
        {
          type: 'tool_call',
          data: {
            ...ids,
            call_id: event.data.toolCallId,
            tool: event.data.name,
            method: event.data.name,
            phase: event.data.isError ? 'error' : 'end',
            duration_ms: event.at - started,
            response_size: JSON.stringify(event.data.output ?? null).length,
            error: event.data.isError ? event.data.output : null,
            timestamp: iso(event.at),
            mcp_name: mcpNameOf(event.data.name),
          },
        },
      ]
    }
    case 'run.completed':
      return [
        {
          type: 'task_completed',
          data: {
            ...who,
            status: 'completed',
            severity: event.data.severity,
            duration_ms: event.data.durationMs,
            result_summary: summary(event.data.output),
            exit_code: 0,
            level: 'result',
          },
        },
        streamEnd(ids, run),
      ]
    case 'run.failed':
    case 'run.timed_out':
    case 'run.cancelled': {
      const error = event.type === 'run.failed' ? event.data.error : event.type === 'run.timed_out' ? 'timed out' : 'cancelled'
      const status = event.type === 'run.cancelled' ? 'cancelled' : 'error'
      return [
        {
          type: 'task_error',
          data: {
            ...who,
            status,
            severity: event.type === 'run.cancelled' ? 'warning' : 'error',
            error,
            duration_ms: event.data.durationMs,
            result_summary: summary(event.data.output) || error,
            level: 'result',
          },
        },
        streamEnd(ids, run),
      ]
    }
    default:
      return []
  }
}

/** The councilor feed (§4.1 councilor_*), for runs the councilor scheduler started. */
function councilorMessagesFor(event: RunEvent, run: LiveRun): GamificationMessage[] {
  const councilor = run.context.councilor
  if (!councilor) return []
  const base = {
    councilor_id: councilor.councilorId,
    agent_id: run.context.agentId,
    task_name: councilor.taskName,
    display_name: councilor.displayName,
    execution_id: event.runId,
    task_id: event.runId,
    screenplay_id: run.context.screenplayId,
    conversation_id: run.context.conversationId,
    instance_id: run.context.instanceId,
  }
  switch (event.type) {
    case 'run.started':
      return [{ type: 'councilor_started', data: { ...base, started_at: iso(event.at) } }]
    case 'run.completed':
      return [
        {
          type: 'councilor_completed',
          data: {
            ...base,
            status: 'completed',
            severity: event.data.severity,
            started_at: iso(run.startedAt),
            completed_at: iso(event.at),
            duration_ms: event.data.durationMs,
            result: summary(event.data.output),
            exit_code: 0,
          },
        },
      ]
    case 'run.failed':
    case 'run.timed_out':
    case 'run.cancelled':
      return [
        {
          type: 'councilor_error',
          data: {
            ...base,
            status: 'error',
            severity: 'error',
            error: event.type === 'run.failed' ? event.data.error : event.type,
            started_at: iso(run.startedAt),
            completed_at: iso(event.at),
          },
        },
      ]
    default:
      return []
  }
}

/** What later messages of the run need to know (start time, tool calls in flight). */
function track(event: RunEvent, run: LiveRun): void {
  if (event.type === 'run.started') run.startedAt = event.at
  if (event.type === 'tool.started') {
    run.toolCalls++
    run.toolStarts.set(event.data.toolCallId, event.at)
  }
  if (event.type === 'tool.finished') run.toolStarts.delete(event.data.toolCallId)
}

function streamEnd(ids: Record<string, unknown>, run: LiveRun): GamificationMessage {
  return { type: 'stream_end', data: { ...ids, stats: { tool_calls: run.toolCalls }, level: 'debug' } }
}

function summary(output: string): string {
  return output.length > SUMMARY_CHARS ? `${output.slice(0, SUMMARY_CHARS)}...` : output
}

function eventType(event: unknown): string | null {
  return typeof event === 'object' && event !== null && typeof (event as { type?: unknown }).type === 'string'
    ? (event as { type: string }).type
    : null
}

/** MCP tools reach models as `mcp__<server>__<tool>` (Claude) or `<server>__<tool>`. */
function mcpNameOf(tool: string): string | null {
  const parts = tool.split('__')
  if (parts[0] === 'mcp' && parts.length >= 3) return parts[1]!
  return parts.length >= 2 ? parts[0]! : null
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}
