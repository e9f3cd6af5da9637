// HTTP for the MCP registry, /mcp/* (original-gateway.md §2.8). `/mcp/stats`, shadowed by
// `/mcp/{name}` in the original, is reachable: static segments win in the router.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { assertMayActFor } from '../auth/sidecar.js'
import { z } from 'zod'
import { BadRequestError } from '../../platform/http/errors.js'
import type { McpNameSource } from './mcp-names.js'
import type { McpRegistry } from './registry.service.js'
import {
  ClaudeConfigDto,
  CleanupDto,
  CleanupQuery,
  ConfigQuery,
  EntryDto,
  HeartbeatBody,
  ListDto,
  ListQuery,
  metadataOf,
  NameParams,
  ProbeDto,
  RegisterBody,
  ResolveBody,
  ResolveDto,
  StatsDto,
  toEntryDto,
  toProbeDto,
} from './registry.schemas.js'

const tags = ['mcp registry']
const NoContent = z.undefined().describe('Done')

export const mcpRegistryRoutes: FastifyPluginAsyncZod<{ registry: McpRegistry; names: McpNameSource }> = async (app, { registry, names }) => {
  app.post(
    '/mcp/register',
    {
      config: { access: 'mcp-sidecar' },
      schema: {
        tags,
        summary: 'Register (or re-register) an MCP server; its credentials are stored encrypted',
        body: RegisterBody,
        response: { 201: EntryDto },
      },
    },
    async (req, reply) => {
      const b = req.body
      assertMayActFor(req.principal, b.name)
      const entry = await registry.register({
        name: b.name,
        url: b.url,
        transport: b.transport,
        hostUrl: b.host_url,
        backendUrl: b.backend_url,
        credentials: { ...(b.auth && { auth: b.auth }), ...(b.headers && { headers: b.headers }) },
        metadata: metadataOf(b),
        toolsCount: b.tools_count,
      })
      return reply.code(201).send(toEntryDto(entry))
    },
  )

  app.delete(
    '/mcp/unregister/:name',
    { config: { access: 'admin' }, schema: { tags, summary: 'Remove a registered MCP server', params: NameParams, response: { 204: NoContent } } },
    async (req, reply) => {
      await registry.unregister(req.params.name)
      return reply.code(204).send()
    },
  )

  app.post(
    '/mcp/heartbeat/:name',
    {
      config: { access: 'mcp-sidecar' },
      schema: {
        tags,
        summary: 'A registered server is alive (sidecars beat every 30 s)',
        params: NameParams,
        body: HeartbeatBody,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      assertMayActFor(req.principal, req.params.name)
      await registry.heartbeat(req.params.name, req.body?.tools_count)
      return reply.code(204).send()
    },
  )

  app.get(
    '/mcp/list',
    { schema: { tags, summary: 'MCP servers, sorted by name (the web client’s MCP manager)', querystring: ListQuery, response: { 200: ListDto } } },
    async (req) => {
      const q = req.query
      const { items, counts } = await registry.list({ type: q.type, category: q.category, status: q.status, healthyOnly: q.healthy_only })
      return {
        items: items.map(toEntryDto),
        total: items.length,
        internal_count: counts.internal,
        external_count: counts.external,
        healthy_count: counts.healthy,
      }
    },
  )

  app.get(
    '/mcp/config',
    {
      schema: {
        tags,
        summary: 'The `mcpServers` of a Claude CLI --mcp-config for an instance or agent (credentials included as headers)',
        querystring: ConfigQuery,
        response: { 200: ClaudeConfigDto },
      },
    },
    async (req) => {
      const { instance_id: instanceId, agent_id: agentId } = req.query
      if (!instanceId && !agentId) throw new BadRequestError('Either instance_id or agent_id must be provided')
      return { mcpServers: await registry.claudeConfig(await names.namesFor({ instanceId, agentId })) }
    },
  )

  app.get('/mcp/stats', { schema: { tags, summary: 'Counts of MCP servers by type and status', response: { 200: StatsDto } } }, async () =>
    registry.stats(),
  )

  app.post(
    '/mcp/resolve',
    { schema: { tags, summary: 'Names to URLs (unknown and unhealthy ones are not found)', body: ResolveBody, response: { 200: ResolveDto } } },
    async (req) => {
      const { resolved, notFound } = await registry.resolveNames(req.body.names)
      return { resolved, not_found: notFound }
    },
  )

  app.post(
    '/mcp/cleanup',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Remove registered servers not heard from for max_age_hours',
        querystring: CleanupQuery,
        response: { 200: CleanupDto },
      },
    },
    async (req) => ({ removed: await registry.cleanup(req.query.max_age_hours) }),
  )

  app.get(
    '/mcp/:name',
    { schema: { tags, summary: 'One MCP server (never its credentials)', params: NameParams, response: { 200: EntryDto } } },
    async (req) => toEntryDto(await registry.get(req.params.name)),
  )

  app.get(
    '/mcp/:name/health',
    {
      schema: {
        tags,
        summary: 'Probe a server: connect as an MCP client and list its tools; a registered server’s status follows',
        params: NameParams,
        response: { 200: ProbeDto },
      },
    },
    async (req) => toProbeDto(await registry.probe(req.params.name)),
  )
}
