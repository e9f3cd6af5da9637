// HTTP for /api/agents/{agent_id}/persona and /api/agents/personas (original-gateway.md §2.3).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { toIso } from '../../platform/clock.js'
import {
  AgentParams,
  CreatePersonaBody,
  ListPersonasQuery,
  PermanentPersonaBody,
  PermanentPersonaDto,
  PersonaDto,
  PersonaListDto,
  PersonaStateDto,
  PersonaStatsDto,
  UpdatePersonaBody,
  ValidatePersonaDto,
  ValidatePersonaQuery,
  toContentStatsDto,
  toPersonaDto,
} from './personas.schemas.js'
import type { PersonasService } from './personas.service.js'

const tags = ['personas']

export const personasRoutes: FastifyPluginAsyncZod<{ personas: PersonasService }> = async (app, { personas }) => {
  app.get(
    '/api/agents/personas',
    {
      schema: {
        tags,
        summary: 'List current personas, most recently changed first',
        querystring: ListPersonasQuery,
        response: { 200: PersonaListDto },
      },
    },
    async (req) => {
      const { page, per_page: perPage, agent_id: agentId } = req.query
      const result = await personas.list(page, perPage, agentId)
      return {
        personas: result.items.map(toPersonaDto),
        total: result.total,
        page,
        per_page: perPage,
        has_next: result.hasNext,
        has_prev: result.hasPrev,
      }
    },
  )

  app.post(
    '/api/agents/:agent_id/persona',
    {
      schema: {
        tags,
        summary: 'Create the persona of an agent that has none (version 1 or the next)',
        params: AgentParams,
        body: CreatePersonaBody,
        response: { 201: PersonaDto },
      },
    },
    async (req, reply) => {
      const created = await personas.create(req.params.agent_id, req.body.content, req.body.metadata)
      return reply.code(201).send(toPersonaDto(created))
    },
  )

  app.get(
    '/api/agents/:agent_id/persona',
    {
      schema: { tags, summary: 'The current persona of an agent', params: AgentParams, response: { 200: PersonaStateDto } },
    },
    async (req) => {
      const agentId = req.params.agent_id
      const current = await personas.find(agentId)
      if (!current) return { agent_id: agentId, persona_content: '', has_persona: false }
      return {
        agent_id: agentId,
        persona_content: current.version.content,
        has_persona: true,
        id: current.persona.id,
        version: current.version.version,
        content_hash: current.version.contentHash,
        created_at: toIso(current.persona.createdAt),
        updated_at: toIso(current.version.createdAt),
      }
    },
  )

  app.put(
    '/api/agents/:agent_id/persona',
    {
      schema: {
        tags,
        summary: 'Replace the persona content (records a new version)',
        params: AgentParams,
        body: UpdatePersonaBody,
        response: { 200: PersonaDto },
      },
    },
    async (req) => {
      const { content, metadata, reason } = req.body
      return toPersonaDto(await personas.update(req.params.agent_id, content, { metadata, reason }))
    },
  )

  app.put(
    '/api/agents/:agent_id/persona/permanent',
    {
      schema: {
        tags,
        summary: "The client's 'save to database': set the persona, creating it if needed",
        params: AgentParams,
        body: PermanentPersonaBody,
        response: { 200: PermanentPersonaDto },
      },
    },
    async (req) => {
      const agentId = req.params.agent_id
      const legacyReason = req.body.metadata?.reason
      const reason = req.body.reason || (typeof legacyReason === 'string' && legacyReason) || 'Edited in the web client'
      const version = await personas.savePermanent(agentId, req.body.content, reason)
      return {
        success: true as const,
        message: `Persona of agent '${agentId}' saved as version ${version.version}`,
        agent_id: agentId,
        version: version.version,
      }
    },
  )

  app.delete(
    '/api/agents/:agent_id/persona',
    {
      schema: { tags, summary: 'Remove the persona (its version history is kept)', params: AgentParams, response: { 204: z.undefined() } },
    },
    async (req, reply) => {
      await personas.delete(req.params.agent_id)
      return reply.code(204).send()
    },
  )

  app.get(
    '/api/agents/:agent_id/persona/validate',
    {
      schema: {
        tags,
        summary: 'Check persona content without saving it',
        params: AgentParams,
        querystring: ValidatePersonaQuery,
        response: { 200: ValidatePersonaDto },
      },
    },
    async (req) => {
      const result = await personas.validate(req.params.agent_id, req.query.content)
      const validation =
        result.isValid && result.stats
          ? { is_valid: true as const, content_length: result.contentLength ?? 0, stats: toContentStatsDto(result.stats) }
          : null
      return { is_valid: result.isValid, message: result.message, validation }
    },
  )

  app.get(
    '/api/agents/:agent_id/persona/stats',
    {
      schema: { tags, summary: 'Size and markdown statistics of the current persona', params: AgentParams, response: { 200: PersonaStatsDto } },
    },
    async (req) => {
      const { current, stats } = await personas.stats(req.params.agent_id)
      return {
        persona_id: current.persona.id,
        agent_id: current.persona.agentId,
        version: current.version.version,
        created_at: toIso(current.persona.createdAt),
        updated_at: toIso(current.version.createdAt),
        content_stats: toContentStatsDto(stats),
        metadata: current.persona.metadata,
      }
    },
  )
}
