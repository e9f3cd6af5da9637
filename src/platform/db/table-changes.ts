// Counts this process's writes to a group of tables, so that whatever keeps reads of them (see
// AnswerCache) can tell when those reads are out of date.
import type { UnitOfWork } from './unit-of-work.js'

export class TableChanges {
  private count = 0

  /** Differs from any earlier value once a write has started. */
  get version(): number {
    return this.count
  }

  /**
   * Runs one write. The count moves before it (a read from then on is not kept as current),
   * after it, and, inside a unit of work, once that commits: a read made while the write was
   * uncommitted may have seen the old rows.
   */
  async write<T>(uow: UnitOfWork | undefined, write: () => Promise<T>): Promise<T> {
    this.count++
    try {
      return await write()
    } finally {
      this.count++
      uow?.afterCommit(() => this.count++)
    }
  }
}
