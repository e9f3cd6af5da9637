// Working equivalents of the original's synchronous execution routes (original-gateway.md
// §2.1.1): POST /execute, POST /execute-agent and POST /conductor/execute all become runs.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Run } from '../../engine/run.js'
import type { Runs } from '../../engine/runs.js'
import { PROVIDERS } from '../../platform/providers.js'
import { AppError, BadRequestError } from '../../platform/http/errors.js'
import type { AgentsService } from '../agents/agents.service.js'
import type { AgentRunRequest, AgentRuns } from '../runs/agent-runs.js'
import { conductorCommand } from './conductor-commands.js'

const tags = ['execution']
const Id = z.string().trim().min(1).max(200)
const WAIT_GRACE_MS = 10_000

const ExecuteBody = z
  .object({
    input: z.string().optional(),
    command: z.string().optional(),
    textEntries: z.array(z.object({ content: z.string() }).loose()).optional(),
    agent_id: Id.optional(),
    ai_provider: z.enum(PROVIDERS).optional(),
    cwd: z.string().max(1000).optional(),
  })
  .loose()
  .describe('Input from `input`, else `command`, else textEntries[0].content (§3.3)')
const ExecuteDto = z.object({ status: z.literal('success'), result: z.string(), task_id: z.string() })

const ExecuteAgentBody = z.object({
  agent_id: z.string().optional(),
  input_text: z.string().optional(),
  cwd: z.string().optional(),
  timeout: z.number().int().positive().optional().describe('Seconds'),
  instance_id: Id.optional(),
})
const ProcessResultDto = z.object({
  status: z.enum(['success', 'error']),
  returncode: z.number().int(),
  stdout: z.string(),
  stderr: z.string(),
  result: z.string(),
  task_id: z.string(),
})

const ConductorExecuteBody = z
  .record(z.string(), z.unknown())
  .describe('The Conductor request: agent_id/agent_name + input_text/prompt, or a command (list_agents, info_agent, validate)')

export const legacyExecuteRoutes: FastifyPluginAsyncZod<{ runs: Runs; agentRuns: AgentRuns; agents: AgentsService }> = async (
  app,
  { runs, agentRuns, agents },
) => {
  /** Runs to the end; a run that did not complete is an upstream failure (502) or a timeout (504). */
  const runToEnd = async (request: AgentRunRequest): Promise<Run> => {
    const created = await agentRuns.start(request)
    return runs.waitForEnd(created, created.timeoutMs + WAIT_GRACE_MS)
  }

  app.post(
    '/execute',
    {
      config: { expensive: true },
      schema: {
        tags,
        summary: 'Run an agent (or the default provider) on a command and answer its output',
        body: ExecuteBody,
        response: { 200: ExecuteDto },
      },
    },
    async (req) => {
      const b = req.body
      const input = b.input ?? b.command ?? b.textEntries?.[0]?.content ?? ''
      if (input.trim() === '') throw new BadRequestError('No command found in payload')
      const run = await runToEnd({ source: 'execute', input, agentId: b.agent_id, provider: b.ai_provider, cwd: b.cwd })
      if (run.status !== 'completed') throw runFailure(run)
      return { status: 'success' as const, result: run.output, task_id: run.id }
    },
  )

  app.post(
    '/execute-agent',
    {
      config: { expensive: true },
      schema: {
        tags,
        summary: 'Run an agent in a working directory; answers like a process',
        body: ExecuteAgentBody,
        response: { 200: ProcessResultDto },
      },
    },
    async (req) => {
      const b = req.body
      if (!b.agent_id || !b.input_text || !b.cwd) throw new BadRequestError('agent_id, input_text e cwd são obrigatórios')
      const run = await runToEnd({
        source: 'execute',
        input: b.input_text,
        agentId: b.agent_id,
        cwd: b.cwd,
        instanceId: b.instance_id,
        ...(b.timeout && { timeoutMs: b.timeout * 1000 }),
      })
      return processResult(run)
    },
  )

  app.post(
    '/conductor/execute',
    {
      config: { expensive: true },
      schema: {
        tags,
        summary: 'The Conductor’s generic route, answered by the gateway itself',
        body: ConductorExecuteBody,
        response: { 200: ProcessResultDto.partial().loose().describe('Process-like result; agent runs add _id, exit_code and duration') },
      },
    },
    async (req) => {
      const b = req.body
      const agentId = stringOf(b.agent_id) ?? stringOf(b.agent_name)
      if (!agentId) return conductorCommand(b, agents)
      const input = stringOf(b.input_text) ?? stringOf(b.prompt)
      if (!input) throw new BadRequestError('input_text (or prompt) is required to run an agent')
      const provider = stringOf(b.ai_provider)
      const run = await runToEnd({
        source: 'execute',
        input,
        agentId,
        provider: provider && (PROVIDERS as readonly string[]).includes(provider) ? provider : undefined,
        cwd: stringOf(b.cwd),
        instanceId: stringOf(b.instance_id),
        conversationId: stringOf(b.conversation_id),
        screenplayId: stringOf(b.screenplay_id),
        ...(typeof b.timeout === 'number' && b.timeout > 0 && { timeoutMs: b.timeout * 1000 }),
      })
      return {
        ...processResult(run),
        _id: run.id,
        exit_code: run.exitCode ?? 1,
        duration: (run.endedAt ?? run.updatedAt) / 1000 - (run.startedAt ?? run.createdAt) / 1000,
      }
    },
  )
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined
}

function processResult(run: Run) {
  const ok = run.status === 'completed'
  return {
    status: ok ? ('success' as const) : ('error' as const),
    returncode: run.exitCode ?? (ok ? 0 : run.status === 'timed_out' ? 124 : 1),
    stdout: run.output,
    stderr: ok ? '' : (run.error ?? run.status),
    result: run.output,
    task_id: run.id,
  }
}

function runFailure(run: Run): AppError {
  if (run.status === 'timed_out' || run.status === 'running' || run.status === 'queued') {
    return new AppError('unavailable', `The run did not finish in time (task ${run.id})`, 504)
  }
  return new AppError('bad_gateway', `The agent run ${run.status}: ${run.error ?? 'no output'} (task ${run.id})`, 502)
}
