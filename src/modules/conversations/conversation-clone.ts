// Cloning a conversation (original-gateway.md §2.7 clone): a new conversation right after the
// original, its live agent instances copied by the instances module, participants and messages
// copied with new ids, every instance id remapped. Runs inside the caller's transaction.
import type { Kysely } from 'kysely'
import type { Tables } from '../../platform/db/tables.js'
import { newUuid } from '../../platform/ids.js'
import type { AgentInfo, Conversation, Message } from './conversations.model.js'
import type { ConversationsRepo } from './conversations.repo.js'
import type { MessagesRepo } from './messages.repo.js'

/** Port: the agent instances placed in a conversation (implemented by the instances module). */
export interface ConversationInstances {
  /**
   * Copies every live (not deleted) instance of `fromConversationId` into `toConversationId`
   * with a new instance id, using `tx` so the copies commit or roll back with the clone.
   * Returns old instance id → new instance id (empty when there was nothing to copy).
   */
  cloneForConversation(fromConversationId: string, toConversationId: string, now: number, tx: Kysely<Tables>): Promise<Record<string, string>>
}

export interface CloneResult {
  conversation: Conversation
  /** The instances the instances module copied: old id → new id. */
  instanceIdMap: Record<string, string>
}

const COPY_PAGE = 500

export async function cloneConversation(
  deps: { repo: ConversationsRepo; messages: MessagesRepo; instances: ConversationInstances },
  source: Conversation,
  now: number,
  tx: Kysely<Tables>,
): Promise<CloneResult> {
  const id = newUuid()
  await deps.repo.insert(
    {
      ...source,
      id,
      title: `${source.title || 'Conversa'} (copy ${localHourMinute(now)})`,
      activeAgent: null,
      participants: [],
      displayOrder: source.displayOrder + 1,
      isDeleted: false,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    },
    tx,
  )
  const instanceIdMap = await deps.instances.cloneForConversation(source.id, id, now, tx)
  // compat: participants without a live instance get a fresh instance id, as the original did.
  const idMap = { ...instanceIdMap }
  for (const agent of [...source.participants, ...(source.activeAgent ? [source.activeAgent] : [])]) {
    idMap[agent.instanceId] ??= newUuid()
  }
  const remap = (agent: AgentInfo): AgentInfo => ({ ...agent, instanceId: idMap[agent.instanceId] ?? agent.instanceId })

  await deps.repo.update(id, { participants: source.participants.map(remap), activeAgent: source.activeAgent ? remap(source.activeAgent) : null }, tx)
  await copyMessages(deps, source.id, id, remap, now, tx)
  const conversation = await deps.repo.findById(id, {}, tx)
  return { conversation: conversation!, instanceIdMap }
}

async function copyMessages(
  deps: { repo: ConversationsRepo; messages: MessagesRepo },
  fromId: string,
  toId: string,
  remap: (agent: AgentInfo) => AgentInfo,
  now: number,
  tx: Kysely<Tables>,
): Promise<void> {
  let afterSeq = 0
  for (;;) {
    const page = await deps.messages.pageAfter(fromId, afterSeq, COPY_PAGE, tx)
    if (page.length === 0) return
    afterSeq = page.at(-1)!.seq
    const reserved = await deps.repo.reserveMessageSeqs(toId, page.length, now, tx)
    const first = reserved!.lastSeq - page.length + 1
    const copies: Message[] = page.map((m, i) => ({
      ...m,
      id: newUuid(),
      conversationId: toId,
      seq: first + i,
      agent: m.agent ? remap(m.agent) : null,
      // The copy did not come from that run: deleting it must not mark the original's task.
      taskId: null,
    }))
    await deps.messages.insertMany(copies, tx)
  }
}

/** HH:MM in the server's local time, as the original titled its copies. */
function localHourMinute(ms: number): string {
  const at = new Date(ms)
  return `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`
}
