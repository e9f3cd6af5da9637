// HTTP for /api/conversations and the conversation itself: parse, call the service, map to the wire.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { toIso } from '../../platform/clock.js'
import {
  ActiveAgentBody,
  CloneDto,
  ConversationDto,
  ConversationListDto,
  ConversationParams,
  CreateConversationBody,
  CreatedConversationDto,
  DeleteConversationDto,
  GetConversationQuery,
  ListConversationsQuery,
  ReorderBody,
  ReorderDto,
  SettingsBody,
  SuccessDto,
  TitleDto,
  TitleQuery,
  toConversationDto,
  toConversationListItemDto,
} from './conversations.schemas.js'
import type { ConversationsService } from './conversations.service.js'
import { toAgentInfo } from './messages.schemas.js'

const tags = ['conversations']

export const conversationsRoutes: FastifyPluginAsyncZod<{ conversations: ConversationsService }> = async (app, { conversations }) => {
  // The client posts to /api/conversations/ (trailing slash); the app ignores trailing slashes.
  app.post(
    '/api/conversations',
    {
      schema: { tags, summary: 'Create a conversation', body: CreateConversationBody, response: { 200: CreatedConversationDto } },
    },
    async (req) => {
      const { title, active_agent: agent, screenplay_id: screenplayId, context, allowed_agents: allowedAgents } = req.body
      const created = await conversations.create({
        title,
        activeAgent: agent ? toAgentInfo(agent) : agent,
        screenplayId,
        context,
        allowedAgents,
        maxChainDepth: req.body.max_chain_depth,
        autoDelegate: req.body.auto_delegate,
      })
      return { conversation_id: created.id, title: created.title, created_at: toIso(created.createdAt) }
    },
  )

  app.get(
    '/api/conversations',
    {
      schema: {
        tags,
        summary: 'List conversations (without their messages)',
        querystring: ListConversationsQuery,
        response: { 200: ConversationListDto },
      },
    },
    async (req) => {
      const { limit, skip, screenplay_id: screenplayId, include_deleted: includeDeleted } = req.query
      const { items, total } = await conversations.list({ limit, skip, screenplayId, includeDeleted })
      return { success: true, count: items.length, total, conversations: items.map(toConversationListItemDto) }
    },
  )

  app.patch(
    '/api/conversations/reorder',
    {
      schema: { tags, summary: 'Set the display order of conversations', body: ReorderBody, response: { 200: ReorderDto } },
    },
    async (req) => {
      const count = await conversations.reorder(
        req.body.order_updates.map((u) => ({ conversationId: u.conversation_id, displayOrder: u.display_order })),
      )
      return { success: true, message: `Ordem atualizada para ${count} conversas`, updated_count: count }
    },
  )

  app.get(
    '/api/conversations/:conversation_id',
    {
      schema: {
        tags,
        summary: 'Get a conversation with its newest messages',
        params: ConversationParams,
        querystring: GetConversationQuery,
        response: { 200: ConversationDto },
      },
    },
    async (req) => {
      const { include_deleted: includeDeleted, messages_limit: limit, messages_before: beforeMessageId } = req.query
      const found = await conversations.getWithMessages(req.params.conversation_id, { includeDeleted, limit, beforeMessageId })
      return toConversationDto(found.conversation, found.messages, found.hasMore)
    },
  )

  app.delete(
    '/api/conversations/:conversation_id',
    {
      schema: {
        tags,
        summary: 'Soft-delete a conversation and hide its agent instances',
        params: ConversationParams,
        response: { 200: DeleteConversationDto },
      },
    },
    async (req) => {
      const { instancesDeleted } = await conversations.delete(req.params.conversation_id)
      return {
        success: true,
        message: 'Conversa deletada com sucesso',
        conversation_id: req.params.conversation_id,
        instances_deleted: instancesDeleted,
      }
    },
  )

  app.put(
    '/api/conversations/:conversation_id/active-agent',
    {
      schema: {
        tags,
        summary: 'Choose the agent that answers next',
        params: ConversationParams,
        body: ActiveAgentBody,
        response: { 200: SuccessDto },
      },
    },
    async (req) => {
      await conversations.setActiveAgent(req.params.conversation_id, toAgentInfo(req.body.agent_info))
      return { success: true, message: 'Agente ativo atualizado com sucesso' }
    },
  )

  app.patch(
    '/api/conversations/:conversation_id/title',
    {
      schema: {
        tags,
        summary: 'Rename a conversation (query new_title)',
        params: ConversationParams,
        querystring: TitleQuery,
        response: { 200: TitleDto },
      },
    },
    async (req) => {
      const updated = await conversations.setTitle(req.params.conversation_id, req.query.new_title)
      return { success: true, message: 'Título atualizado com sucesso', new_title: updated.title }
    },
  )

  app.patch(
    '/api/conversations/:conversation_id/settings',
    {
      schema: { tags, summary: 'Change delegation settings', params: ConversationParams, body: SettingsBody, response: { 200: SuccessDto } },
    },
    async (req) => {
      await conversations.updateSettings(req.params.conversation_id, {
        autoDelegate: req.body.auto_delegate ?? undefined,
        maxChainDepth: req.body.max_chain_depth ?? undefined,
      })
      return { success: true, message: 'Settings updated' }
    },
  )

  app.post(
    '/api/conversations/:conversation_id/clone',
    {
      schema: { tags, summary: 'Copy a conversation with its messages and agent instances', params: ConversationParams, response: { 200: CloneDto } },
    },
    async (req) => {
      const { conversation, messages, hasMore, instanceIdMap } = await conversations.clone(req.params.conversation_id)
      return {
        success: true,
        message: 'Conversa clonada com sucesso',
        original_conversation_id: req.params.conversation_id,
        cloned_conversation: toConversationDto(conversation, messages, hasMore),
        instance_id_map: instanceIdMap,
      }
    },
  )
}
