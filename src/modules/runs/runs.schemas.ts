// Wire shapes of the native run API (/api/runs) for new clients.
import { z } from 'zod'
import { toIso } from '../../platform/clock.js'
import { PathId, queryInt } from '../../platform/http/query.js'
import { RUN_SOURCES, durationOf, type Run } from '../../engine/run.js'
import { PROVIDERS } from '../../platform/providers.js'
import { RUN_STATUSES, type RunEvent } from '../../engine/run-events.js'

const Id = z.string().trim().min(1).max(200)

export const CreateRunBody = z.object({
  input: z.string().max(1_000_000, { message: 'cannot exceed 1,000,000 characters' }).describe('What the agent is asked'),
  agent_id: Id.nullable().optional().describe('Agent whose persona and defaults the run uses'),
  ai_provider: z.enum(PROVIDERS).nullable().optional().describe('Overrides the agent’s provider'),
  model: z.string().max(200).nullable().optional(),
  instance_id: Id.nullable().optional(),
  conversation_id: Id.nullable().optional().describe('Its history becomes context; one active run per conversation'),
  screenplay_id: Id.nullable().optional().describe('Its content becomes context'),
  cwd: z.string().max(1000).nullable().optional().describe('Absolute working directory (required by cli and conductor providers)'),
  timeout_ms: z.number().int().positive().nullable().optional(),
  context_mode: z.enum(['stateless', 'stateful']).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  wait: z.boolean().default(false).describe('Answer when the run has ended (200) instead of at once (202)'),
  wait_timeout_ms: z.number().int().positive().max(600_000).default(60_000).describe('How long `wait` waits before answering 202'),
  stream: z.boolean().default(false).describe('Answer with the run’s event stream (text/event-stream)'),
})

export const RunParams = z.object({ run_id: PathId })

export const CSV_STATUSES = z.string().transform((value, ctx) => {
  const statuses = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const unknown = statuses.filter((s) => !(RUN_STATUSES as readonly string[]).includes(s))
  if (unknown.length > 0) ctx.addIssue({ code: 'custom', message: `unknown status ${unknown.join(', ')}; use ${RUN_STATUSES.join(', ')}` })
  return statuses as Array<(typeof RUN_STATUSES)[number]>
})

export const ListRunsQuery = z.object({
  status: CSV_STATUSES.optional().describe('Comma-separated statuses'),
  agent_id: z.string().optional(),
  instance_id: z.string().optional(),
  conversation_id: z.string().optional(),
  screenplay_id: z.string().optional(),
  source: z.enum(RUN_SOURCES).optional(),
  limit: queryInt({ min: 1, max: 200, default: 50 }),
  offset: queryInt({ min: 0, default: 0 }),
})

export const RunEventsQuery = z.object({
  after: z.coerce.number().int().min(0).optional().describe('Resume after this seq (Last-Event-ID wins when both are sent)'),
})

export const BulkCancelBody = z
  .object({
    run_ids: z.array(Id).max(1000).optional(),
    conversation_id: Id.optional(),
    agent_id: Id.optional(),
    instance_id: Id.optional(),
  })
  .refine((b) => b.run_ids !== undefined || b.conversation_id || b.agent_id || b.instance_id, {
    message: 'name the runs: run_ids, conversation_id, agent_id or instance_id',
  })

const UsageDto = z.object({ tokens_in: z.number(), tokens_out: z.number(), cost_usd: z.number().optional() })

export const RunDto = z.object({
  run_id: z.string(),
  status: z.enum(RUN_STATUSES),
  source: z.enum(RUN_SOURCES),
  agent_id: z.string().nullable(),
  persona_version: z.number().int().nullable(),
  instance_id: z.string().nullable(),
  conversation_id: z.string().nullable(),
  screenplay_id: z.string().nullable(),
  executor: z.string(),
  provider: z.string(),
  model: z.string().nullable(),
  input: z.string(),
  output: z.string(),
  error: z.string().nullable(),
  exit_code: z.number().int().nullable(),
  severity: z.string().nullable(),
  usage: UsageDto.nullable(),
  cwd: z.string().nullable(),
  timeout_ms: z.number().int(),
  cancel_requested: z.boolean(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  ended_at: z.string().nullable(),
  duration_ms: z.number().int().nullable(),
  last_seq: z.number().int(),
  events_url: z.string(),
  metadata: z.record(z.string(), z.unknown()),
})

export const RunListDto = z.object({ runs: z.array(RunDto), total: z.number().int(), limit: z.number().int(), offset: z.number().int() })
export const BulkCancelDto = z.object({ cancelled: z.array(RunDto) })

export function toRunDto(run: Run): z.output<typeof RunDto> {
  return {
    run_id: run.id,
    status: run.status,
    source: run.source,
    agent_id: run.agentId,
    persona_version: run.personaVersion,
    instance_id: run.instanceId,
    conversation_id: run.conversationId,
    screenplay_id: run.screenplayId,
    executor: run.executor,
    provider: run.provider,
    model: run.model,
    input: run.input,
    output: run.output,
    error: run.error,
    exit_code: run.exitCode,
    severity: run.severity,
    usage: run.usage
      ? { tokens_in: run.usage.tokensIn, tokens_out: run.usage.tokensOut, ...(run.usage.costUsd !== undefined && { cost_usd: run.usage.costUsd }) }
      : null,
    cwd: run.cwd,
    timeout_ms: run.timeoutMs,
    cancel_requested: run.cancelRequested,
    created_at: toIso(run.createdAt),
    started_at: toIso(run.startedAt),
    ended_at: toIso(run.endedAt),
    duration_ms: run.endedAt === null ? null : durationOf(run),
    last_seq: run.lastSeq,
    events_url: `/api/runs/${run.id}/events`,
    metadata: run.options.metadata ?? {},
  }
}

/** The `data` of a native SSE event: snake_case like the rest of the API. */
export function toRunEventData(event: RunEvent): Record<string, unknown> {
  // Object.assign, not a spread: a literal that spreads and then adds keys is ~100 × slower on Node 20's V8.
  const base = { run_id: event.runId, seq: event.seq, at: toIso(event.at) }
  switch (event.type) {
    case 'run.queued':
      return Object.assign(base, {
        agent_id: event.data.agentId,
        instance_id: event.data.instanceId,
        conversation_id: event.data.conversationId,
        screenplay_id: event.data.screenplayId,
        source: event.data.source,
        provider: event.data.provider,
        model: event.data.model,
      })
    case 'run.started':
      return Object.assign(base, { worker_id: event.data.workerId })
    case 'text.delta':
      return Object.assign(base, { text: event.data.text })
    case 'tool.started':
      return Object.assign(base, { tool_call_id: event.data.toolCallId, name: event.data.name, input: event.data.input })
    case 'tool.finished':
      return Object.assign(base, {
        tool_call_id: event.data.toolCallId,
        name: event.data.name,
        output: event.data.output,
        is_error: event.data.isError,
      })
    case 'usage':
      return Object.assign(base, { tokens_in: event.data.tokensIn, tokens_out: event.data.tokensOut, cost_usd: event.data.costUsd ?? null })
    case 'provider.event':
      return Object.assign(base, { provider: event.data.provider, event: event.data.event })
    case 'run.completed':
      return Object.assign(base, {
        output: event.data.output,
        exit_code: event.data.exitCode,
        duration_ms: event.data.durationMs,
        severity: event.data.severity,
      })
    case 'run.failed':
      return Object.assign(base, {
        error: event.data.error,
        output: event.data.output,
        exit_code: event.data.exitCode,
        duration_ms: event.data.durationMs,
      })
    case 'run.cancelled':
      return Object.assign(base, { output: event.data.output, duration_ms: event.data.durationMs })
    case 'run.timed_out':
      return Object.assign(base, { output: event.data.output, duration_ms: event.data.durationMs, timeout_ms: event.data.timeoutMs })
  }
}
