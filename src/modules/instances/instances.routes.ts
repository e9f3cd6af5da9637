// HTTP for /api/agents/instances and /api/agents/context/{instance_id}.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { toIso } from '../../platform/clock.js'
import {
  ContextDto,
  CreateInstanceBody,
  CreatedInstanceDto,
  CwdBody,
  CwdDto,
  DeleteInstanceQuery,
  DeletedInstanceDto,
  InstanceListDto,
  InstanceParams,
  ListInstancesQuery,
  McpConfigsBody,
  McpConfigsDto,
  McpConfigsUpdatedDto,
  OneInstanceDto,
  PatchInstanceBody,
  PatchedInstanceDto,
  ReorderBody,
  ReorderedDto,
  StatisticsBody,
  StatisticsUpdatedDto,
  toHistoryDto,
  toInstanceDto,
  toOperatingProcedure,
  toPatch,
  toStatisticsDto,
  toWirePatchFields,
} from './instances.schemas.js'
import type { InstancesService } from './instances.service.js'
import { legacyBodyErrors, objectDetail, stringDetail } from './legacy-errors.js'

const tags = ['agent instances']

export const instancesRoutes: FastifyPluginAsyncZod<{ instances: InstancesService }> = async (app, { instances }) => {
  app.post(
    '/api/agents/instances',
    {
      schema: { tags, summary: 'Place an agent (client-generated instance_id)', body: CreateInstanceBody, response: { 200: CreatedInstanceDto } },
      errorHandler: legacyBodyErrors((error) => ({
        ...objectDetail(error),
        ...(error.startsWith('Missing') && { required_fields: ['instance_id', 'agent_id', 'position'] }),
      })),
    },
    async (req) => {
      const b = req.body
      const created = await instances.create({
        instanceId: b.instance_id!,
        agentId: b.agent_id!,
        position: b.position as { x: number; y: number },
        screenplayId: b.screenplay_id,
        conversationId: b.conversation_id,
        cwd: b.cwd,
        status: b.status,
        config: b.config,
        emoji: b.emoji,
        definition: b.definition,
        displayOrder: b.display_order,
        mcpConfigs: b.mcp_configs,
        isHidden: b.is_hidden,
        isSystemDefault: b.is_system_default,
        isCouncilorInstance: b.is_councilor_instance,
        councilorConfig: b.councilor_config,
        customization: b.customization,
      })
      return { success: true as const, message: 'Instance created successfully', instance: toInstanceDto(created) }
    },
  )

  app.get(
    '/api/agents/instances',
    {
      schema: { tags, summary: 'List instances with filters', querystring: ListInstancesQuery, response: { 200: InstanceListDto } },
    },
    async (req) => {
      const q = req.query
      const { items, total } = await instances.list({
        agentId: q.agent_id,
        status: q.status,
        screenplayId: q.screenplay_id,
        conversationId: q.conversation_id,
        includeDeleted: q.include_deleted,
        sort: q.sort,
        offset: q.offset,
        limit: q.limit,
      })
      return { success: true as const, count: items.length, total, instances: items.map(toInstanceDto) }
    },
  )

  app.patch(
    '/api/agents/instances/reorder',
    {
      schema: { tags, summary: 'Set display_order of several instances', body: ReorderBody, response: { 200: ReorderedDto } },
      errorHandler: legacyBodyErrors(stringDetail),
    },
    async (req) => {
      // compat: original-gateway.md §2.1.6 skips entries without an id or an order.
      const entries = req.body.order_updates.flatMap((u) =>
        u.instance_id && u.display_order !== null && u.display_order !== undefined
          ? [{ instanceId: u.instance_id, displayOrder: u.display_order }]
          : [],
      )
      const updated = await instances.reorder(entries)
      return { success: true as const, message: `Order updated for ${updated} agents`, updated_count: updated }
    },
  )

  app.get(
    '/api/agents/instances/:instance_id',
    {
      schema: { tags, summary: 'One live instance with its statistics', params: InstanceParams, response: { 200: OneInstanceDto } },
    },
    async (req) => ({ success: true as const, instance: toInstanceDto(await instances.get(req.params.instance_id)) }),
  )

  app.patch(
    '/api/agents/instances/:instance_id',
    {
      schema: {
        tags,
        summary: 'Update fields of an instance (config and execution_state are merged)',
        params: InstanceParams,
        body: PatchInstanceBody,
        response: { 200: PatchedInstanceDto },
      },
      errorHandler: legacyBodyErrors(objectDetail),
    },
    async (req) => {
      const { instance, updatedFields } = await instances.update(req.params.instance_id, toPatch(req.body))
      return {
        success: true as const,
        message: 'Instance updated successfully',
        instance_id: instance.instanceId,
        updated_fields: toWirePatchFields(updatedFields),
        updated_at: toIso(instance.updatedAt),
      }
    },
  )

  app.patch(
    '/api/agents/instances/:instance_id/cwd',
    {
      schema: { tags, summary: 'Set the working directory of an instance', params: InstanceParams, body: CwdBody, response: { 200: CwdDto } },
      errorHandler: legacyBodyErrors(stringDetail),
    },
    async (req) => {
      const cwd = await instances.setCwd(req.params.instance_id, req.body.cwd)
      return { success: true as const, message: 'CWD updated successfully', instance_id: req.params.instance_id, cwd }
    },
  )

  app.patch(
    '/api/agents/instances/:instance_id/statistics',
    {
      schema: {
        tags,
        summary: 'Add one finished task to the statistics (atomic)',
        params: InstanceParams,
        body: StatisticsBody,
        response: { 200: StatisticsUpdatedDto },
      },
      errorHandler: legacyBodyErrors(objectDetail),
    },
    async (req) => {
      const { task_duration: durationMs, exit_code: exitCode, increment_count: incrementCount } = req.body
      const instanceId = req.params.instance_id
      const statistics = await instances.addTaskStatistics(instanceId, { durationMs, exitCode, incrementCount })
      return {
        success: true as const,
        message: 'Statistics updated successfully',
        instance_id: instanceId,
        statistics: toStatisticsDto(statistics, statistics.lastTaskCompletedAt),
      }
    },
  )

  app.get(
    '/api/agents/instances/:instance_id/mcp-configs',
    {
      schema: {
        tags,
        summary: "MCP servers of the agent template plus the instance's own",
        params: InstanceParams,
        response: { 200: McpConfigsDto },
      },
    },
    async (req) => {
      const { instance, template, combined } = await instances.mcpConfigs(req.params.instance_id)
      return { instance_id: instance.instanceId, agent_id: instance.agentId, template_mcps: template, instance_mcps: instance.mcpConfigs, combined }
    },
  )

  app.patch(
    '/api/agents/instances/:instance_id/mcp-configs',
    {
      schema: {
        tags,
        summary: "Replace the instance's own MCP servers",
        params: InstanceParams,
        body: McpConfigsBody,
        response: { 200: McpConfigsUpdatedDto },
      },
      errorHandler: legacyBodyErrors(stringDetail),
    },
    async (req) => {
      const saved = await instances.setMcpConfigs(req.params.instance_id, req.body.mcp_configs)
      return {
        success: true as const,
        instance_id: req.params.instance_id,
        mcp_configs: saved,
        message: `Updated mcp_configs with ${saved.length} MCPs`,
      }
    },
  )

  app.delete(
    '/api/agents/instances/:instance_id',
    {
      schema: {
        tags,
        summary: 'Delete an instance (soft by default; cascade=true also hides its history)',
        params: InstanceParams,
        querystring: DeleteInstanceQuery,
        response: { 200: DeletedInstanceDto },
      },
    },
    async (req) => {
      const { hard, cascade } = req.query
      const instanceId = req.params.instance_id
      const { historyHidden } = await instances.delete(instanceId, { hard, cascade })
      if (hard) {
        const cascadeDeleted = historyHidden === null ? null : { history_records: historyHidden }
        return {
          success: true as const,
          message: 'Instance permanently deleted',
          instance_id: instanceId,
          deletion_type: 'hard' as const,
          cascade_deleted: cascadeDeleted,
        }
      }
      return {
        success: true as const,
        message: 'Instance soft deleted successfully (marked as deleted)',
        instance_id: instanceId,
        deletion_type: 'soft' as const,
        isDeleted: true,
        history_messages_affected: historyHidden ?? 0,
      }
    },
  )

  app.get(
    '/api/agents/context/:instance_id',
    {
      schema: {
        tags,
        summary: 'Persona, definition, history and cwd of an instance (chat side panel)',
        params: InstanceParams,
        response: { 200: ContextDto },
      },
    },
    async (req) => {
      const { instance, agent, persona, history } = await instances.context(req.params.instance_id)
      return { persona: persona ?? '', operating_procedure: toOperatingProcedure(agent), history: history.map(toHistoryDto), cwd: instance.cwd }
    },
  )
}
