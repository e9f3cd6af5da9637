import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openDatabase } from './database.js'
import { migrateToLatest } from './migrate.js'
import { batchedTransactor } from './write-batcher.js'

async function setup() {
  const database = openDatabase('sqlite::memory:')
  await migrateToLatest(database)
  return { database, transact: batchedTransactor(database.db) }
}

const navRow = (n: number) => ({ user_id: `u${n}`, screenplay_id: 's', conversation_id: null, instance_id: null, updated_at: n })

describe('batchedTransactor', () => {
  it('commits concurrent writes together and isolates a failing one', async () => {
    const { database, transact } = await setup()
    const results = await Promise.allSettled([
      transact((tx) => tx.insertInto('navigation_screenplay_states').values(navRow(1)).execute()),
      transact(async (tx) => {
        await tx.insertInto('navigation_screenplay_states').values(navRow(2)).execute()
        throw new Error('second write fails')
      }),
      transact(async (tx) => {
        const seen = await tx.selectFrom('navigation_screenplay_states').select('user_id').execute()
        await tx.insertInto('navigation_screenplay_states').values(navRow(3)).execute()
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
    await database.close()
  })

  it('rejects every write of a batch whose commit fails', async () => {
    const { database, transact } = await setup()
    await database.close()
    await assert.rejects(transact((tx) => tx.insertInto('navigation_screenplay_states').values(navRow(1)).execute()))
  })
})
