// HTTP for the native run API: create (with wait / stream / Idempotency-Key), read, list,
// stream events with resume, cancel one or many.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { isTerminal } from '../../engine/run-events.js'
import type { Runs } from '../../engine/runs.js'
import { resumeCursor, sseFrame } from '../../platform/http/sse.js'
import type { AgentRuns } from './agent-runs.js'
import { cachedFormat, streamRun, type RunSseDeps } from './run-sse.js'
import {
  BulkCancelBody,
  BulkCancelDto,
  CreateRunBody,
  ListRunsQuery,
  RunDto,
  RunEventsQuery,
  RunListDto,
  RunParams,
  toRunDto,
  toRunEventData,
} from './runs.schemas.js'

const tags = ['runs']

const nativeFrame = cachedFormat((event) => sseFrame({ id: event.seq, event: event.type, data: JSON.stringify(toRunEventData(event)) }))

const IdempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(200).optional().describe('Repeating a create with the same key returns the same run'),
})
const EventHeaders = z.object({ 'last-event-id': z.string().optional() })

export interface RunsRoutesOptions {
  runs: Runs
  agentRuns: AgentRuns
  sse: Omit<RunSseDeps, 'runs'>
}

export const runsRoutes: FastifyPluginAsyncZod<RunsRoutesOptions> = async (app, { runs, agentRuns, sse }) => {
  const sseDeps: RunSseDeps = { ...sse, runs }

  app.post(
    '/api/runs',
    {
      config: { expensive: true },
      schema: {
        tags,
        summary: 'Start a run (202), or wait for its end (200), or stream its events',
        headers: IdempotencyHeaders,
        body: CreateRunBody,
        response: { 200: RunDto, 202: RunDto },
      },
    },
    async (req, reply) => {
      const body = req.body
      const run = await agentRuns.start(
        {
          source: 'api',
          input: body.input,
          agentId: body.agent_id,
          provider: body.ai_provider,
          model: body.model,
          instanceId: body.instance_id,
          conversationId: body.conversation_id,
          screenplayId: body.screenplay_id,
          cwd: body.cwd,
          timeoutMs: body.timeout_ms,
          ...(body.context_mode && { contextMode: body.context_mode }),
          ...(body.metadata && { metadata: body.metadata }),
        },
        { idempotencyKey: req.headers['idempotency-key'] },
      )
      void reply.header('location', `/api/runs/${run.id}`)
      if (body.stream) {
        streamRun(reply, sseDeps, run.id, 0, nativeFrame)
        return reply
      }
      if (body.wait) {
        const ended = await runs.waitForEnd(run, body.wait_timeout_ms)
        return reply.code(isTerminal(ended.status) ? 200 : 202).send(toRunDto(ended))
      }
      return reply.code(202).send(toRunDto(run))
    },
  )

  app.get(
    '/api/runs',
    {
      schema: { tags, summary: 'List runs, newest first', querystring: ListRunsQuery, response: { 200: RunListDto } },
    },
    async (req) => {
      const q = req.query
      const { runs: found, total } = await runs.list({
        statuses: q.status,
        agentId: q.agent_id,
        instanceId: q.instance_id,
        conversationId: q.conversation_id,
        screenplayId: q.screenplay_id,
        source: q.source,
        limit: q.limit,
        offset: q.offset,
      })
      return { runs: found.map(toRunDto), total, limit: q.limit, offset: q.offset }
    },
  )

  app.post(
    '/api/runs/cancel',
    {
      schema: { tags, summary: 'Cancel every active run matching the filter', body: BulkCancelBody, response: { 200: BulkCancelDto } },
    },
    async (req) => {
      const b = req.body
      const cancelled = await runs.cancelMany({ ids: b.run_ids, conversationId: b.conversation_id, agentId: b.agent_id, instanceId: b.instance_id })
      return { cancelled: cancelled.map(toRunDto) }
    },
  )

  app.get(
    '/api/runs/:run_id',
    {
      schema: { tags, summary: 'A run with its output so far', params: RunParams, response: { 200: RunDto } },
    },
    async (req) => toRunDto(await runs.get(req.params.run_id)),
  )

  app.post(
    '/api/runs/:run_id/cancel',
    {
      schema: { tags, summary: 'Cancel a queued or running run (idempotent; keeps partial output)', params: RunParams, response: { 200: RunDto } },
    },
    async (req) => toRunDto(await runs.cancel(req.params.run_id)),
  )

  app.get(
    '/api/runs/:run_id/events',
    {
      config: { stream: true },
      schema: {
        tags,
        summary: 'The run’s events as SSE: stored ones after the cursor, then live, ending after the final event',
        description:
          'Each event has `id:` (its seq), `event:` (its type) and JSON `data`. Reconnect with Last-Event-ID (or ?after=) to get exactly what was missed.',
        params: RunParams,
        headers: EventHeaders,
        querystring: RunEventsQuery,
      },
    },
    async (req, reply) => {
      const run = await runs.get(req.params.run_id)
      streamRun(reply, sseDeps, run.id, resumeCursor(req.headers['last-event-id'], req.query.after), nativeFrame)
      return reply
    },
  )
}
