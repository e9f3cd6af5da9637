// The original's streamed execution: POST /api/v1/stream-execute starts a run and answers its
// job id; GET /api/v1/stream/{job_id} streams it in the original's SSE format.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { isTerminal } from '../../engine/run-events.js'
import { PROVIDERS } from '../../platform/providers.js'
import { resumeCursor } from '../../platform/http/sse.js'
import type { AgentRuns } from '../runs/agent-runs.js'
import { streamRun, type RunSseDeps } from '../runs/run-sse.js'
import { BadRequestError, NotFoundError } from '../../platform/http/errors.js'
import { jobIdOf, legacyFrame, runIdOfJob } from './legacy-stream.js'

const tags = ['execution']
const Id = z.string().trim().min(1).max(200)

const StreamExecuteBody = z
  .object({
    textEntries: z.array(z.object({ content: z.string() }).loose()).optional(),
    input: z.string().optional(),
    command: z.string().optional(),
    agent_id: Id.optional(),
    instance_id: Id.optional(),
    conversation_id: Id.optional(),
    screenplay_id: Id.optional(),
    ai_provider: z.enum(PROVIDERS).optional(),
    context_mode: z.enum(['stateless', 'stateful']).optional(),
    cwd: z.string().max(1000).optional(),
  })
  .loose()
  .describe('Input from textEntries[0].content, else input, else command (§3.3); uid/title and other keys are ignored')

const StartedDto = z.object({ job_id: z.string(), status: z.literal('started'), stream_url: z.string() })
const JobParams = z.object({ job_id: z.string() })
const StreamHeaders = z.object({ 'last-event-id': z.string().optional() })

export const streamExecuteRoutes: FastifyPluginAsyncZod<{ agentRuns: AgentRuns; sse: RunSseDeps }> = async (app, { agentRuns, sse }) => {
  app.post(
    '/api/v1/stream-execute',
    {
      config: { expensive: true },
      schema: { tags, summary: 'Start a run and get the URL of its event stream', body: StreamExecuteBody, response: { 200: StartedDto } },
    },
    async (req) => {
      const body = req.body
      const input = body.textEntries?.length ? body.textEntries[0]!.content : (body.input ?? body.command ?? '')
      if (input.trim() === '') throw new BadRequestError('No input: send textEntries[0].content, input or command')
      const run = await agentRuns.start({
        source: 'stream',
        input,
        agentId: body.agent_id,
        provider: body.ai_provider,
        instanceId: body.instance_id,
        conversationId: body.conversation_id,
        screenplayId: body.screenplay_id,
        cwd: body.cwd,
        ...(body.context_mode && { contextMode: body.context_mode }),
      })
      const jobId = jobIdOf(run.id)
      return { job_id: jobId, status: 'started' as const, stream_url: `/api/v1/stream/${jobId}` }
    },
  )

  app.get(
    '/api/v1/stream/:job_id',
    {
      config: { stream: true },
      schema: {
        tags,
        summary: 'A job’s events in the original format; replayable and resumable, the response ends after the result or error event',
        description:
          'Each event has `id:` (its seq). Reconnecting with Last-Event-ID sends what is left; once nothing is left of a finished job, the answer is 204, which stops an EventSource from reconnecting.',
        params: JobParams,
        headers: StreamHeaders,
        response: { 204: z.undefined().describe('The job has ended and the reader already had its last event') },
      },
    },
    async (req, reply) => {
      const runId = runIdOfJob(req.params.job_id)
      const run = runId ? await sse.runs.find(runId) : undefined
      if (!run) throw new NotFoundError(`Job ID '${req.params.job_id}' not found`)
      const after = resumeCursor(req.headers['last-event-id'], undefined)
      // An EventSource reconnects whenever a response ends; only 204 makes it stop. A run's final
      // event (the legacy result or error) is its last seq, so a cursor there has seen everything.
      if (isTerminal(run.status) && after >= run.lastSeq) return reply.code(204).send()
      streamRun(reply, sse, run.id, after, legacyFrame)
      return reply
    },
  )
}
