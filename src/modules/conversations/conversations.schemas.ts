// Wire shapes of /api/conversations: the Conductor's shapes for the endpoints the original
// proxied (conductor-backend.md §2.1), the original gateway's for the rest (§2.7), and what
// the client reads (web-client-contract.md §2.5).
import { z } from 'zod'
import { toIso } from '../../platform/clock.js'
import { PathId, QueryBool, queryInt } from '../../platform/http/query.js'
import { MAX_MESSAGES_LIMIT, DEFAULT_MESSAGES_LIMIT, type Conversation, type ConversationSummary, type Message } from './conversations.model.js'
import { AgentInfoBody, AgentInfoDto, MessageDto, messagesLimit, toAgentInfoDto, toMessageDto } from './messages.schemas.js'

const TITLE_RULE = 'must be 3–100 characters'

export const ConversationParams = z.object({ conversation_id: PathId })

export const CreateConversationBody = z.object({
  title: z
    .string()
    .trim()
    .max(100, { message: TITLE_RULE })
    .refine((t) => t === '' || t.length >= 3, { message: TITLE_RULE })
    .nullable()
    .optional()
    .describe('3–100 characters; empty or absent: "Conversa <date time>"'),
  active_agent: AgentInfoBody.nullable().optional().describe('First agent; it also becomes a participant'),
  screenplay_id: z.string().max(256).nullable().optional(),
  context: z.string().nullable().optional().describe('Markdown context given to every agent of the conversation'),
  allowed_agents: z.array(z.string().max(256)).max(500).nullable().optional().describe('Agent ids allowed here (null: any)'),
  max_chain_depth: z.number().int().min(1).max(100).nullable().optional().describe('Autonomous delegation hops (default 10; null: global)'),
  auto_delegate: z.boolean().optional().describe('Agents may hand over to each other without a human (default true)'),
})

export const ListConversationsQuery = z.object({
  limit: queryInt({ min: 1, max: 100, default: 20 }),
  skip: queryInt({ min: 0, default: 0 }),
  screenplay_id: z.string().optional(),
  include_deleted: QueryBool.default(false),
})

export const GetConversationQuery = z.object({
  include_deleted: QueryBool.default(false).describe('Answer for a soft-deleted conversation too (404 otherwise)'),
  messages_limit: messagesLimit(
    `Newest N messages returned (1–${MAX_MESSAGES_LIMIT}, default ${DEFAULT_MESSAGES_LIMIT}); message_count has the total`,
  ),
  messages_before: z.string().optional().describe('Only messages older than this message id (to page back)'),
})

export const TitleQuery = z.object({ new_title: z.string().trim().min(3, { message: TITLE_RULE }).max(100, { message: TITLE_RULE }) })
export const ContextBody = z.object({ context: z.string().nullable().describe('Markdown; null clears it') })
export const ActiveAgentBody = z.object({ agent_info: AgentInfoBody })

export const SettingsBody = z.object({
  auto_delegate: z.boolean().nullable().optional().describe('null or absent: unchanged'),
  max_chain_depth: z.number().int().min(0).max(100).nullable().optional().describe('0: back to the global default; null or absent: unchanged'),
})

// Well inside a 32-bit integer column, so "after the others" (max + 1) and a clone's
// position (original + 1) never overflow it.
const DISPLAY_ORDER_LIMIT = 1_000_000_000
const DisplayOrder = z
  .number()
  .int({ message: 'must be a whole number' })
  .min(-DISPLAY_ORDER_LIMIT, { message: `must be between -${DISPLAY_ORDER_LIMIT} and ${DISPLAY_ORDER_LIMIT}` })
  .max(DISPLAY_ORDER_LIMIT, { message: `must be between -${DISPLAY_ORDER_LIMIT} and ${DISPLAY_ORDER_LIMIT}` })

export const ReorderBody = z.object({
  order_updates: z
    .array(z.object({ conversation_id: z.string(), display_order: DisplayOrder }))
    .min(1, { message: 'must list at least one conversation' })
    .max(1000),
})

const conversationCore = {
  conversation_id: z.string(),
  title: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  screenplay_id: z.string().nullable(),
  context: z.string().nullable(),
  display_order: z.number().int(),
  message_count: z.number().int(),
  isDeleted: z.boolean(),
}

export const ConversationListItemDto = z.object({ ...conversationCore, participant_count: z.number().int() })

export const ConversationListDto = z.object({
  success: z.boolean(),
  count: z.number().int().describe('Conversations in this page'),
  total: z.number().int().describe('Conversations matching the filter'),
  conversations: z.array(ConversationListItemDto),
})

export const ConversationDto = z.object({
  ...conversationCore,
  active_agent: AgentInfoDto.nullable(),
  participants: z.array(AgentInfoDto),
  messages: z.array(MessageDto).describe('The newest messages (see messages_limit), oldest first'),
  has_more_messages: z.boolean().describe('Older messages exist before the first one returned'),
  allowed_agents: z.array(z.string()).nullable(),
  max_chain_depth: z.number().int().nullable(),
  auto_delegate: z.boolean(),
})

export const CreatedConversationDto = z.object({ conversation_id: z.string(), title: z.string(), created_at: z.string() })
export const SuccessDto = z.object({ success: z.boolean(), message: z.string() })
export const TitleDto = z.object({ ...SuccessDto.shape, new_title: z.string() })
export const ReorderDto = z.object({ ...SuccessDto.shape, updated_count: z.number().int() })
export const DeleteConversationDto = z.object({
  ...SuccessDto.shape,
  conversation_id: z.string(),
  instances_deleted: z.number().int().describe('Agent instances hidden with the conversation'),
})
export const CloneDto = z.object({
  ...SuccessDto.shape,
  original_conversation_id: z.string(),
  cloned_conversation: ConversationDto,
  instance_id_map: z.record(z.string(), z.string()).describe('Old agent instance id → the copy made for the clone'),
})
export const ContextUploadDto = z.object({
  ...SuccessDto.shape,
  filename: z.string(),
  size: z.number().int().describe('Characters in the file'),
  preview: z.string().describe('The first 200 characters, with "..." when there are more'),
})

function toCoreDto(c: ConversationSummary | Conversation) {
  return {
    conversation_id: c.id,
    title: c.title,
    created_at: toIso(c.createdAt),
    updated_at: toIso(c.updatedAt),
    screenplay_id: c.screenplayId,
    context: c.context,
    display_order: c.displayOrder,
    message_count: c.messageCount,
    isDeleted: c.isDeleted,
  }
}

export function toConversationListItemDto(c: ConversationSummary): z.output<typeof ConversationListItemDto> {
  return { ...toCoreDto(c), participant_count: c.participantCount }
}

export function toConversationDto(c: Conversation, messages: Message[], hasMoreMessages: boolean): z.output<typeof ConversationDto> {
  return {
    ...toCoreDto(c),
    active_agent: c.activeAgent ? toAgentInfoDto(c.activeAgent) : null,
    participants: c.participants.map(toAgentInfoDto),
    messages: messages.map(toMessageDto),
    has_more_messages: hasMoreMessages,
    allowed_agents: c.allowedAgents,
    max_chain_depth: c.maxChainDepth,
    auto_delegate: c.autoDelegate,
  }
}
