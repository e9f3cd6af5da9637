// What an instance has said and been told: owned by the runs module, read here through a port.
import type { UnitOfWork } from '../../platform/db/unit-of-work.js'

export interface InstanceHistoryEntry {
  id: string
  userInput: string
  aiResponse: string
  /** Epoch milliseconds. */
  timestamp: number
  isDeleted: boolean
}

/**
 * The conversation history of one agent instance, as the context endpoint shows it.
 * - `historyOf` returns every entry of the instance oldest first, hidden ones included and
 *   flagged `isDeleted` (the client greys them out); an unknown instance has no entries.
 * - `hideHistoryOf` soft-deletes every entry of the instance inside `tx` (the transaction that
 *   deletes the instance) and returns how many entries it hid; calling it again hides none.
 */
export interface InstanceHistorySource {
  historyOf(instanceId: string): Promise<InstanceHistoryEntry[]>
  hideHistoryOf(instanceId: string, now: number, tx: UnitOfWork): Promise<number>
}
