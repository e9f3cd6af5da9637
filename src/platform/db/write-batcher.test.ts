import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openDatabase } from './database.js'
import { migrateToLatest } from './migrate.js'
import { queriesOf, type UnitOfWork } from './unit-of-work.js'
import { batchedTransactor } from './write-batcher.js'

async function setup() {
  const database = openDatabase('sqlite::memory:')
  await migrateToLatest(database)
  return { database, transact: batchedTransactor(database.db), q: (uow: UnitOfWork) => queriesOf(uow, database.db) }
}

const navRow = (n: number) => ({ user_id: `u${n}`, screenplay_id: 's', conversation_id: null, instance_id: null, updated_at: n })

describe('batchedTransactor', () => {
  it('commits concurrent writes together and isolates a failing one', async () => {
    const { database, transact, q } = await setup()
    const committed: number[] = []
    const results = await Promise.allSettled([
      transact(async (uow) => {
        uow.afterCommit(() => committed.push(1))
        await q(uow).insertInto('navigation_screenplay_states').values(navRow(1)).execute()
      }),
      transact(async (uow) => {
        uow.afterCommit(() => committed.push(2))
        await q(uow).insertInto('navigation_screenplay_states').values(navRow(2)).execute()
        throw new Error('second write fails')
      }),
      transact(async (uow) => {
        uow.afterCommit(() => committed.push(3))
        const seen = await q(uow).selectFrom('navigation_screenplay_states').select('user_id').execute()
        await q(uow).insertInto('navigation_screenplay_states').values(navRow(3)).execute()
        return seen.map((r) => r.user_id)
      }),
    ])
    assert.equal(results[0]!.status, 'fulfilled')
    assert.equal(results[1]!.status, 'rejected')
    assert.deepEqual((results[2] as PromiseFulfilledResult<string[]>).value, ['u1'], 'a later write sees earlier ones, not a failed one')
    const rows = await database.db.selectFrom('navigation_screenplay_states').select('user_id').orderBy('user_id').execute()
    assert.deepEqual(
      rows.map((r) => r.user_id),
      ['u1', 'u3'],
    )
    assert.deepEqual(committed, [1, 3], 'after-commit work runs for the writes that committed, and only for them')
    await database.close()
  })

  it('rejects every write of a batch whose commit fails', async () => {
    const { database, transact, q } = await setup()
    await database.close()
    await assert.rejects(transact((uow) => q(uow).insertInto('navigation_screenplay_states').values(navRow(1)).execute()))
  })
})
