// A transaction as the rest of the code sees it: an opaque unit of work that services pass along
// so that several writes commit together. Only repos open it (`queriesOf`) to run queries.
import type { Kysely } from 'kysely'
import type { Tables } from './tables.js'

declare const opaque: unique symbol

export interface UnitOfWork {
  readonly [opaque]: true
  /** Runs `callback` once the unit's writes have committed (never when they roll back). */
  afterCommit(callback: () => void): void
  /**
   * Adds `rows` to `write`, made once the unit's work is done, before it commits; a failing write
   * fails the unit. Units that commit together (SQLite's group commit) make each write once, with
   * all their rows: one multi-row statement instead of one per unit.
   */
  gather<T>(write: GatheredWrite<T>, rows: readonly T[]): void
}

/** A write whose rows units of work gather (see UnitOfWork.gather). */
export interface GatheredWrite<T> {
  write(rows: readonly T[], queries: Kysely<Tables>): Promise<void>
}

/**
 * Runs `work` in one unit of work: everything it writes commits together or not at all. `work`
 * may be run again after a rollback (SQLite's group commit does so), so besides its writes it
 * does nothing but gather rows and register `afterCommit` callbacks, which are called for the run
 * that commits. A transactor makes the unit's gathered writes (`writeGathered`) before it commits.
 */
export type Transactor = <T>(work: (uow: UnitOfWork) => Promise<T>) => Promise<T>

class Transaction {
  private readonly callbacks: Array<() => void> = []
  readonly gathered = new Map<GatheredWrite<unknown>, unknown[]>()

  constructor(readonly queries: Kysely<Tables>) {}

  afterCommit(callback: () => void): void {
    this.callbacks.push(callback)
  }

  gather<T>(write: GatheredWrite<T>, rows: readonly T[]): void {
    addRows(this.gathered, write as GatheredWrite<unknown>, rows)
  }

  committed(): void {
    for (const callback of this.callbacks.splice(0)) callback()
  }
}

/** Wraps an open Kysely transaction; the caller calls `committed` on the result once it commits. */
export function unitOf(queries: Kysely<Tables>): UnitOfWork & { committed(): void } {
  return new Transaction(queries) as unknown as UnitOfWork & { committed(): void }
}

/** Makes the writes `units` gathered, each once with the rows of all of them, on `queries` (their transaction). */
export async function writeGathered(units: readonly UnitOfWork[], queries: Kysely<Tables>): Promise<void> {
  const writes = new Map<GatheredWrite<unknown>, unknown[]>()
  for (const unit of units) for (const [write, rows] of (unit as unknown as Transaction).gathered) addRows(writes, write, rows)
  for (const [write, rows] of writes) await write.write(rows, queries)
}

/** Appends `rows` to the list of `write`, started as a copy (the caller's array is never grown). */
function addRows(lists: Map<GatheredWrite<unknown>, unknown[]>, write: GatheredWrite<unknown>, rows: readonly unknown[]): void {
  const list = lists.get(write)
  if (list) for (const row of rows) list.push(row)
  else lists.set(write, rows.slice())
}

/** Repos only: the queries of `uow`, or `db` itself outside any unit of work. */
export function queriesOf(uow: UnitOfWork | undefined, db: Kysely<Tables>): Kysely<Tables> {
  return uow ? (uow as unknown as Transaction).queries : db
}

/** One database transaction per unit of work. */
export function transactorOf(db: Kysely<Tables>): Transactor {
  return async (work) => {
    let unit: ReturnType<typeof unitOf> | undefined
    const result = await db.transaction().execute(async (tx) => {
      const result = await work((unit = unitOf(tx)))
      await writeGathered([unit], tx)
      return result
    })
    unit?.committed()
    return result
  }
}
