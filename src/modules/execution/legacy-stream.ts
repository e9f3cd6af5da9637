// The original gateway's SSE format for /api/v1/stream/{job_id} (original-gateway.md §3.1):
// unnamed events whose JSON carries `event` inside, plus what the original lacked: `id:` on
// every event (resume with Last-Event-ID). Like the original, nothing follows the terminal event.
import type { RunEvent } from '../../engine/run-events.js'
import { sseFrame } from '../../platform/http/sse.js'
import { cachedFormat } from '../runs/run-sse.js'

export function jobIdOf(runId: string): string {
  return `job_${runId}`
}

export function runIdOfJob(jobId: string): string | undefined {
  return jobId.startsWith('job_') ? jobId.slice('job_'.length) : undefined
}

type Legacy = { event: string; data: Record<string, unknown>; extra?: Record<string, unknown> }

function legacyOf(event: RunEvent): Legacy | null {
  switch (event.type) {
    case 'run.queued':
      return { event: 'task_started', data: { message: 'Tarefa submetida, aguardando processamento...' }, extra: { task_id: event.runId } }
    case 'run.started':
      return { event: 'status_update', data: { message: 'Agente processando a tarefa...' }, extra: { status: 'processing' } }
    case 'text.delta':
      return { event: 'on_llm_new_token', data: { chunk: event.data.text } }
    case 'tool.started':
      return { event: 'on_tool_start', data: { tool: { name: event.data.name }, input: event.data.input } }
    case 'tool.finished':
      return { event: 'on_tool_end', data: { tool: { name: event.data.name }, output: event.data.output } }
    case 'run.completed':
      return {
        event: 'result',
        data: {
          result: event.data.output,
          exit_code: 0,
          status: 'completed',
          duration: event.data.durationMs / 1000,
          message: 'Tarefa concluída com sucesso',
        },
        extra: { task_id: event.runId },
      }
    case 'run.failed':
      return {
        event: 'result',
        data: {
          result: event.data.output,
          exit_code: event.data.exitCode,
          status: 'error',
          duration: event.data.durationMs / 1000,
          message: 'Tarefa falhou',
          error: event.data.error,
        },
        extra: { task_id: event.runId },
      }
    case 'run.timed_out':
      return { event: 'error', data: { error: 'Timeout aguardando conclusão da tarefa' }, extra: { task_id: event.runId } }
    case 'run.cancelled':
      return { event: 'error', data: { error: 'Tarefa cancelada' }, extra: { task_id: event.runId } }
    default:
      return null
  }
}

export const legacyFrame = cachedFormat((event) => {
  const legacy = legacyOf(event)
  if (!legacy) return null
  const body = { event: legacy.event, data: legacy.data, timestamp: event.at / 1000, job_id: jobIdOf(event.runId), ...legacy.extra }
  return sseFrame({ id: event.seq, data: JSON.stringify(body) })
})
