// Cloning a conversation (original-gateway.md §2.7 clone): a new conversation right after the
// original, its live agent instances copied by the instances module (a clone hook), participants and messages
// copied with new ids, every instance id remapped. Runs inside the caller's transaction.
import type { UnitOfWork } from '../../platform/db/unit-of-work.js'
import { newUuid } from '../../platform/ids.js'
import type { AgentInfo, Conversation, Message } from './conversations.model.js'
import type { ConversationsRepo } from './conversations.repo.js'
import type { MessagesRepo } from './messages.repo.js'

/**
 * Copies what another module keeps for a conversation into its clone (the instances module copies
 * the live agent instances), inside the cloning unit of work so the copies commit or roll back
 * with it. Returns old instance id → new instance id (empty when there was nothing to copy).
 */
export type ConversationCloneHook = (
  fromConversationId: string,
  toConversationId: string,
  now: number,
  uow: UnitOfWork,
) => Promise<Record<string, string>>

export interface CloneResult {
  conversation: Conversation
  /** The instances the clone hooks copied: old id → new id. */
  instanceIdMap: Record<string, string>
}

const COPY_PAGE = 500

export async function cloneConversation(
  deps: { repo: ConversationsRepo; messages: MessagesRepo; cloneHooks: readonly ConversationCloneHook[] },
  source: Conversation,
  now: number,
  tx: UnitOfWork,
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
  const instanceIdMap: Record<string, string> = {}
  for (const hook of deps.cloneHooks) Object.assign(instanceIdMap, await hook(source.id, id, now, tx))
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
  tx: UnitOfWork,
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
