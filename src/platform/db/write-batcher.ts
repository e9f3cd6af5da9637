// Group commit for SQLite: writes requested while one is committing are gathered and committed
// together. SQLite runs every transaction on its single connection anyway, so nothing waits that
// would not have waited; what is saved is a commit (a WAL append) per write.
//
// A batch first runs its writes back to back with no savepoints (two statements less per write).
// If one of them fails, the batch is rolled back and run again with each write in a savepoint
// of its own, so that the failing one never takes the others with it. A write may therefore run
// twice, but it commits once: its work must do nothing outside the unit of work but register
// `afterCommit` callbacks (only those of the committed run are called).
//
// Rows the writes gather (UnitOfWork.gather: the events of runs) are written once the writes have
// run: once for the whole batch, or, after a failure, once per write in its savepoint.
import { sql, type Kysely } from 'kysely'
import type { Tables } from './tables.js'
import { unitOf, writeGathered, type Transactor, type UnitOfWork } from './unit-of-work.js'

interface Job {
  work: (uow: UnitOfWork) => Promise<unknown>
  resolve(value: unknown): void
  reject(err: unknown): void
}

type Outcome = { ok: true; value: unknown; committed: () => void } | { ok: false; error: unknown }

const MAX_BATCH = 64

/** Thrown out of a batch's transaction to roll it back when one of its writes failed. */
class WriteFailed {
  constructor(readonly error: unknown) {}
}

export function batchedTransactor(db: Kysely<Tables>): Transactor {
  const queue: Job[] = []
  let flushing = false

  const flush = async (): Promise<void> => {
    flushing = true
    while (queue.length > 0) {
      const batch = queue.splice(0, MAX_BATCH)
      let outcomes: Outcome[]
      try {
        outcomes = await commitTogether(db, batch).catch(async (err: unknown) => {
          // A lone write's failure is its own; in a batch, the others are written again without it.
          if (!(err instanceof WriteFailed)) throw err
          return batch.length === 1 ? [{ ok: false, error: err.error }] : commitEachInSavepoint(db, batch)
        })
      } catch (err) {
        for (const job of batch) job.reject(err)
        continue
      }
      batch.forEach((job, i) => {
        const outcome = outcomes[i]!
        if (outcome.ok) {
          outcome.committed()
          job.resolve(outcome.value)
        } else {
          job.reject(outcome.error)
        }
      })
    }
    flushing = false
  }

  return <T>(work: (uow: UnitOfWork) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject })
      // better-sqlite3 is synchronous, so nothing queues while a commit runs; waiting for the
      // end of this event-loop turn is what lets the writes of concurrent requests share one.
      if (!flushing) {
        flushing = true
        setImmediate(() => void flush())
      }
    })
}

/** Every write of the batch in one transaction, as long as none fails; what they gathered is written once for all. */
function commitTogether(db: Kysely<Tables>, batch: readonly Job[]): Promise<Outcome[]> {
  return db.transaction().execute(async (tx) => {
    const done: Outcome[] = []
    const units: UnitOfWork[] = []
    try {
      for (const job of batch) {
        const unit = unitOf(tx)
        units.push(unit)
        done.push({ ok: true, value: await job.work(unit), committed: () => unit.committed() })
      }
      await writeGathered(units, tx)
    } catch (error) {
      throw new WriteFailed(error)
    }
    return done
  })
}

/** The slow path after a failure: every write of the batch in a savepoint of its own. */
function commitEachInSavepoint(db: Kysely<Tables>, batch: readonly Job[]): Promise<Outcome[]> {
  return db.transaction().execute(async (tx) => {
    const done: Outcome[] = []
    for (const job of batch) done.push(await inSavepoint(tx, job.work))
    return done
  })
}

async function inSavepoint(tx: Kysely<Tables>, work: (uow: UnitOfWork) => Promise<unknown>): Promise<Outcome> {
  await sql`savepoint batched_write`.execute(tx)
  const unit = unitOf(tx)
  try {
    const value = await work(unit)
    await writeGathered([unit], tx)
    await sql`release savepoint batched_write`.execute(tx)
    return { ok: true, value, committed: () => unit.committed() }
  } catch (error) {
    await sql`rollback to savepoint batched_write`.execute(tx)
    await sql`release savepoint batched_write`.execute(tx)
    return { ok: false, error }
  }
}
