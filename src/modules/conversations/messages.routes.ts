// HTTP for a conversation's messages: append, read a window, delete / toggle / hide one.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { ConversationParams } from './conversations.schemas.js'
import type { ConversationsService } from './conversations.service.js'
import {
  AddMessagesBody,
  AddMessagesDto,
  DeleteMessageDto,
  HideMessageDto,
  ListMessagesQuery,
  MessageListDto,
  MessageParams,
  ToggleMessageDto,
  toAgentInfo,
  toMessageDto,
} from './messages.schemas.js'

const tags = ['conversations']

export const messagesRoutes: FastifyPluginAsyncZod<{ conversations: ConversationsService }> = async (app, { conversations }) => {
  app.post(
    '/api/conversations/:conversation_id/messages',
    {
      schema: {
        tags,
        summary: 'Append a user message and/or an agent reply',
        params: ConversationParams,
        body: AddMessagesBody,
        response: { 200: AddMessagesDto },
      },
    },
    async (req) => {
      const { user_input: userInput, agent_response: agentResponse, agent_info: agentInfo } = req.body
      const added = await conversations.addExchange(req.params.conversation_id, {
        userInput,
        agentResponse,
        agentInfo: agentInfo ? toAgentInfo(agentInfo) : null,
      })
      return { success: true, message: 'Mensagem adicionada com sucesso', message_ids: added.map((m) => m.id) }
    },
  )

  app.get(
    '/api/conversations/:conversation_id/messages',
    {
      schema: {
        tags,
        summary: 'The newest messages of a conversation',
        params: ConversationParams,
        querystring: ListMessagesQuery,
        response: { 200: MessageListDto },
      },
    },
    async (req) => {
      const { conversation, messages, hasMore } = await conversations.getWithMessages(req.params.conversation_id, {
        limit: req.query.limit,
        beforeMessageId: req.query.before,
      })
      return {
        conversation_id: conversation.id,
        total: conversation.messageCount,
        count: messages.length,
        has_more: hasMore,
        messages: messages.map(toMessageDto),
      }
    },
  )

  app.put(
    '/api/conversations/:conversation_id/messages/:message_id/delete',
    {
      schema: { tags, summary: 'Mark a message deleted, and the tasks it produced', params: MessageParams, response: { 200: DeleteMessageDto } },
    },
    async (req) => {
      const { tasksUpdated } = await conversations.deleteMessage(req.params.conversation_id, req.params.message_id)
      return { success: true, message: 'Mensagem marcada como deletada', details: { conversations_updated: 1, tasks_updated: tasksUpdated } }
    },
  )

  app.put(
    '/api/conversations/:conversation_id/messages/:message_id/toggle',
    {
      schema: { tags, summary: 'Disable or re-enable a message', params: MessageParams, response: { 200: ToggleMessageDto } },
    },
    async (req) => {
      const message = await conversations.toggleMessage(req.params.conversation_id, req.params.message_id)
      return { success: true, message: message.isDeleted ? 'Mensagem disabled' : 'Mensagem enabled', isDeleted: message.isDeleted }
    },
  )

  app.put(
    '/api/conversations/:conversation_id/messages/:message_id/hide',
    {
      schema: { tags, summary: 'Hide a message for good', params: MessageParams, response: { 200: HideMessageDto } },
    },
    async (req) => {
      const message = await conversations.hideMessage(req.params.conversation_id, req.params.message_id)
      return { success: true, message: 'Mensagem ocultada permanentemente', isHidden: message.isHidden }
    },
  )
}
