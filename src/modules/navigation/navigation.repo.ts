// Navigation state storage: per user, the last conversation/instance of each screenplay and the
// last instance of each conversation.
import { queriesOf, type UnitOfWork } from '../../platform/db/unit-of-work.js'
import type { Kysely } from 'kysely'
import type { Tables } from '../../platform/db/tables.js'

export interface ScreenplayState {
  screenplayId: string
  conversationId: string | null
  instanceId: string | null
  updatedAt: number
}

export interface ConversationState {
  conversationId: string
  screenplayId: string
  instanceId: string | null
  updatedAt: number
}

export interface NavigationRepo {
  findScreenplayState(userId: string, screenplayId: string): Promise<ScreenplayState | undefined>
  findLatestScreenplayState(userId: string): Promise<ScreenplayState | undefined>
  findConversationState(userId: string, conversationId: string): Promise<ConversationState | undefined>
  /** Inserts or updates; fields left undefined keep their stored value. */
  upsertScreenplayState(
    userId: string,
    state: Partial<ScreenplayState> & { screenplayId: string; updatedAt: number },
    uow?: UnitOfWork,
  ): Promise<void>
  upsertConversationState(
    userId: string,
    state: Partial<ConversationState> & { conversationId: string; screenplayId: string; updatedAt: number },
    uow?: UnitOfWork,
  ): Promise<void>
  /** Deletes conversation states matching the filter; returns how many went. */
  deleteConversationStates(filter: { userId?: string; screenplayId?: string; conversationId?: string }, uow?: UnitOfWork): Promise<number>
  deleteScreenplayStates(filter: { userId?: string; screenplayId?: string }, uow?: UnitOfWork): Promise<number>
  /** Clears screenplay states that point at a conversation that is being forgotten. */
  detachConversation(userId: string, conversationId: string, uow?: UnitOfWork): Promise<void>
}

export class KyselyNavigationRepo implements NavigationRepo {
  constructor(private readonly db: Kysely<Tables>) {}

  async findScreenplayState(userId: string, screenplayId: string) {
    const row = await this.db
      .selectFrom('navigation_screenplay_states')
      .selectAll()
      .where('user_id', '=', userId)
      .where('screenplay_id', '=', screenplayId)
      .executeTakeFirst()
    return row ? toScreenplayState(row) : undefined
  }

  async findLatestScreenplayState(userId: string) {
    const row = await this.db
      .selectFrom('navigation_screenplay_states')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('updated_at', 'desc')
      .limit(1)
      .executeTakeFirst()
    return row ? toScreenplayState(row) : undefined
  }

  async findConversationState(userId: string, conversationId: string) {
    const row = await this.db
      .selectFrom('navigation_conversation_states')
      .selectAll()
      .where('user_id', '=', userId)
      .where('conversation_id', '=', conversationId)
      .executeTakeFirst()
    return row
      ? { conversationId: row.conversation_id, screenplayId: row.screenplay_id, instanceId: row.instance_id, updatedAt: Number(row.updated_at) }
      : undefined
  }

  async upsertScreenplayState(userId: string, state: Partial<ScreenplayState> & { screenplayId: string; updatedAt: number }, uow?: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const changes = {
      updated_at: state.updatedAt,
      ...(state.conversationId !== undefined && { conversation_id: state.conversationId }),
      ...(state.instanceId !== undefined && { instance_id: state.instanceId }),
    }
    await tx
      .insertInto('navigation_screenplay_states')
      .values({ user_id: userId, screenplay_id: state.screenplayId, conversation_id: null, instance_id: null, ...changes })
      .onConflict((oc) => oc.columns(['user_id', 'screenplay_id']).doUpdateSet(changes))
      .execute()
  }

  async upsertConversationState(
    userId: string,
    state: Partial<ConversationState> & { conversationId: string; screenplayId: string; updatedAt: number },
    uow?: UnitOfWork,
  ) {
    const tx = queriesOf(uow, this.db)
    const changes = {
      screenplay_id: state.screenplayId,
      updated_at: state.updatedAt,
      ...(state.instanceId !== undefined && { instance_id: state.instanceId }),
    }
    await tx
      .insertInto('navigation_conversation_states')
      .values({ user_id: userId, conversation_id: state.conversationId, instance_id: null, ...changes })
      .onConflict((oc) => oc.columns(['user_id', 'conversation_id']).doUpdateSet(changes))
      .execute()
  }

  async deleteConversationStates(filter: { userId?: string; screenplayId?: string; conversationId?: string }, uow?: UnitOfWork) {
    let query = queriesOf(uow, this.db).deleteFrom('navigation_conversation_states')
    if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId)
    if (filter.screenplayId !== undefined) query = query.where('screenplay_id', '=', filter.screenplayId)
    if (filter.conversationId !== undefined) query = query.where('conversation_id', '=', filter.conversationId)
    const result = await query.executeTakeFirst()
    return Number(result.numDeletedRows)
  }

  async deleteScreenplayStates(filter: { userId?: string; screenplayId?: string }, uow?: UnitOfWork) {
    let query = queriesOf(uow, this.db).deleteFrom('navigation_screenplay_states')
    if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId)
    if (filter.screenplayId !== undefined) query = query.where('screenplay_id', '=', filter.screenplayId)
    const result = await query.executeTakeFirst()
    return Number(result.numDeletedRows)
  }

  async detachConversation(userId: string, conversationId: string, uow?: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    await tx
      .updateTable('navigation_screenplay_states')
      .set({ conversation_id: null, instance_id: null })
      .where('user_id', '=', userId)
      .where('conversation_id', '=', conversationId)
      .execute()
  }
}

function toScreenplayState(row: Tables['navigation_screenplay_states']): ScreenplayState {
  return {
    screenplayId: row.screenplay_id,
    conversationId: row.conversation_id,
    instanceId: row.instance_id,
    updatedAt: Number(row.updated_at),
  }
}
