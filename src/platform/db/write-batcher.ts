// Group commit for SQLite: writes requested while one is committing are gathered and committed
// together, each in a savepoint of its own so one failing write never takes the others with
// it. SQLite runs every transaction on its single connection anyway, so nothing waits that
// would not have waited; what is saved is a commit (a WAL append) per write.
import { sql, type Kysely } from 'kysely'
import type { Tables } from './tables.js'
import { unitOf, type Transactor, type UnitOfWork } from './unit-of-work.js'

interface Job {
  work: (uow: UnitOfWork) => Promise<unknown>
  resolve(value: unknown): void
  reject(err: unknown): void
}

type Outcome = { ok: true; value: unknown; committed: () => void } | { ok: false; error: unknown }

const MAX_BATCH = 64

export function batchedTransactor(db: Kysely<Tables>): Transactor {
  const queue: Job[] = []
  let flushing = false

  const flush = async (): Promise<void> => {
    flushing = true
    while (queue.length > 0) {
      const batch = queue.splice(0, MAX_BATCH)
      let outcomes: Outcome[]
      try {
        outcomes = await db.transaction().execute(async (tx) => {
          const done: Outcome[] = []
          for (const job of batch) done.push(await inSavepoint(tx, job.work))
          return done
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

async function inSavepoint(tx: Kysely<Tables>, work: (uow: UnitOfWork) => Promise<unknown>): Promise<Outcome> {
  await sql`savepoint batched_write`.execute(tx)
  const unit = unitOf(tx)
  try {
    const value = await work(unit)
    await sql`release savepoint batched_write`.execute(tx)
    return { ok: true, value, committed: () => unit.committed() }
  } catch (error) {
    await sql`rollback to savepoint batched_write`.execute(tx)
    await sql`release savepoint batched_write`.execute(tx)
    return { ok: false, error }
  }
}
