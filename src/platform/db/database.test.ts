// PostgreSQL sessions of a stalled gateway: a transaction left idle past the timeout is ended by the
// server, so the rows it locked do not hold up the other gateways (they reap its runs).
import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { sql } from 'kysely'
import { createTestDatabase, testDialect } from '../../../test/helpers/test-database.js'
import { openDatabase } from './database.js'

async function twoGateways(t: TestContext) {
  const testDatabase = await createTestDatabase()
  const schema = testDatabase.schema!
  const stalled = openDatabase(testDatabase.url, { schema, idleInTransactionTimeoutMs: 300 })
  const other = openDatabase(testDatabase.url, { schema })
  let resume = () => {}
  const stalledUntilResumed = new Promise<void>((resolve) => (resume = resolve))
  t.after(async () => {
    resume()
    await stalled.close()
    await other.close()
    await testDatabase.drop()
  })
  await sql`create table locked (id int primary key, owner text)`.execute(other.db)
  await sql`insert into locked values (1, 'nobody')`.execute(other.db)
  return { stalled, other, stalledUntilResumed, resume }
}

describe('PostgreSQL sessions', { skip: testDialect() !== 'postgres' }, () => {
  it('end a transaction left idle past the timeout, freeing its row locks for another session', { timeout: 15_000 }, async (t) => {
    const { stalled, other, stalledUntilResumed, resume } = await twoGateways(t)
    // Locks the row, then waits (no query running) until the other session has written it: without
    // the timeout the two would wait for each other for ever.
    let locked = () => {}
    const rowLocked = new Promise<void>((resolve) => (locked = resolve))
    const held = stalled.db.transaction().execute(async (tx) => {
      await sql`update locked set owner = 'stalled' where id = 1`.execute(tx)
      locked()
      await stalledUntilResumed
      await sql`select 1`.execute(tx)
    })
    held.catch(() => {})
    await rowLocked

    await sql`update locked set owner = 'other' where id = 1`.execute(other.db)
    resume()

    await assert.rejects(held, 'the stalled transaction was ended by the server')
    const { rows } = await sql<{ owner: string }>`select owner from locked where id = 1`.execute(other.db)
    assert.deepEqual(rows, [{ owner: 'other' }], 'the stalled write was rolled back')
  })
})
