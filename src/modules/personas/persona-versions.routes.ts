// HTTP for /api/agents/{agent_id}/persona/versions (original-gateway.md §2.4). The literal
// sub-paths (stats, latest, first, range, compare, restore, cleanup) are static routes, which the
// router always prefers to the `{version}` parameter, so none is shadowed.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { toIso } from '../../platform/clock.js'
import {
  AnnotateVersionBody,
  CleanupDto,
  CleanupQuery,
  CompareBody,
  CompareDto,
  CreateVersionBody,
  ListVersionsQuery,
  MessageDto,
  RangeDto,
  RangeQuery,
  RestoreBody,
  RestoreDto,
  VersionDto,
  VersionListDto,
  VersionParams,
  VersionStatsDto,
  toCompareDto,
  toVersionDto,
} from './persona-versions.schemas.js'
import type { PersonaVersionsService } from './persona-versions.service.js'
import { AgentParams } from './personas.schemas.js'

const tags = ['persona versions']
const base = '/api/agents/:agent_id/persona/versions'

export const personaVersionsRoutes: FastifyPluginAsyncZod<{ versions: PersonaVersionsService }> = async (app, { versions }) => {
  app.post(
    base,
    {
      schema: {
        tags,
        summary: 'Record new persona content as the next version (it becomes current)',
        params: AgentParams,
        body: CreateVersionBody,
        response: { 201: VersionDto },
      },
    },
    async (req, reply) => {
      const body = req.body
      const created = await versions.create(req.params.agent_id, {
        content: body.content ?? body.data!.content,
        metadata: body.metadata,
        createdBy: body.created_by,
        changeDescription: body.change_description,
        expectedVersion: body.version,
      })
      return reply.code(201).send(toVersionDto(created))
    },
  )

  app.get(
    base,
    {
      schema: {
        tags,
        summary: 'Page through the version history',
        params: AgentParams,
        querystring: ListVersionsQuery,
        response: { 200: VersionListDto },
      },
    },
    async (req) => {
      const { page, per_page: perPage, sort_by: sortBy, sort_order: order } = req.query
      const result = await versions.list(req.params.agent_id, { page, perPage, sortBy, descending: order === 'desc' })
      return { versions: result.items.map(toVersionDto), total: result.total, page, per_page: perPage, total_pages: result.totalPages }
    },
  )

  app.get(
    `${base}/stats`,
    {
      schema: { tags, summary: 'How many versions, since when, how much storage', params: AgentParams, response: { 200: VersionStatsDto } },
    },
    async (req) => {
      const s = await versions.stats(req.params.agent_id)
      return {
        agent_id: req.params.agent_id,
        total_versions: s.total,
        latest_version: s.latestVersion,
        first_version_date: toIso(s.firstAt),
        last_version_date: toIso(s.lastAt),
        average_versions_per_day: s.averagePerDay,
        storage_size_bytes: s.storageBytes,
      }
    },
  )

  for (const edge of ['latest', 'first'] as const) {
    app.get(
      `${base}/${edge}`,
      {
        schema: {
          tags,
          summary: edge === 'latest' ? 'The newest version (the current persona)' : 'The oldest kept version',
          params: AgentParams,
          response: { 200: VersionDto },
        },
      },
      async (req) => toVersionDto(await versions.edge(req.params.agent_id, edge)),
    )
  }

  app.get(
    `${base}/range`,
    {
      schema: {
        tags,
        summary: 'Versions from_version..to_version, oldest first',
        params: AgentParams,
        querystring: RangeQuery,
        response: { 200: RangeDto },
      },
    },
    async (req) => {
      const { from_version: from, to_version: to } = req.query
      const found = await versions.range(req.params.agent_id, from, to)
      return { agent_id: req.params.agent_id, from_version: from, to_version: to, versions: found.map(toVersionDto), count: found.length }
    },
  )

  app.post(
    `${base}/compare`,
    {
      schema: { tags, summary: 'Line diff between two versions', params: AgentParams, body: CompareBody, response: { 200: CompareDto } },
    },
    async (req) => {
      const { version1, version2 } = req.body
      return toCompareDto(version1, version2, await versions.compare(req.params.agent_id, version1, version2))
    },
  )

  app.post(
    `${base}/restore`,
    {
      schema: {
        tags,
        summary: "Make an old version's content current again (as a new version)",
        params: AgentParams,
        body: RestoreBody,
        response: { 200: RestoreDto },
      },
    },
    async (req) => {
      const { restored, created, previous } = await versions.restore(req.params.agent_id, req.body.version)
      return {
        success: true as const,
        message: `Version ${restored.version} restored as version ${created.version}`,
        restored_version: restored.version,
        new_version: created.version,
        backup_created: previous !== null,
        previous_version: previous,
      }
    },
  )

  app.post(
    `${base}/cleanup`,
    {
      schema: {
        tags,
        summary: 'Delete all but the newest keep_versions versions',
        params: AgentParams,
        querystring: CleanupQuery,
        response: { 200: CleanupDto },
      },
    },
    async (req) => {
      const keep = req.query.keep_versions
      const deleted = await versions.cleanup(req.params.agent_id, keep)
      return { message: `Cleanup finished: ${deleted} versions removed`, deleted_count: deleted, keep_versions: keep }
    },
  )

  app.get(
    `${base}/:version`,
    {
      schema: { tags, summary: 'One version by number', params: VersionParams, response: { 200: VersionDto } },
    },
    async (req) => toVersionDto(await versions.get(req.params.agent_id, req.params.version)),
  )

  app.put(
    `${base}/:version`,
    {
      schema: {
        tags,
        summary: "Edit a version's metadata or change description (content never changes)",
        params: VersionParams,
        body: AnnotateVersionBody,
        response: { 200: VersionDto },
      },
    },
    async (req) => {
      const { metadata, change_description: changeDescription } = req.body
      return toVersionDto(await versions.annotate(req.params.agent_id, req.params.version, { metadata, changeDescription }))
    },
  )

  app.delete(
    `${base}/:version`,
    {
      schema: { tags, summary: 'Delete an old version (409 for the current one)', params: VersionParams, response: { 200: MessageDto } },
    },
    async (req) => {
      await versions.delete(req.params.agent_id, req.params.version)
      return { message: `Version ${req.params.version} removed` }
    },
  )
}
