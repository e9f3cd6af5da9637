// Wire shapes of conversation messages and agent info (conductor-backend.md §2.1 and §4.2,
// original-gateway.md §2.7). Message flags keep the legacy camelCase the client reads.
import { z } from 'zod'
import { toIso } from '../../platform/clock.js'
import { PathId, queryInt } from '../../platform/http/query.js'
import { DEFAULT_MESSAGES_LIMIT, MAX_MESSAGES_LIMIT, MESSAGE_STATUSES, MESSAGE_TYPES, type AgentInfo, type Message } from './conversations.model.js'

const Id = z.string().min(1, { message: 'cannot be empty' }).max(256, { message: 'cannot exceed 256 characters' })

export const AgentInfoBody = z.object({
  agent_id: Id,
  instance_id: Id,
  name: z.string().max(200, { message: 'cannot exceed 200 characters' }),
  emoji: z.string().max(32, { message: 'cannot exceed 32 characters' }).nullable().optional(),
})

export const AgentInfoDto = z.object({
  agent_id: z.string(),
  instance_id: z.string(),
  name: z.string(),
  emoji: z.string().nullable(),
})

export function toAgentInfo(body: z.output<typeof AgentInfoBody>): AgentInfo {
  return { agentId: body.agent_id, instanceId: body.instance_id, name: body.name, emoji: body.emoji ?? null }
}

export function toAgentInfoDto(agent: AgentInfo): z.output<typeof AgentInfoDto> {
  return { agent_id: agent.agentId, instance_id: agent.instanceId, name: agent.name, emoji: agent.emoji }
}

export const MessageParams = z.object({ conversation_id: PathId, message_id: PathId })

/** Limit of the message window GET answers with (both the conversation and its /messages). */
export function messagesLimit(description: string) {
  return queryInt({ min: 1, max: MAX_MESSAGES_LIMIT, default: DEFAULT_MESSAGES_LIMIT }).describe(description)
}

export const ListMessagesQuery = z.object({
  limit: messagesLimit(`Newest N messages (1–${MAX_MESSAGES_LIMIT}, default ${DEFAULT_MESSAGES_LIMIT})`),
  before: z.string().optional().describe('Only messages older than this message id (to page back)'),
})

export const AddMessagesBody = z.object({
  user_input: z.string().nullable().optional().describe('Adds a user message when not empty'),
  agent_response: z.string().nullable().optional().describe('Adds a bot message when agent_info is given too'),
  agent_info: AgentInfoBody.nullable().optional(),
})

export const MessageDto = z.object({
  id: z.string(),
  type: z.enum(MESSAGE_TYPES),
  content: z.string(),
  timestamp: z.string(),
  agent: AgentInfoDto.optional(),
  status: z.enum(MESSAGE_STATUSES).optional(),
  task_id: z.string().optional().describe('The run that produced this message, or that it triggered'),
  completed_at: z.string().optional(),
  isDeleted: z.boolean(),
  isHidden: z.boolean(),
  hiddenAt: z.string().optional(),
})

export const AddMessagesDto = z.object({ success: z.boolean(), message: z.string(), message_ids: z.array(z.string()) })

export const MessageListDto = z.object({
  conversation_id: z.string(),
  total: z.number().int().describe('Messages in the conversation'),
  count: z.number().int().describe('Messages in this answer'),
  has_more: z.boolean().describe('Older messages exist before the first one returned'),
  messages: z.array(MessageDto),
})

export const DeleteMessageDto = z.object({
  success: z.boolean(),
  message: z.string(),
  details: z.object({ conversations_updated: z.number().int(), tasks_updated: z.number().int() }),
})

export const ToggleMessageDto = z.object({ success: z.boolean(), message: z.string(), isDeleted: z.boolean() })
export const HideMessageDto = z.object({ success: z.boolean(), message: z.string(), isHidden: z.boolean() })

/** Optional fields are left out when empty, as they were absent from the original documents. */
export function toMessageDto(m: Message): z.output<typeof MessageDto> {
  return {
    id: m.id,
    type: m.type,
    content: m.content,
    timestamp: toIso(m.createdAt),
    ...(m.agent && { agent: toAgentInfoDto(m.agent) }),
    ...(m.status && { status: m.status }),
    ...(m.taskId && { task_id: m.taskId }),
    ...(m.completedAt !== null && { completed_at: toIso(m.completedAt) }),
    isDeleted: m.isDeleted,
    isHidden: m.isHidden,
    ...(m.hiddenAt !== null && { hiddenAt: toIso(m.hiddenAt) }),
  }
}
