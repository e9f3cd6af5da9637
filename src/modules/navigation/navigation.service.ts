// Where each user left off: last screenplay, its conversation and agent instance. The original
// proxied this to the Python Conductor (original-gateway.md §2.11); here the gateway owns it.
import type { UnitOfWork, Transactor } from '../../platform/db/unit-of-work.js'
import type { Clock } from '../../platform/clock.js'
import type { NavigationRepo } from './navigation.repo.js'

export interface NavigationView {
  screenplayId: string | null
  conversationId: string | null
  instanceId: string | null
  updatedAt: number | null
}

export interface NavigationUpdate {
  screenplayId: string
  /** undefined keeps the stored value; null clears it. */
  conversationId?: string | null
  instanceId?: string | null
}

const EMPTY: NavigationView = { screenplayId: null, conversationId: null, instanceId: null, updatedAt: null }

export class NavigationService {
  constructor(private readonly deps: { repo: NavigationRepo; clock: Clock; transact: Transactor }) {}

  /**
   * screenplay + conversation → that conversation's instance; screenplay → its conversation and
   * instance; conversation → its screenplay and instance; nothing → the latest screenplay's state.
   */
  async get(userId: string, where: { screenplayId?: string; conversationId?: string }): Promise<NavigationView> {
    const { repo } = this.deps
    if (where.conversationId) {
      const state = await repo.findConversationState(userId, where.conversationId)
      return {
        screenplayId: where.screenplayId ?? state?.screenplayId ?? null,
        conversationId: where.conversationId,
        instanceId: state?.instanceId ?? null,
        updatedAt: state?.updatedAt ?? null,
      }
    }
    const state = where.screenplayId ? await repo.findScreenplayState(userId, where.screenplayId) : await repo.findLatestScreenplayState(userId)
    if (!state) return { ...EMPTY, screenplayId: where.screenplayId ?? null }
    return { ...state }
  }

  async last(userId: string): Promise<NavigationView> {
    return this.get(userId, {})
  }

  async put(userId: string, update: NavigationUpdate): Promise<NavigationView> {
    const now = this.deps.clock.now()
    await this.deps.transact(async (tx) => {
      await this.deps.repo.upsertScreenplayState(
        userId,
        { screenplayId: update.screenplayId, conversationId: update.conversationId, instanceId: update.instanceId, updatedAt: now },
        tx,
      )
      if (update.conversationId) {
        await this.deps.repo.upsertConversationState(
          userId,
          { conversationId: update.conversationId, screenplayId: update.screenplayId, instanceId: update.instanceId, updatedAt: now },
          tx,
        )
      }
    })
    return this.get(userId, { screenplayId: update.screenplayId, conversationId: update.conversationId ?? undefined })
  }

  /**
   * screenplay + conversation (or conversation alone) → forget that conversation; screenplay →
   * the screenplay and its conversations; nothing → everything of the user. Returns rows removed.
   */
  async clear(userId: string, where: { screenplayId?: string; conversationId?: string }): Promise<number> {
    const { repo } = this.deps
    return this.deps.transact(async (tx) => {
      if (where.conversationId) {
        await repo.detachConversation(userId, where.conversationId, tx)
        return repo.deleteConversationStates({ userId, conversationId: where.conversationId }, tx)
      }
      const scope = { userId, ...(where.screenplayId !== undefined && { screenplayId: where.screenplayId }) }
      const conversations = await repo.deleteConversationStates(scope, tx)
      return conversations + (await repo.deleteScreenplayStates(scope, tx))
    })
  }

  /** Deletion hook: a deleted screenplay is no longer anyone's place to return to. */
  async forgetScreenplay(screenplayId: string, tx: UnitOfWork): Promise<void> {
    await this.deps.repo.deleteConversationStates({ screenplayId }, tx)
    await this.deps.repo.deleteScreenplayStates({ screenplayId }, tx)
  }
}
