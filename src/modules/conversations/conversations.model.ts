// The conversation domain as the rest of the app sees it (camelCase, epoch-millisecond times).
// Conversations own their messages; messages are rows of their own, ordered by `seq`.

export const MESSAGE_TYPES = ['user', 'bot', 'system', 'delegation'] as const
export type MessageType = (typeof MESSAGE_TYPES)[number]

/** Reads of messages are windows: the newest N (default below), never the whole conversation. */
export const DEFAULT_MESSAGES_LIMIT = 500
export const MAX_MESSAGES_LIMIT = 2000

export const MESSAGE_STATUSES = ['pending', 'completed', 'error'] as const
export type MessageStatus = (typeof MESSAGE_STATUSES)[number]

/** An agent instance taking part in a conversation (the client's `agent_info`). */
export interface AgentInfo {
  agentId: string
  instanceId: string
  name: string
  emoji: string | null
}

export interface ConversationSummary {
  id: string
  title: string
  screenplayId: string | null
  context: string | null
  displayOrder: number
  messageCount: number
  participantCount: number
  isDeleted: boolean
  createdAt: number
  updatedAt: number
}

export interface Conversation extends Omit<ConversationSummary, 'participantCount'> {
  activeAgent: AgentInfo | null
  participants: AgentInfo[]
  /** Agent ids allowed to take part (the squad); null means any agent. */
  allowedAgents: string[] | null
  /** Per-conversation limit of autonomous delegation hops; null means the global default. */
  maxChainDepth: number | null
  autoDelegate: boolean
  deletedAt: number | null
}

export interface Message {
  id: string
  conversationId: string
  /** Position in the conversation: 1, 2, 3… assigned atomically on append. */
  seq: number
  type: MessageType
  content: string
  agent: AgentInfo | null
  status: MessageStatus | null
  /** The run that produced this message (bot) or that it triggered (user). */
  taskId: string | null
  isDeleted: boolean
  isHidden: boolean
  hiddenAt: number | null
  completedAt: number | null
  createdAt: number
}

/** A message to append; the conversation assigns id (unless given), seq and timestamp. */
export interface NewMessage {
  id?: string
  type: MessageType
  content: string
  agent?: AgentInfo | null
  status?: MessageStatus | null
  taskId?: string | null
  completedAt?: number | null
}

export interface MessagePatch {
  content?: string
  status?: MessageStatus
  completedAt?: number | null
  taskId?: string | null
}

export interface MessageWindow {
  messages: Message[]
  /** True when older messages exist before the first one returned. */
  hasMore: boolean
}

/** Conductor's default for autonomous delegation hops in a new conversation. */
export const DEFAULT_MAX_CHAIN_DEPTH = 10

/**
 * The participants with `agent` added when none is that agent instance (participants are keyed
 * by instance: two instances of one agent are two participants); the same array otherwise.
 */
export function withParticipant(participants: AgentInfo[], agent: AgentInfo): AgentInfo[] {
  return participants.some((p) => p.instanceId === agent.instanceId) ? participants : [...participants, agent]
}
