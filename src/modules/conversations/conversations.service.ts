// Conversation rules: conversations and their messages, owned by the gateway (the original
// proxied half of them to the Python Conductor). Appends are atomic, reads are bounded, soft
// deletes run their cascades (hooks) inside the deleting transaction.
import type { UnitOfWork, Transactor } from '../../platform/db/unit-of-work.js'
import type { Clock } from '../../platform/clock.js'
import { isUniqueViolation } from '../../platform/db/errors.js'
import { BadRequestError, ConflictError, NotFoundError } from '../../platform/http/errors.js'
import { newUuid } from '../../platform/ids.js'
import { cloneConversation, type ConversationCloneHook } from './conversation-clone.js'
import { assertMarkdownFilename, decodeMarkdown, describeText, type UploadedFile } from './context-file.js'
import {
  DEFAULT_MAX_CHAIN_DEPTH,
  DEFAULT_MESSAGES_LIMIT,
  withParticipant,
  type AgentInfo,
  type Conversation,
  type ConversationSummary,
  type Message,
  type MessagePatch,
  type MessageWindow,
  type NewMessage,
} from './conversations.model.js'
import type { ConversationsRepo } from './conversations.repo.js'
import type { MessagesRepo } from './messages.repo.js'

/** Runs inside the deleting transaction; may return how many dependants it hid (instances). */
export type ConversationDeletionHook = (conversationId: string, now: number, tx: UnitOfWork) => Promise<number> | Promise<void>

/** Runs inside the message-deleting transaction; returns how many tasks/runs it marked. */
export type MessageDeletionHook = (conversationId: string, messageId: string, taskId: string | null, now: number, tx: UnitOfWork) => Promise<number>

export interface CreateConversationInput {
  title?: string | null
  activeAgent?: AgentInfo | null
  screenplayId?: string | null
  context?: string | null
  allowedAgents?: string[] | null
  maxChainDepth?: number | null
  autoDelegate?: boolean
}

export class ConversationsService {
  private readonly deletionHooks: ConversationDeletionHook[] = []
  private readonly messageDeletionHooks: MessageDeletionHook[] = []
  private readonly cloneHooks: ConversationCloneHook[] = []

  constructor(
    private readonly deps: {
      repo: ConversationsRepo
      messages: MessagesRepo
      clock: Clock
      transact: Transactor
    },
  ) {}

  /** Registers work that must happen when a conversation is soft-deleted (its instances…). */
  onDelete(hook: ConversationDeletionHook): void {
    this.deletionHooks.push(hook)
  }

  /** Registers what copies another module's share of a conversation into its clone (its instances). */
  onClone(hook: ConversationCloneHook): void {
    this.cloneHooks.push(hook)
  }

  /** Registers work that must happen when a message is deleted (the tasks it produced). */
  onMessageDeleted(hook: MessageDeletionHook): void {
    this.messageDeletionHooks.push(hook)
  }

  async create(input: CreateConversationInput): Promise<Conversation> {
    const now = this.deps.clock.now()
    const activeAgent = input.activeAgent ?? null
    return this.deps.repo.insert({
      id: newUuid(),
      // compat: Conductor names untitled conversations "Conversa YYYY-MM-DD HH:MM" (UTC).
      title: input.title || `Conversa ${new Date(now).toISOString().slice(0, 16).replace('T', ' ')}`,
      screenplayId: input.screenplayId ?? null,
      context: input.context ?? null,
      activeAgent,
      participants: activeAgent ? [activeAgent] : [],
      allowedAgents: input.allowedAgents ?? null,
      maxChainDepth: input.maxChainDepth === undefined ? DEFAULT_MAX_CHAIN_DEPTH : input.maxChainDepth,
      autoDelegate: input.autoDelegate ?? true,
      isDeleted: false,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    })
  }

  async list(input: {
    screenplayId?: string
    includeDeleted: boolean
    skip: number
    limit: number
  }): Promise<{ items: ConversationSummary[]; total: number }> {
    return this.deps.repo.list({ screenplayId: input.screenplayId, includeDeleted: input.includeDeleted, offset: input.skip, limit: input.limit })
  }

  /** A live conversation, or undefined. */
  find(id: string): Promise<Conversation | undefined> {
    return this.deps.repo.findById(id)
  }

  async get(id: string, options: { includeDeleted?: boolean } = {}): Promise<Conversation> {
    return (await this.deps.repo.findById(id, options)) ?? conversationNotFound(id)
  }

  /**
   * The conversation with a bounded window of its messages: the newest `limit` (default
   * DEFAULT_MESSAGES_LIMIT), or the newest before message `beforeMessageId`; oldest first.
   */
  async getWithMessages(
    id: string,
    options: { includeDeleted?: boolean; limit?: number; beforeMessageId?: string } = {},
  ): Promise<{ conversation: Conversation } & MessageWindow> {
    const conversation = await this.get(id, options)
    const limit = options.limit ?? DEFAULT_MESSAGES_LIMIT
    let beforeSeq: number | undefined
    if (options.beforeMessageId !== undefined) {
      const before = await this.deps.messages.findById(id, options.beforeMessageId)
      if (!before) throw new NotFoundError(`Mensagem não encontrada: ${options.beforeMessageId}`)
      beforeSeq = before.seq
    }
    const rows = await this.deps.messages.latest(id, { limit: limit + 1, beforeSeq })
    const hasMore = rows.length > limit
    return { conversation, messages: hasMore ? rows.slice(1) : rows, hasMore }
  }

  /** Soft delete; the hooks' counts (instances hidden) are summed. */
  async delete(id: string): Promise<{ instancesDeleted: number }> {
    const now = this.deps.clock.now()
    return this.deps.transact(async (tx) => {
      const deleted = await this.deps.repo.softDelete({ id }, now, tx)
      if (deleted.length === 0) throw new NotFoundError('Conversa não encontrada ou já deletada')
      return { instancesDeleted: await this.runDeletionHooks(id, now, tx) }
    })
  }

  /**
   * Screenplay cascade: soft-deletes its conversations, plus those of `alsoIds` (the conversations
   * its instances talk in) that belong to no other screenplay, running their hooks; returns how many.
   */
  async hideForScreenplay(screenplayId: string, now: number, tx: UnitOfWork, alsoIds: string[] = []): Promise<number> {
    const ids = [
      ...(await this.deps.repo.softDelete({ screenplayId }, now, tx)),
      ...(await this.deps.repo.softDelete({ ids: alsoIds, unownedOf: screenplayId }, now, tx)),
    ]
    for (const id of ids) await this.runDeletionHooks(id, now, tx)
    return ids.length
  }

  /**
   * Appends messages in order as one atomic write: seqs are reserved by a single statement on
   * the conversation row (count and updated_at move with it), so concurrent appends never
   * collide or lose a message. Agents of new messages join the participants.
   */
  async addMessages(conversationId: string, messages: NewMessage[], tx?: UnitOfWork): Promise<Message[]> {
    if (messages.length === 0) return []
    const now = this.deps.clock.now()
    return this.inTransaction(tx, async (tx) => {
      const reserved = await this.deps.repo.reserveMessageSeqs(conversationId, messages.length, now, tx)
      if (!reserved) conversationNotFound(conversationId)
      const participants = messages.reduce((list, m) => (m.agent ? withParticipant(list, m.agent) : list), reserved.participants)
      if (participants !== reserved.participants) await this.deps.repo.update(conversationId, { participants }, tx)
      const rows = newMessageRows(conversationId, messages, reserved.lastSeq - messages.length + 1, now)
      try {
        await this.deps.messages.insertMany(rows, tx)
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError('A message with one of these ids already exists')
        throw err
      }
      return rows
    })
  }

  /** The Conductor's `POST …/messages` rule: a user message and/or a bot reply; 400 when neither. */
  async addExchange(
    conversationId: string,
    input: { userInput?: string | null; agentResponse?: string | null; agentInfo?: AgentInfo | null },
  ): Promise<Message[]> {
    const messages: NewMessage[] = []
    if (input.userInput) messages.push({ type: 'user', content: input.userInput })
    if (input.agentResponse && input.agentInfo) messages.push({ type: 'bot', content: input.agentResponse, agent: input.agentInfo })
    if (messages.length === 0) {
      throw new BadRequestError('Erro ao adicionar mensagem: envie user_input, ou agent_response junto com agent_info')
    }
    return this.addMessages(conversationId, messages)
  }

  /**
   * Fills in the pending bot reply of a run that ended, inside `uow`; a conversation or reply
   * that is gone by then is nothing to update.
   */
  async completeReply(conversationId: string, taskId: string, patch: MessagePatch, uow: UnitOfWork): Promise<void> {
    if (await this.deps.messages.completeReply(conversationId, taskId, patch, uow)) {
      await this.deps.repo.update(conversationId, { updatedAt: this.deps.clock.now() }, uow)
    }
  }

  /** What a prompt may use: the newest `limit` messages not deleted, hidden or pending, oldest first. */
  async historyForPrompt(conversationId: string, limit: number): Promise<Message[]> {
    return this.deps.messages.history(conversationId, limit)
  }

  /** Marks the message deleted and, through the hooks, exactly the tasks it produced. */
  async deleteMessage(conversationId: string, messageId: string): Promise<{ tasksUpdated: number }> {
    const now = this.deps.clock.now()
    let tasksUpdated = 0
    await this.changeMessage(conversationId, undefined, async (tx) => {
      const message = await this.deps.messages.update(conversationId, messageId, { isDeleted: true }, tx)
      if (!message) return undefined
      for (const hook of this.messageDeletionHooks) tasksUpdated += await hook(conversationId, messageId, message.taskId, now, tx)
      return message
    })
    return { tasksUpdated }
  }

  async toggleMessage(conversationId: string, messageId: string): Promise<Message> {
    return this.changeMessage(conversationId, undefined, (tx) => this.deps.messages.toggleDeleted(conversationId, messageId, tx))
  }

  /** Hides for good (there is no un-hide). */
  async hideMessage(conversationId: string, messageId: string): Promise<Message> {
    const now = this.deps.clock.now()
    return this.changeMessage(conversationId, undefined, (tx) =>
      this.deps.messages.update(conversationId, messageId, { isHidden: true, hiddenAt: now }, tx),
    )
  }

  /** Sets the agent answering next; it joins the participants if it was not one. */
  async setActiveAgent(id: string, agent: AgentInfo): Promise<Conversation> {
    return this.deps.transact(async (tx) => {
      const updated = (await this.deps.repo.update(id, { activeAgent: agent, updatedAt: this.deps.clock.now() }, tx)) ?? conversationNotFound(id)
      const participants = withParticipant(updated.participants, agent)
      if (participants === updated.participants) return updated
      return (await this.deps.repo.update(id, { participants }, tx))!
    })
  }

  async setTitle(id: string, title: string): Promise<Conversation> {
    return this.change(id, { title })
  }

  async setContext(id: string, context: string | null): Promise<Conversation> {
    return this.change(id, { context })
  }

  /** undefined leaves a setting as it is; maxChainDepth 0 resets it to the global default (null). */
  async updateSettings(id: string, settings: { autoDelegate?: boolean; maxChainDepth?: number }): Promise<Conversation> {
    const { autoDelegate, maxChainDepth } = settings
    return this.change(id, {
      ...(autoDelegate !== undefined && { autoDelegate }),
      ...(maxChainDepth !== undefined && { maxChainDepth: maxChainDepth === 0 ? null : maxChainDepth }),
    })
  }

  /** Sets display orders in one transaction; unknown or deleted ids are skipped. Returns how many moved. */
  async reorder(updates: Array<{ conversationId: string; displayOrder: number }>): Promise<number> {
    const now = this.deps.clock.now()
    return this.deps.transact(async (tx) => {
      let updated = 0
      for (const { conversationId, displayOrder } of updates) {
        if (await this.deps.repo.update(conversationId, { displayOrder, updatedAt: now }, tx)) updated++
      }
      return updated
    })
  }

  /** Copies the conversation (see conversation-clone.ts); answers with the copy's newest messages. */
  async clone(id: string): Promise<{ conversation: Conversation; instanceIdMap: Record<string, string> } & MessageWindow> {
    const source = await this.get(id)
    const now = this.deps.clock.now()
    const { conversation, instanceIdMap } = await this.deps.transact((tx) =>
      cloneConversation({ ...this.deps, cloneHooks: this.cloneHooks }, source, now, tx),
    )
    return { ...(await this.getWithMessages(conversation.id)), instanceIdMap }
  }

  /** Replaces the context with an uploaded markdown file. */
  async uploadContext(id: string, file: UploadedFile): Promise<{ filename: string; size: number; preview: string }> {
    await this.get(id)
    assertMarkdownFilename(file.filename)
    const content = decodeMarkdown(await file.read())
    await this.setContext(id, content)
    return { filename: file.filename, ...describeText(content) }
  }

  private async change(id: string, changes: Parameters<ConversationsRepo['update']>[1]): Promise<Conversation> {
    return (await this.deps.repo.update(id, { ...changes, updatedAt: this.deps.clock.now() })) ?? conversationNotFound(id)
  }

  /** Touches the live conversation, then applies `write` to one of its messages; 404 for either missing. */
  private async changeMessage(
    conversationId: string,
    tx: UnitOfWork | undefined,
    write: (tx: UnitOfWork) => Promise<Message | undefined>,
  ): Promise<Message> {
    const now = this.deps.clock.now()
    return this.inTransaction(tx, async (tx) => {
      const touched = await this.deps.repo.update(conversationId, { updatedAt: now }, tx)
      const message = touched ? await write(tx) : undefined
      if (!message) throw new NotFoundError('Mensagem ou conversa não encontrada')
      return message
    })
  }

  private inTransaction<T>(tx: UnitOfWork | undefined, work: (tx: UnitOfWork) => Promise<T>): Promise<T> {
    return tx ? work(tx) : this.deps.transact(work)
  }

  private async runDeletionHooks(id: string, now: number, tx: UnitOfWork): Promise<number> {
    let hidden = 0
    for (const hook of this.deletionHooks) hidden += (await hook(id, now, tx)) ?? 0
    return hidden
  }
}

function newMessageRows(conversationId: string, messages: NewMessage[], firstSeq: number, now: number): Message[] {
  return messages.map((m, i) => ({
    id: m.id ?? newUuid(),
    conversationId,
    seq: firstSeq + i,
    type: m.type,
    content: m.content,
    agent: m.agent ?? null,
    status: m.status ?? null,
    taskId: m.taskId ?? null,
    isDeleted: false,
    isHidden: false,
    hiddenAt: null,
    completedAt: m.completedAt ?? null,
    createdAt: now,
  }))
}

function conversationNotFound(id: string): never {
  throw new NotFoundError(`Conversa não encontrada: ${id}`)
}
