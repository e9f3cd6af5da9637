// Conversation storage: the only place with queries on `conversations`.
import { queriesOf, type UnitOfWork } from '../../platform/db/unit-of-work.js'
import type { Kysely, Selectable } from 'kysely'
import { fromBool, fromJson, numberOrNull, toJson } from '../../platform/db/json.js'
import type { ConversationsTable, Tables } from '../../platform/db/tables.js'
import type { AgentInfo, Conversation, ConversationSummary } from './conversations.model.js'

/** A conversation to store; `displayOrder` undefined means "after the others of its screenplay". */
export type NewConversation = Omit<Conversation, 'messageCount' | 'displayOrder'> & { displayOrder?: number }

/** Fields a change may set. */
export type ConversationChanges = Partial<
  Pick<Conversation, 'title' | 'context' | 'activeAgent' | 'participants' | 'maxChainDepth' | 'autoDelegate' | 'displayOrder' | 'updatedAt'>
>

export interface ListConversationsFilter {
  screenplayId?: string
  includeDeleted: boolean
  offset: number
  limit: number
}

export interface ConversationsRepo {
  insert(conversation: NewConversation, uow?: UnitOfWork): Promise<Conversation>
  /** Includes soft-deleted rows only when asked. */
  findById(id: string, options?: { includeDeleted?: boolean }, uow?: UnitOfWork): Promise<Conversation | undefined>
  /** Summaries (no messages, no participants list) sorted by display order, then most recent. */
  list(filter: ListConversationsFilter): Promise<{ items: ConversationSummary[]; total: number }>
  /** Changes a live conversation; undefined when there is none with that id. */
  update(id: string, changes: ConversationChanges, uow?: UnitOfWork): Promise<Conversation | undefined>
  /**
   * Reserves `count` message positions in one atomic statement (count and last seq go up
   * together, updated_at moves) and returns the last reserved seq with the participants as
   * they stand under that lock; undefined when the
   * conversation is missing or deleted. In PostgreSQL the row stays locked until the
   * transaction ends, so appends to one conversation commit in seq order.
   */
  reserveMessageSeqs(id: string, count: number, now: number, uow: UnitOfWork): Promise<{ lastSeq: number; participants: AgentInfo[] } | undefined>
  /** Marks the live conversation with that id, or every one of that screenplay, deleted; returns their ids. */
  /**
   * Soft-deletes live conversations and returns their ids: one by id, all of a screenplay, or
   * (`unownedOf`) those of `ids` that belong to that screenplay or to none.
   */
  softDelete(which: SoftDeleteTarget, now: number, uow: UnitOfWork): Promise<string[]>
}

export type SoftDeleteTarget = { id: string } | { screenplayId: string } | { ids: string[]; unownedOf: string }

const SUMMARY_COLUMNS = [
  'id',
  'title',
  'screenplay_id',
  'context',
  'display_order',
  'message_count',
  'participants',
  'is_deleted',
  'created_at',
  'updated_at',
] as const

type Row = Selectable<ConversationsTable>
type SummaryRow = Pick<Row, (typeof SUMMARY_COLUMNS)[number]>

export class KyselyConversationsRepo implements ConversationsRepo {
  constructor(private readonly db: Kysely<Tables>) {}

  async insert(c: NewConversation, uow?: UnitOfWork): Promise<Conversation> {
    const tx = queriesOf(uow, this.db)
    const row = await tx
      .insertInto('conversations')
      .values((eb) => ({
        id: c.id,
        title: c.title,
        screenplay_id: c.screenplayId,
        context: c.context,
        active_agent: toJson(c.activeAgent),
        participants: toJson(c.participants),
        allowed_agents: toJson(c.allowedAgents),
        max_chain_depth: c.maxChainDepth,
        auto_delegate: c.autoDelegate,
        // Computed by the insert itself, so concurrent creates need no read-then-write.
        display_order:
          c.displayOrder ??
          eb
            .selectFrom('conversations')
            .select(eb.fn.coalesce(eb(eb.fn.max('display_order'), '+', 1), eb.lit(0)).as('next'))
            .$if(c.screenplayId !== null, (q) => q.where('screenplay_id', '=', c.screenplayId)),
        is_deleted: c.isDeleted,
        created_at: c.createdAt,
        updated_at: c.updatedAt,
        deleted_at: c.deletedAt,
      }))
      .returningAll()
      .executeTakeFirstOrThrow()
    return toConversation(row)
  }

  async findById(id: string, options: { includeDeleted?: boolean } = {}, uow?: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const row = await tx
      .selectFrom('conversations')
      .selectAll()
      .where('id', '=', id)
      .$if(!options.includeDeleted, (q) => q.where('is_deleted', '=', false))
      .executeTakeFirst()
    return row ? toConversation(row) : undefined
  }

  async list(filter: ListConversationsFilter) {
    const filtered = this.db
      .selectFrom('conversations')
      .$if(!filter.includeDeleted, (q) => q.where('is_deleted', '=', false))
      .$if(filter.screenplayId !== undefined, (q) => q.where('screenplay_id', '=', filter.screenplayId!))
    const [rows, count] = await Promise.all([
      filtered
        .select(SUMMARY_COLUMNS)
        .orderBy('display_order', 'asc')
        .orderBy('updated_at', 'desc')
        .orderBy('id', 'asc')
        .offset(filter.offset)
        .limit(filter.limit)
        .execute(),
      filtered.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    ])
    return { items: rows.map(toSummary), total: Number(count.total) }
  }

  async update(id: string, changes: ConversationChanges, uow?: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const row = await tx
      .updateTable('conversations')
      .set(toColumns(changes))
      .where('id', '=', id)
      .where('is_deleted', '=', false)
      .returningAll()
      .executeTakeFirst()
    return row ? toConversation(row) : undefined
  }

  async reserveMessageSeqs(id: string, count: number, now: number, uow: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const row = await tx
      .updateTable('conversations')
      .set((eb) => ({
        message_count: eb('message_count', '+', count),
        last_seq: eb('last_seq', '+', count),
        updated_at: now,
      }))
      .where('id', '=', id)
      .where('is_deleted', '=', false)
      .returning(['last_seq', 'participants'])
      .executeTakeFirst()
    return row ? { lastSeq: Number(row.last_seq), participants: fromJson<AgentInfo[]>(row.participants, []) } : undefined
  }

  async softDelete(which: SoftDeleteTarget, now: number, uow: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    if ('ids' in which && which.ids.length === 0) return []
    const rows = await tx
      .updateTable('conversations')
      .set({ is_deleted: true, deleted_at: now, updated_at: now })
      .where((eb) => {
        if ('id' in which) return eb('id', '=', which.id)
        if ('screenplayId' in which) return eb('screenplay_id', '=', which.screenplayId)
        return eb.and([eb('id', 'in', which.ids), eb.or([eb('screenplay_id', 'is', null), eb('screenplay_id', '=', which.unownedOf)])])
      })
      .where('is_deleted', '=', false)
      .returning('id')
      .execute()
    return rows.map((row) => row.id)
  }
}

function toColumns(c: ConversationChanges) {
  return {
    ...(c.title !== undefined && { title: c.title }),
    ...(c.context !== undefined && { context: c.context }),
    ...(c.activeAgent !== undefined && { active_agent: toJson(c.activeAgent) }),
    ...(c.participants !== undefined && { participants: toJson(c.participants) }),
    ...(c.maxChainDepth !== undefined && { max_chain_depth: c.maxChainDepth }),
    ...(c.autoDelegate !== undefined && { auto_delegate: c.autoDelegate }),
    ...(c.displayOrder !== undefined && { display_order: c.displayOrder }),
    ...(c.updatedAt !== undefined && { updated_at: c.updatedAt }),
  }
}

function toSummary(row: SummaryRow): ConversationSummary {
  return {
    id: row.id,
    title: row.title,
    screenplayId: row.screenplay_id,
    context: row.context,
    displayOrder: Number(row.display_order),
    messageCount: Number(row.message_count),
    participantCount: fromJson<unknown[]>(row.participants, []).length,
    isDeleted: fromBool(row.is_deleted),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }
}

function toConversation(row: Row): Conversation {
  const { participantCount: _count, ...summary } = toSummary(row)
  return {
    ...summary,
    activeAgent: fromJson<AgentInfo | null>(row.active_agent, null),
    participants: fromJson<AgentInfo[]>(row.participants, []),
    allowedAgents: fromJson<string[] | null>(row.allowed_agents, null),
    maxChainDepth: numberOrNull(row.max_chain_depth),
    autoDelegate: fromBool(row.auto_delegate),
    deletedAt: numberOrNull(row.deleted_at),
  }
}
