// HTTP for /api/councilors (16 routes, original-gateway.md §2.5) and the report route the client
// calls, GET /api/agents/{agent_id}/councilor-reports (web-client-contract.md §2.8 #58).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { NotFoundError } from '../../platform/http/errors.js'
import type { Agent } from '../agents/agents.repo.js'
import type { CouncilorConfigInput } from './councilor-input.js'
import type { Councilor } from './councilor.model.js'
import {
  AgentParams,
  AgentsList,
  ConfigPatchBody,
  EnabledBody,
  Execution,
  ExecutionCreateBody,
  InstanceParams,
  InstanceResponse,
  InstancesList,
  JobsList,
  LegacyPromoteBody,
  ListQuery,
  PromoteBody,
  Report,
  ReportQuery,
  ScheduleResponse,
  SuccessResponse,
} from './councilor.schemas.js'
import type { SchedulerStats } from './councilor-scheduler.js'
import type { CouncilorService } from './councilor.service.js'
import { agentWireOf, executionWireOf, instanceWireOf, jobWireOf, reportWireOf, statisticsOf } from './councilor-wire.js'

const tags = ['councilors']

export interface CouncilorRoutesOptions {
  councilors: CouncilorService
  /** This process's scheduler, whose work the jobs list reports. */
  scheduler: { stats: SchedulerStats }
  agents: { list(): Promise<Agent[]>; find(agentId: string): Promise<Agent | undefined> }
}

export const councilorRoutes: FastifyPluginAsyncZod<CouncilorRoutesOptions> = async (app, { councilors, scheduler, agents }) => {
  const agentMap = async () => new Map((await agents.list()).map((a) => [a.agentId, a]))
  const instanceIds = (c: Councilor) => ({ instance_id: c.instanceId ?? c.id, screenplay_id: c.screenplayId, conversation_id: c.conversationId })
  const legacyAgent = async (c: Councilor) => {
    const agent = await agents.find(c.agentId)
    if (!agent) throw new NotFoundError(`Agent with agent_id '${c.agentId}' not found`)
    return agentWireOf(agent, c)
  }
  const scheduleOf = (c: Councilor) => ({ type: c.schedule.type, value: c.schedule.value, enabled: c.enabled })

  app.get(
    '/api/councilors/scheduler/jobs',
    { schema: { tags, summary: 'Every councilor schedule, with its next and last fire time', response: { 200: JobsList } } },
    async () => {
      const jobs = (await councilors.list()).map(jobWireOf)
      const { passes, claimed, started, busyMs, cpuMs } = scheduler.stats
      return { jobs, count: jobs.length, scheduler: { passes, claimed, started, busy_ms: Math.round(busyMs), cpu_ms: Math.round(cpuMs) } }
    },
  )

  app.post(
    '/api/councilors/promote',
    {
      schema: {
        tags,
        summary: 'Promote an agent to an instance councilor',
        body: PromoteBody,
        response: { 200: InstanceResponse, 201: InstanceResponse },
      },
    },
    async (req, reply) => {
      const { agent_id: agentId, councilor_config: config, customization, cwd } = req.body
      const { councilor, created } = await councilors.promoteInstance({
        agentId,
        config: config as CouncilorConfigInput,
        customization: customization ?? null,
        cwd: cwd || null,
      })
      reply.code(created ? 201 : 200)
      return {
        success: true,
        message: created ? `Agent '${agentId}' promoted to councilor successfully` : `Agent '${agentId}' is already a councilor`,
        ...instanceIds(councilor),
        councilor_id: councilor.id,
      }
    },
  )

  app.get('/api/councilors/instances', { schema: { tags, summary: 'Instance councilors', response: { 200: InstancesList } } }, async () => {
    const [list, byId] = await Promise.all([councilors.list(), agentMap()])
    const instances = list.filter((c) => c.instanceId !== null).map((c) => instanceWireOf(c, byId.get(c.agentId)))
    return { instances, count: instances.length }
  })

  app.delete(
    '/api/councilors/instances/:instance_id',
    {
      schema: {
        tags,
        summary: 'Demote an instance councilor (its schedule stops at once)',
        params: InstanceParams,
        response: { 200: InstanceResponse },
      },
    },
    async (req) => {
      const councilor = await councilors.byInstance(req.params.instance_id)
      await councilors.demote(councilor)
      return { success: true, message: `Councilor instance '${req.params.instance_id}' demoted successfully`, ...instanceIds(councilor) }
    },
  )

  app.post(
    '/api/councilors/instances/:instance_id/execute-now',
    {
      schema: {
        tags,
        summary: 'Start a run of the councilor now; answers at once with its run id',
        params: InstanceParams,
        response: { 200: SuccessResponse },
      },
    },
    async (req) => {
      const councilor = await councilors.byInstance(req.params.instance_id)
      const run = await councilors.executeNow(councilor)
      return {
        success: true,
        message: 'Councilor run started',
        agent: null,
        execution: executionWireOf(run, councilor.id),
        run_id: run.id,
        ...instanceIds(councilor),
      }
    },
  )

  app.patch(
    '/api/councilors/instances/:instance_id/schedule',
    {
      schema: {
        tags,
        summary: 'Pause or resume an instance councilor',
        params: InstanceParams,
        body: EnabledBody,
        response: { 200: ScheduleResponse },
      },
    },
    async (req) => {
      const councilor = await councilors.setEnabled(await councilors.byInstance(req.params.instance_id), req.body.enabled)
      return { success: true, message: `Schedule ${req.body.enabled ? 'resumed' : 'paused'} successfully`, schedule: scheduleOf(councilor) }
    },
  )

  app.patch(
    '/api/councilors/instances/:instance_id/config',
    {
      schema: {
        tags,
        summary: 'Change an instance councilor; a new schedule applies at once',
        params: InstanceParams,
        body: ConfigPatchBody,
        response: { 200: InstanceResponse },
      },
    },
    async (req) => {
      const current = await councilors.byInstance(req.params.instance_id)
      const { display_name: displayName, cwd, ...patch } = req.body
      const councilor = await councilors.reconfigure(current, patch, { displayName, cwd })
      const agent = await agents.find(councilor.agentId)
      return { success: true, message: 'Configuration updated successfully', ...instanceIds(councilor), instance: instanceWireOf(councilor, agent) }
    },
  )

  app.get(
    '/api/councilors',
    { schema: { tags, summary: 'Agents, with their agent-level councilor', querystring: ListQuery, response: { 200: AgentsList } } },
    async (req) => {
      const [list, all] = await Promise.all([councilors.list(), agents.list()])
      const legacy = new Map(list.filter((c) => c.instanceId === null).map((c) => [c.agentId, c]))
      const wanted = req.query.is_councilor
      const shown = wanted === undefined ? all : all.filter((a) => legacy.has(a.agentId) === wanted)
      return { agents: shown.map((a) => agentWireOf(a, legacy.get(a.agentId))), count: shown.length }
    },
  )

  app.post(
    '/api/councilors/:agent_id/promote-councilor',
    {
      schema: {
        tags,
        summary: 'Promote an agent to an agent-level councilor',
        params: AgentParams,
        body: LegacyPromoteBody,
        response: { 200: SuccessResponse },
      },
    },
    async (req) => {
      const { agent_id: agentId } = req.params
      const { councilor, created } = await councilors.promoteAgent({
        agentId,
        config: req.body.councilor_config as CouncilorConfigInput,
        customization: req.body.customization ?? null,
      })
      const message = created ? `Agent '${agentId}' promoted to councilor successfully` : `Agent '${agentId}' is already a councilor`
      return { success: true, message, agent: await legacyAgent(councilor), execution: null }
    },
  )

  app.delete(
    '/api/councilors/:agent_id/demote-councilor',
    { schema: { tags, summary: 'Demote an agent-level councilor', params: AgentParams, response: { 200: SuccessResponse } } },
    async (req) => {
      const councilor = await councilors.legacyByAgent(req.params.agent_id)
      await councilors.demote(councilor)
      const agent = await agents.find(councilor.agentId)
      return {
        success: true,
        message: `Agent '${req.params.agent_id}' demoted from councilor`,
        agent: agent ? agentWireOf(agent, undefined) : null,
        execution: null,
      }
    },
  )

  app.patch(
    '/api/councilors/:agent_id/councilor-config',
    {
      schema: {
        tags,
        summary: 'Change a councilor; a new schedule applies at once',
        params: AgentParams,
        body: ConfigPatchBody,
        response: { 200: SuccessResponse },
      },
    },
    async (req) => {
      const current = await councilors.legacyByAgent(req.params.agent_id)
      const { display_name: displayName, cwd, ...patch } = req.body
      const councilor = await councilors.reconfigure(current, patch, { displayName, cwd })
      return { success: true, message: 'Councilor configuration updated successfully', agent: await legacyAgent(councilor), execution: null }
    },
  )

  app.patch(
    '/api/councilors/:agent_id/councilor-schedule',
    { schema: { tags, summary: 'Pause or resume a councilor', params: AgentParams, body: EnabledBody, response: { 200: ScheduleResponse } } },
    async (req) => {
      const councilor = await councilors.setEnabled(await councilors.legacyByAgent(req.params.agent_id), req.body.enabled)
      return { success: true, message: req.body.enabled ? 'Schedule resumed' : 'Schedule paused', schedule: scheduleOf(councilor) }
    },
  )

  app.post(
    '/api/councilors/councilors/executions',
    {
      schema: {
        tags,
        summary: 'Deprecated: echoes an execution (runs are recorded by the run engine)',
        deprecated: true,
        body: ExecutionCreateBody,
        response: { 201: SuccessResponse },
      },
    },
    async (req, reply) => {
      const councilor = await councilors.byAgent(req.body.councilor_id)
      const agent = await agents.find(councilor.agentId)
      reply.code(201)
      return {
        success: true,
        message: 'Execution recorded',
        agent: agent ? agentWireOf(agent, councilor) : null,
        execution: { _id: req.body.execution_id, ...req.body, created_at: new Date().toISOString() },
      }
    },
  )

  const report = async (agentId: string, limit: number) => {
    const councilor = await councilors.byAgent(agentId)
    return reportWireOf(councilor, await councilors.recentRuns(councilor, limit))
  }

  app.get(
    '/api/councilors/:agent_id/councilor-reports',
    {
      schema: {
        tags,
        summary: 'Recent runs and statistics of a councilor',
        params: AgentParams,
        querystring: ReportQuery,
        response: { 200: Report },
      },
    },
    async (req) => report(req.params.agent_id, req.query.limit),
  )

  app.get(
    '/api/agents/:agent_id/councilor-reports',
    {
      schema: {
        tags,
        summary: 'The councilor report as the web client reads it ({report})',
        params: AgentParams,
        querystring: ReportQuery,
        response: { 200: z.object({ report: Report }) },
      },
    },
    async (req) => ({ report: await report(req.params.agent_id, req.query.limit) }),
  )

  app.get(
    '/api/councilors/:agent_id/councilor-reports/latest',
    { schema: { tags, summary: 'The latest run of a councilor, or null', params: AgentParams, response: { 200: Execution.nullable() } } },
    async (req) => {
      const councilor = await councilors.byAgent(req.params.agent_id)
      const [latest] = await councilors.recentRuns(councilor, 1)
      return latest ? executionWireOf(latest, councilor.id) : null
    },
  )

  app.post(
    '/api/councilors/:agent_id/execute-now',
    {
      schema: {
        tags,
        summary: 'Start a run of the councilor now; answers at once with its run id',
        params: AgentParams,
        response: { 200: SuccessResponse },
      },
    },
    async (req) => {
      const councilor = await councilors.legacyByAgent(req.params.agent_id)
      const run = await councilors.executeNow(councilor)
      return {
        success: true,
        message: 'Councilor run started',
        agent: await legacyAgent(councilor),
        execution: executionWireOf(run, councilor.id),
        run_id: run.id,
        stats: statisticsOf(councilor),
      }
    },
  )
}
