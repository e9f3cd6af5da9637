import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { sql } from 'kysely'
import { createTestDatabase, testDialect } from '../../../test/helpers/test-database.js'
import { openDatabase, PREPARE_MARK } from './database.js'
import { migrateToLatest } from './migrate.js'
import { PreparedQuery, placeholdersOf, preparedVariants } from './prepared-query.js'

async function setup() {
  const database = openDatabase('sqlite::memory:')
  await migrateToLatest(database)
  return database
}

type NavRow = { user_id: string; screenplay_id: string; updated_at: number }

describe('PreparedQuery', () => {
  it('binds new values on every execution, in a transaction or not', async () => {
    const { db, close } = await setup()
    const insert = new PreparedQuery(db, (row: NavRow) =>
      db
        .insertInto('navigation_screenplay_states')
        .values({ ...placeholdersOf(row, ['user_id', 'screenplay_id', 'updated_at']), conversation_id: null }),
    )
    const byUser = new PreparedQuery(db, (p: { user: string }) =>
      db.selectFrom('navigation_screenplay_states').selectAll().where('user_id', '=', p.user),
    )
    await insert.execute({ user_id: 'u1', screenplay_id: 's1', updated_at: 1 })
    await db.transaction().execute((tx) => insert.execute({ user_id: 'u2', screenplay_id: 's2', updated_at: 2 }, tx))
    assert.deepEqual(
      [await byUser.takeFirst({ user: 'u1' }), await byUser.takeFirst({ user: 'u2' })].map((row) => [row?.screenplay_id, row?.updated_at]),
      [
        ['s1', 1],
        ['s2', 2],
      ],
    )
    assert.equal(await byUser.takeFirst({ user: 'nobody' }), undefined)
    await close()
  })

  it('answers inside a transaction as outside it: rows, counts, and a failure that rejects and rolls back', async () => {
    const { db, close } = await setup()
    const insert = new PreparedQuery(db, (row: NavRow) =>
      db
        .insertInto('navigation_screenplay_states')
        .values({ ...placeholdersOf(row, ['user_id', 'screenplay_id', 'updated_at']), conversation_id: null }),
    )
    const touch = new PreparedQuery(db, (p: { user: string; at: number }) =>
      db.updateTable('navigation_screenplay_states').set({ updated_at: p.at }).where('user_id', '=', p.user),
    )
    const byUser = new PreparedQuery(db, (p: { user: string }) =>
      db.selectFrom('navigation_screenplay_states').select(['screenplay_id', 'updated_at']).where('user_id', '=', p.user),
    )
    await insert.execute({ user_id: 'u1', screenplay_id: 's1', updated_at: 1 })
    const inside = await db.transaction().execute(async (tx) => ({
      inserted: Number((await insert.execute({ user_id: 'u2', screenplay_id: 's2', updated_at: 2 }, tx)).numAffectedRows),
      touched: await touch.affected({ user: 'u1', at: 3 }, tx),
      missed: await touch.affected({ user: 'nobody', at: 3 }, tx),
      read: await byUser.takeAll({ user: 'u1' }, tx),
    }))
    assert.deepEqual(inside, { inserted: 1, touched: 1, missed: 0, read: [{ screenplay_id: 's1', updated_at: 3 }] })

    // A statement that fails rejects its promise (it does not throw), and its transaction rolls back whole.
    await assert.rejects(
      db.transaction().execute(async (tx) => {
        await touch.execute({ user: 'u1', at: 4 }, tx)
        await assert.rejects(() => insert.execute({ user_id: 'u1', screenplay_id: 's1', updated_at: 4 }, tx), /UNIQUE constraint failed/)
        throw new Error('roll back')
      }),
      /roll back/,
    )
    assert.deepEqual(await byUser.takeAll({ user: 'u1' }), [{ screenplay_id: 's1', updated_at: 3 }])
    await close()
  })

  it('runs with every value given in the order it binds them, constants included', async () => {
    const { db, close } = await setup()
    const insert = new PreparedQuery(db, (row: NavRow) =>
      db
        .insertInto('navigation_screenplay_states')
        .values({ user_id: row.user_id, screenplay_id: 's', conversation_id: null, updated_at: row.updated_at }),
    )
    assert.deepEqual(insert.placeholders, ['user_id', undefined, undefined, 'updated_at'])
    await insert.executeInOrder(['u1', 's', null, 7])
    await db.transaction().execute((tx) => insert.executeInOrder(['u2', 's', null, 8], tx))
    const rows = await db.selectFrom('navigation_screenplay_states').select(['user_id', 'updated_at']).orderBy('user_id').execute()
    assert.deepEqual(rows, [
      { user_id: 'u1', updated_at: 7 },
      { user_id: 'u2', updated_at: 8 },
    ])
    await close()
  })

  it('marks its SQL for PostgreSQL to prepare', async () => {
    const { db, close } = await setup()
    const build = (p: { user: string }) => db.selectFrom('navigation_screenplay_states').selectAll().where('user_id', '=', p.user)
    assert.ok(new PreparedQuery(db, build).sql.startsWith(PREPARE_MARK))
    await close()
  })

  it('keeps the values the query names itself', async () => {
    const { db, close } = await setup()
    await db.insertInto('navigation_screenplay_states').values({ user_id: 'u1', screenplay_id: 's', conversation_id: null, updated_at: 5 }).execute()
    const touch = new PreparedQuery(db, (p: { user: string }) =>
      db.updateTable('navigation_screenplay_states').set({ updated_at: 9 }).where('user_id', '=', p.user),
    )
    assert.equal(await touch.affected({ user: 'u1' }), 1)
    assert.equal(await touch.affected({ user: 'u2' }), 0)
    assert.equal((await db.selectFrom('navigation_screenplay_states').select('updated_at').executeTakeFirst())?.updated_at, 9)
    await close()
  })

  it('refuses a query whose SQL would depend on a value', async () => {
    const { db, close } = await setup()
    assert.throws(
      () =>
        new PreparedQuery(db, (p: { user: string; newest: boolean }) =>
          db
            .selectFrom('navigation_screenplay_states')
            .selectAll()
            .where('user_id', '=', p.user)
            .orderBy('updated_at', p.newest ? 'desc' : 'asc'),
        ),
      /'newest' is not a bound parameter/,
    )
    await close()
  })

  it('compiles each variant once, and past the limit on every call', async () => {
    const { db, close } = await setup()
    let built = 0
    const variant = preparedVariants((n: number) => {
      built++
      return new PreparedQuery(db, (p: { user: string }) =>
        db.selectFrom('navigation_screenplay_states').select('user_id').where('user_id', '=', p.user).limit(n),
      )
    }, 2)
    for (const n of [1, 2, 1, 2, 3, 3]) variant(n)
    assert.equal(built, 4)
    await close()
  })
})

describe('PreparedQuery on PostgreSQL', { skip: testDialect() !== 'postgres' && 'PostgreSQL only' }, () => {
  async function postgres(t: TestContext) {
    const test = await createTestDatabase()
    const database = openDatabase(test.url, { schema: test.schema!, poolSize: 1 })
    await migrateToLatest(database)
    t.after(async () => {
      await database.close()
      await test.drop()
    })
    return database
  }

  it('runs as a named prepared statement of the connection; other queries do not', async (t) => {
    const { db } = await postgres(t)
    const byUser = new PreparedQuery(db, (p: { user: string }) =>
      db.selectFrom('navigation_screenplay_states').select('user_id').where('user_id', '=', p.user),
    )
    const statements = await db.transaction().execute(async (tx) => {
      await byUser.execute({ user: 'u1' }, tx)
      await byUser.execute({ user: 'u2' }, tx)
      await tx.selectFrom('navigation_screenplay_states').select('updated_at').execute()
      return (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(tx)).rows.map((row) => row.statement)
    })
    assert.deepEqual(statements, [byUser.sql])
  })
})
