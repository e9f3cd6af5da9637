// Message storage: the only place with queries on `conversation_messages`. Reads are bounded
// (newest N by seq, or a page after a seq); nothing here loads a whole conversation.
import { queriesOf, type UnitOfWork } from '../../platform/db/unit-of-work.js'
import { sql, type Kysely, type Selectable } from 'kysely'
import { fromBool, fromJson, numberOrNull, toJson } from '../../platform/db/json.js'
import type { ConversationMessagesTable, Tables } from '../../platform/db/tables.js'
import type { AgentInfo, Message, MessagePatch, MessageStatus, MessageType } from './conversations.model.js'

export type MessageChanges = MessagePatch & { isDeleted?: boolean; isHidden?: boolean; hiddenAt?: number | null }

export interface MessagesRepo {
  insertMany(messages: Message[], uow: UnitOfWork): Promise<void>
  findById(conversationId: string, messageId: string, uow?: UnitOfWork): Promise<Message | undefined>
  /** The newest `limit` messages (older than `beforeSeq` when given), oldest first. */
  latest(conversationId: string, options: { limit: number; beforeSeq?: number }, uow?: UnitOfWork): Promise<Message[]>
  /** Up to `limit` messages with seq greater than `afterSeq`, oldest first (for copying). */
  pageAfter(conversationId: string, afterSeq: number, limit: number, uow: UnitOfWork): Promise<Message[]>
  /** The newest `limit` messages a prompt may use (not deleted, hidden or pending), oldest first. */
  history(conversationId: string, limit: number): Promise<Message[]>
  update(conversationId: string, messageId: string, changes: MessageChanges, uow: UnitOfWork): Promise<Message | undefined>
  /** Fills in the bot reply a run writes (its pending placeholder); false when there is none. */
  completeReply(conversationId: string, taskId: string, changes: MessagePatch, uow: UnitOfWork): Promise<boolean>
  /** Flips isDeleted in one statement and returns the message as stored. */
  toggleDeleted(conversationId: string, messageId: string, uow: UnitOfWork): Promise<Message | undefined>
}

/** Rows per multi-row insert: well under both dialects' bound-parameter limits. */
const INSERT_BATCH = 500

type Row = Selectable<ConversationMessagesTable>

export class KyselyMessagesRepo implements MessagesRepo {
  constructor(private readonly db: Kysely<Tables>) {}

  async insertMany(messages: Message[], uow: UnitOfWork): Promise<void> {
    const tx = queriesOf(uow, this.db)
    for (let start = 0; start < messages.length; start += INSERT_BATCH) {
      await tx
        .insertInto('conversation_messages')
        .values(messages.slice(start, start + INSERT_BATCH).map(toRow))
        .execute()
    }
  }

  async findById(conversationId: string, messageId: string, uow?: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const row = await tx
      .selectFrom('conversation_messages')
      .selectAll()
      .where('id', '=', messageId)
      .where('conversation_id', '=', conversationId)
      .executeTakeFirst()
    return row ? toMessage(row) : undefined
  }

  async latest(conversationId: string, options: { limit: number; beforeSeq?: number }, uow?: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const rows = await tx
      .selectFrom('conversation_messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .$if(options.beforeSeq !== undefined, (q) => q.where('seq', '<', options.beforeSeq!))
      .orderBy('seq', 'desc')
      .limit(options.limit)
      .execute()
    return rows.reverse().map(toMessage)
  }

  async pageAfter(conversationId: string, afterSeq: number, limit: number, uow: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const rows = await tx
      .selectFrom('conversation_messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('seq', '>', afterSeq)
      .orderBy('seq', 'asc')
      .limit(limit)
      .execute()
    return rows.map(toMessage)
  }

  async history(conversationId: string, limit: number) {
    const rows = await this.db
      .selectFrom('conversation_messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('is_deleted', '=', false)
      .where('is_hidden', '=', false)
      .where((eb) => eb.or([eb('status', 'is', null), eb('status', '!=', 'pending')]))
      .orderBy('seq', 'desc')
      .limit(limit)
      .execute()
    return rows.reverse().map(toMessage)
  }

  async update(conversationId: string, messageId: string, changes: MessageChanges, uow: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const columns = toColumns(changes)
    if (Object.keys(columns).length === 0) return this.findById(conversationId, messageId, uow)
    const row = await tx
      .updateTable('conversation_messages')
      .set(columns)
      .where('id', '=', messageId)
      .where('conversation_id', '=', conversationId)
      .returningAll()
      .executeTakeFirst()
    return row ? toMessage(row) : undefined
  }

  async completeReply(conversationId: string, taskId: string, changes: MessagePatch, uow: UnitOfWork) {
    const result = await queriesOf(uow, this.db)
      .updateTable('conversation_messages')
      .set(toColumns(changes))
      .where('conversation_id', '=', conversationId)
      .where('task_id', '=', taskId)
      .where('type', '=', 'bot')
      .where('status', '=', 'pending')
      .executeTakeFirst()
    return Number(result.numUpdatedRows) > 0
  }

  async toggleDeleted(conversationId: string, messageId: string, uow: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const row = await tx
      .updateTable('conversation_messages')
      .set({ is_deleted: sql<boolean>`not is_deleted` })
      .where('id', '=', messageId)
      .where('conversation_id', '=', conversationId)
      .returningAll()
      .executeTakeFirst()
    return row ? toMessage(row) : undefined
  }
}

function toRow(m: Message) {
  return {
    id: m.id,
    conversation_id: m.conversationId,
    seq: m.seq,
    type: m.type,
    content: m.content,
    agent: toJson(m.agent),
    status: m.status,
    task_id: m.taskId,
    is_deleted: m.isDeleted,
    is_hidden: m.isHidden,
    hidden_at: m.hiddenAt,
    completed_at: m.completedAt,
    created_at: m.createdAt,
  }
}

function toColumns(c: MessageChanges) {
  return {
    ...(c.content !== undefined && { content: c.content }),
    ...(c.status !== undefined && { status: c.status }),
    ...(c.completedAt !== undefined && { completed_at: c.completedAt }),
    ...(c.taskId !== undefined && { task_id: c.taskId }),
    ...(c.isDeleted !== undefined && { is_deleted: c.isDeleted }),
    ...(c.isHidden !== undefined && { is_hidden: c.isHidden }),
    ...(c.hiddenAt !== undefined && { hidden_at: c.hiddenAt }),
  }
}

function toMessage(row: Row): Message {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    seq: Number(row.seq),
    type: row.type as MessageType,
    content: row.content,
    agent: fromJson<AgentInfo | null>(row.agent, null),
    status: row.status as MessageStatus | null,
    taskId: row.task_id,
    isDeleted: fromBool(row.is_deleted),
    isHidden: fromBool(row.is_hidden),
    hiddenAt: numberOrNull(row.hidden_at),
    completedAt: numberOrNull(row.completed_at),
    createdAt: Number(row.created_at),
  }
}
