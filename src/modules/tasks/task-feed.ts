// What the web client's feed and agent animations see of runs: each run event becomes the
// gamification message the original gateway or its watcher sent (§4.1). Every instance derives
// these from the runs it hears about (its own and other instances'), so they go to local clients.
import { contextOf } from '../../engine/run.js'
import { endStateOf } from '../../engine/run-ending.js'
import { isFinalEvent, type RunContext, type RunEvent } from '../../engine/run-events.js'
import type { Runs } from '../../engine/runs.js'
import type { Frame } from '../../platform/events/frame.js'
import { claudeNews } from '../../realtime/claude-news.js'
import type { GamificationHub } from '../../realtime/gamification-hub.js'
import { summaryOf, taskEndedMessage, taskIdsOf, taskPickedMessage, taskQueuedMessage } from './task-projection.js'

interface LiveRun {
  context: RunContext
  startedAt: number
  toolCalls: number
  toolStarts: Map<string, number>
}

/** Starts the feed; returns a function that stops it. */
export function feedRunsToClients(
  runs: Pick<Runs, 'followAll' | 'find'>,
  gamification: GamificationHub,
  onError: (err: unknown) => void,
): () => void {
  const live = new Map<string, LiveRun>()
  const deliver = (event: RunEvent, run: LiveRun): void => {
    // Runs are tracked either way (tool counts, start times); messages are built only for someone.
    if (gamification.clientCount > 0) {
      for (const message of [...messagesFor(event, run), ...councilorMessagesFor(event, run)]) gamification.broadcastLocal(message)
    }
    track(event, run)
    if (isFinalEvent(event)) live.delete(event.runId)
  }
  // A run this instance did not see queued (it started before we were listening).
  const adopt = async (event: RunEvent): Promise<void> => {
    const found = await runs.find(event.runId)
    if (!found) return
    const run = live.get(event.runId) ?? liveRun(contextOf(found), found.startedAt ?? found.createdAt)
    live.set(event.runId, run)
    deliver(event, run)
  }
  return runs.followAll((events) => {
    for (const event of events) {
      if (event.type === 'run.queued') live.set(event.runId, liveRun(event.data, event.at))
      const run = live.get(event.runId)
      // Known runs synchronously: no promise per event on the run path.
      if (!run) {
        void adopt(event).catch(onError)
        continue
      }
      try {
        deliver(event, run)
      } catch (err) {
        onError(err)
      }
    }
  })
}

function liveRun(context: RunContext, startedAt: number): LiveRun {
  return { context, startedAt, toolCalls: 0, toolStarts: new Map() }
}

function messagesFor(event: RunEvent, run: LiveRun): Frame[] {
  const ids = taskIdsOf(event.runId, run.context)
  switch (event.type) {
    case 'run.queued':
      return [taskQueuedMessage(event.runId, run.context, event.at)]
    case 'run.started':
      return [taskPickedMessage(event.runId, run.context), { type: 'stream_start', data: { ...ids, level: 'debug' } }]
    case 'provider.event':
      return [
        { type: 'agent_stream', data: { ...ids, event_type: eventType(event.data.event), event: event.data.event, level: 'debug' } },
        ...claudeNews(event.data.event, { ...ids }),
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
            mcp_name: event.data.server ?? mcpNameOf(event.data.name),
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
            mcp_name: event.data.server ?? mcpNameOf(event.data.name),
          },
        },
      ]
    }
    case 'run.completed':
    case 'run.failed':
    case 'run.timed_out':
    case 'run.cancelled':
      return [
        taskEndedMessage(event.runId, run.context, endStateOf(event)!),
        { type: 'stream_end', data: { ...ids, stats: { tool_calls: run.toolCalls }, level: 'debug' } },
      ]
    default:
      return []
  }
}

/** The councilor feed (§4.1 councilor_*), for runs the councilor scheduler started. */
function councilorMessagesFor(event: RunEvent, run: LiveRun): Frame[] {
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
  const end = endStateOf(event)
  if (event.type === 'run.started') return [{ type: 'councilor_started', data: { ...base, started_at: iso(event.at) } }]
  if (!end) return []
  const times = { started_at: iso(run.startedAt), completed_at: iso(event.at) }
  if (end.status === 'completed') {
    return [
      {
        type: 'councilor_completed',
        data: {
          ...base,
          status: 'completed',
          severity: end.severity,
          ...times,
          duration_ms: end.durationMs,
          result: summaryOf(end.output),
          exit_code: 0,
        },
      },
    ]
  }
  return [{ type: 'councilor_error', data: { ...base, status: 'error', severity: 'error', error: end.error ?? event.type, ...times } }]
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
