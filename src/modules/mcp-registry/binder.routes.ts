// HTTP for the MCP binder, /binder/* (original-gateway.md §2.9); bindings and policies are stored.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { McpBinder } from './binder.service.js'
import {
  AddMcpBody,
  BindBody,
  BinderStatsDto,
  BindingConfigDto,
  BindingDto,
  BindingsDto,
  BindingsQuery,
  BindResponseDto,
  InstanceParams,
  MonitorQuery,
  MonitorStartedDto,
  MonitorStoppedDto,
  PolicyBody,
  PolicySavedDto,
  RemoveMcpBody,
  serversConfigOf,
  toBindingDto,
  toBindResponse,
  UnbindBody,
} from './binder.schemas.js'

const tags = ['mcp binder']
const NoContent = z.undefined().describe('Done')

export const binderRoutes: FastifyPluginAsyncZod<{ binder: McpBinder }> = async (app, { binder }) => {
  app.post(
    '/binder/bind',
    {
      schema: {
        tags,
        summary: 'Bind an agent instance to the MCP servers it may use (its policy applied, each server probed)',
        body: BindBody,
        response: { 200: BindResponseDto },
      },
    },
    async (req) => {
      const b = req.body
      const outcome = await binder.bind({
        instanceId: b.instance_id,
        agentId: b.agent_id,
        mcpNames: b.mcp_names,
        conversationId: b.conversation_id,
        screenplayId: b.screenplay_id,
      })
      return toBindResponse(outcome)
    },
  )

  app.post(
    '/binder/unbind',
    { schema: { tags, summary: 'Remove an instance’s binding', body: UnbindBody, response: { 204: NoContent } } },
    async (req, reply) => {
      await binder.unbind(req.body.instance_id)
      return reply.code(204).send()
    },
  )

  app.post(
    '/binder/rebind/:instance_id',
    {
      schema: {
        tags,
        summary: 'Probe the bound servers again: healthy ones are active, the others suspended',
        params: InstanceParams,
        response: { 200: BindResponseDto },
      },
    },
    async (req) => toBindResponse(await binder.rebind(req.params.instance_id)),
  )

  app.post(
    '/binder/add-mcp',
    { schema: { tags, summary: 'Add one server to a binding (policy and health apply)', body: AddMcpBody, response: { 204: NoContent } } },
    async (req, reply) => {
      await binder.addMcp(req.body.instance_id, req.body.mcp_name)
      return reply.code(204).send()
    },
  )

  app.post(
    '/binder/remove-mcp',
    { schema: { tags, summary: 'Remove one server from a binding', body: RemoveMcpBody, response: { 204: NoContent } } },
    async (req, reply) => {
      await binder.removeMcp(req.body.instance_id, req.body.mcp_name)
      return reply.code(204).send()
    },
  )

  app.get(
    '/binder/bindings',
    { schema: { tags, summary: 'Bindings, oldest first (agent_id wins over mcp_name)', querystring: BindingsQuery, response: { 200: BindingsDto } } },
    async (req) => {
      const bindings = await binder.list({ agentId: req.query.agent_id, mcpName: req.query.mcp_name })
      return { bindings: bindings.map(toBindingDto), total: bindings.length, active_count: bindings.filter((b) => b.status === 'active').length }
    },
  )

  app.get(
    '/binder/bindings/:instance_id',
    { schema: { tags, summary: 'One instance’s binding', params: InstanceParams, response: { 200: BindingDto } } },
    async (req) => toBindingDto(await binder.get(req.params.instance_id)),
  )

  app.get(
    '/binder/bindings/:instance_id/config',
    { schema: { tags, summary: 'The `mcpServers` of the binding’s active servers', params: InstanceParams, response: { 200: BindingConfigDto } } },
    async (req) => serversConfigOf(await binder.get(req.params.instance_id)),
  )

  app.get(
    '/binder/stats',
    { schema: { tags, summary: 'Bindings and how often each server is bound', response: { 200: BinderStatsDto } } },
    async () => {
      const s = await binder.stats()
      return { total_bindings: s.totalBindings, active_bindings: s.activeBindings, mcp_usage: s.mcpUsage, health_check_running: s.healthCheckRunning }
    },
  )

  app.post(
    '/binder/policies',
    { schema: { tags, summary: 'Set an agent’s binding policy', body: PolicyBody, response: { 201: PolicySavedDto } } },
    async (req, reply) => {
      const b = req.body
      await binder.setPolicy({
        agentId: b.agent_id,
        allowedMcps: b.allowed_mcps,
        deniedMcps: b.denied_mcps,
        maxConcurrentMcps: b.max_concurrent_mcps,
        requireHealthy: b.require_healthy,
      })
      return reply.code(201).send({ success: true as const, agent_id: b.agent_id })
    },
  )

  app.post(
    '/binder/health-monitoring/start',
    {
      schema: {
        tags,
        summary: 'Start this gateway process’s health monitor: suspend failing bound servers, reactivate recovered ones',
        querystring: MonitorQuery,
        response: { 200: MonitorStartedDto },
      },
    },
    async (req) => {
      binder.startMonitoring(req.query.interval_seconds * 1000)
      return { success: true as const, interval_seconds: req.query.interval_seconds }
    },
  )

  app.post(
    '/binder/health-monitoring/stop',
    { schema: { tags, summary: 'Stop the health monitor', response: { 200: MonitorStoppedDto } } },
    async () => {
      binder.stopMonitoring()
      return { success: true as const }
    },
  )
}
