// A transaction as the rest of the code sees it: an opaque unit of work that services pass along
// so that several writes commit together. Only repos open it (`queriesOf`) to run queries.
import type { Kysely } from 'kysely'
import type { Tables } from './tables.js'

declare const opaque: unique symbol

export interface UnitOfWork {
  readonly [opaque]: true
  /** Runs `callback` once the unit's writes have committed (never when they roll back). */
  afterCommit(callback: () => void): void
}

/**
 * Runs `work` in one unit of work: everything it writes commits together or not at all. `work`
 * may be run again after a rollback (SQLite's group commit does so), so besides its writes it
 * does nothing but register `afterCommit` callbacks, which are called for the run that commits.
 */
export type Transactor = <T>(work: (uow: UnitOfWork) => Promise<T>) => Promise<T>

class Transaction {
  private readonly callbacks: Array<() => void> = []

  constructor(readonly queries: Kysely<Tables>) {}

  afterCommit(callback: () => void): void {
    this.callbacks.push(callback)
  }

  committed(): void {
    for (const callback of this.callbacks.splice(0)) callback()
  }
}

/** Wraps an open Kysely transaction; the caller calls `committed` on the result once it commits. */
export function unitOf(queries: Kysely<Tables>): UnitOfWork & { committed(): void } {
  return new Transaction(queries) as unknown as UnitOfWork & { committed(): void }
}

/** Repos only: the queries of `uow`, or `db` itself outside any unit of work. */
export function queriesOf(uow: UnitOfWork | undefined, db: Kysely<Tables>): Kysely<Tables> {
  return uow ? (uow as unknown as Transaction).queries : db
}

/** One database transaction per unit of work. */
export function transactorOf(db: Kysely<Tables>): Transactor {
  return async (work) => {
    let unit: ReturnType<typeof unitOf> | undefined
    const result = await db.transaction().execute((tx) => work((unit = unitOf(tx))))
    unit?.committed()
    return result
  }
}
