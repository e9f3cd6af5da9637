// HTTP for the agent catalog: /api/agents, /api/agents/{agent_id}, /api/agents/suggest.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import {
  AgentDto,
  AgentParams,
  CreateAgentBody,
  CreatedAgentDto,
  DeletedAgentDto,
  PatchAgentDto,
  PutAgentDto,
  SuggestBody,
  SuggestDto,
  SuggestQuery,
  UpdateAgentBody,
  toAgentDto,
  toAgentInput,
  toSuggestionDto,
  toWireFields,
} from './agents.schemas.js'
import type { AgentsService } from './agents.service.js'

const tags = ['agents']

export const agentsRoutes: FastifyPluginAsyncZod<{ agents: AgentsService }> = async (app, { agents }) => {
  app.get(
    '/api/agents',
    {
      schema: { tags, summary: 'The agent catalog (a bare array; id and agent_id carry the same value)', response: { 200: z.array(AgentDto) } },
    },
    async () => (await agents.list()).map(toAgentDto),
  )

  app.post(
    '/api/agents',
    {
      schema: { tags, summary: 'Create an agent; its name is its id', body: CreateAgentBody, response: { 201: CreatedAgentDto } },
    },
    async (req, reply) => {
      const { agent, personaVersion } = await agents.create({ ...toAgentInput(req.body), name: req.body.name, description: req.body.description })
      return reply
        .code(201)
        .send({ status: 'success' as const, agent_id: agent.agentId, message: `Agent '${agent.agentId}' created`, persona_version: personaVersion })
    },
  )

  app.post(
    '/api/agents/suggest',
    {
      config: { expensive: true },
      schema: {
        tags,
        summary: 'Rank the catalog against a message (local text relevance)',
        querystring: SuggestQuery,
        body: SuggestBody,
        response: { 200: SuggestDto },
      },
    },
    async (req) => {
      const result = await agents.suggest(req.body.message, req.body.current_agent_id)
      const suggested = result.suggested ? toSuggestionDto(result.suggested) : null
      const answer = {
        suggested,
        alternatives: result.alternatives.map(toSuggestionDto),
        current_is_best: result.currentIsBest,
        message: result.message,
        source: 'local' as const,
      }
      if (!req.query.compare) return answer
      const slot = { suggested, source: 'local' as const, engine: 'bm25' }
      return { ...answer, knowledge_hub: slot, qdrant_local: slot, winner: suggested ? ('tie' as const) : ('none' as const) }
    },
  )

  app.get(
    '/api/agents/:agent_id',
    {
      schema: { tags, summary: 'One agent of the catalog', params: AgentParams, response: { 200: AgentDto } },
    },
    async (req) => toAgentDto(await agents.get(req.params.agent_id)),
  )

  app.put(
    '/api/agents/:agent_id',
    {
      schema: {
        tags,
        summary: 'Update fields of an agent (persona_content records a persona version)',
        params: AgentParams,
        body: UpdateAgentBody,
        response: { 200: PutAgentDto },
      },
    },
    async (req) => {
      const agentId = req.params.agent_id
      const { updatedFields } = await agents.update(agentId, toAgentInput(req.body))
      const message = updatedFields.length === 0 ? 'No fields to update' : `Agent '${agentId}' updated successfully`
      return { status: 'success' as const, agent_id: agentId, updated_fields: toWireFields(updatedFields), message }
    },
  )

  app.patch(
    '/api/agents/:agent_id',
    {
      schema: {
        tags,
        summary: 'Update fields of an agent (MCP servers, executor defaults, …)',
        params: AgentParams,
        body: UpdateAgentBody,
        response: { 200: PatchAgentDto },
      },
    },
    async (req) => {
      const { agent } = await agents.update(req.params.agent_id, toAgentInput(req.body))
      return { success: true as const, agent: toAgentDto(agent), message: `Agent '${agent.agentId}' updated successfully` }
    },
  )

  app.delete(
    '/api/agents/:agent_id',
    {
      schema: {
        tags,
        summary: 'Remove an agent from the catalog (soft: its instances and persona history still read)',
        params: AgentParams,
        response: { 200: DeletedAgentDto },
      },
    },
    async (req) => {
      await agents.delete(req.params.agent_id)
      return { success: true as const, agent_id: req.params.agent_id, message: `Agent '${req.params.agent_id}' deleted successfully` }
    },
  )
}
