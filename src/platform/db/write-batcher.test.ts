import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely'
import { openDatabase } from './database.js'
import { migrateToLatest } from './migrate.js'
import { queriesOf, transactorOf, type GatheredWrite, type UnitOfWork } from './unit-of-work.js'
import { batchedTransactor } from './write-batcher.js'

/** The statements Kysely sends, by their SQL (begin and commit go around it). */
class StatementLog implements KyselyPlugin {
  readonly sql: string[] = []
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    if (node.kind === 'RawNode') this.sql.push(node.sqlFragments.join('?'))
    else this.sql.push(node.kind)
    return node
  }
  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result
  }
}

async function setup() {
  const statements = new StatementLog()
  const database = openDatabase('sqlite::memory:', { plugins: [statements] })
  await migrateToLatest(database)
  statements.sql.length = 0
  return { database, statements, transact: batchedTransactor(database.db), q: (uow: UnitOfWork) => queriesOf(uow, database.db) }
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

  it('writes a batch without savepoints while no write fails', async () => {
    const { database, statements, transact, q } = await setup()
    await Promise.all([1, 2, 3].map((n) => transact((uow) => q(uow).insertInto('navigation_screenplay_states').values(navRow(n)).execute())))
    assert.deepEqual(statements.sql, ['InsertQueryNode', 'InsertQueryNode', 'InsertQueryNode'])
    await database.close()
  })

  it('runs the other writes once more, each in a savepoint, after one fails; each commits once', async () => {
    const { database, transact, q } = await setup()
    const runs = [0, 0, 0]
    const committed: number[] = []
    const write = (n: number, fails = false) =>
      transact(async (uow) => {
        runs[n - 1]!++
        uow.afterCommit(() => committed.push(n))
        await q(uow).insertInto('navigation_screenplay_states').values(navRow(n)).execute()
        if (fails) throw new Error(`write ${n} fails`)
      })
    const results = await Promise.allSettled([write(1), write(2), write(3, true)])
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'rejected'],
    )
    assert.deepEqual(runs, [2, 2, 2], 'the batch ran together, then each write in its savepoint')
    assert.deepEqual(committed, [1, 2])
    const rows = await database.db.selectFrom('navigation_screenplay_states').select('user_id').orderBy('user_id').execute()
    assert.deepEqual(
      rows.map((r) => r.user_id),
      ['u1', 'u2'],
    )
    await database.close()
  })

  it('makes what its writes gather once for the batch, before the commit; after a failure, once per write', async () => {
    const { database, transact, q } = await setup()
    const made: number[][] = []
    // Stores the gathered users' rows; a row of user 0 makes it fail.
    const rows: GatheredWrite<number> = {
      async write(users, queries) {
        made.push([...users])
        if (users.includes(0)) throw new Error('user 0 cannot be stored')
        await queries
          .insertInto('navigation_screenplay_states')
          .values(users.map((n) => navRow(n)))
          .execute()
      },
    }
    const write = (...users: number[]) => transact(async (uow) => uow.gather(rows, users))
    await Promise.all([write(1, 2), write(3), write(4)])
    assert.deepEqual(made, [[1, 2, 3, 4]], 'one write, with every row, in the same transaction')

    made.length = 0
    const results = await Promise.allSettled([write(5), write(0, 6), write(7)])
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    )
    assert.deepEqual(made, [[5, 0, 6, 7], [5], [0, 6], [7]], 'together first, then each write alone in its savepoint')
    const stored = await database.db.selectFrom('navigation_screenplay_states').select('user_id').orderBy('user_id').execute()
    assert.deepEqual(
      stored.map((r) => r.user_id),
      ['u1', 'u2', 'u3', 'u4', 'u5', 'u7'],
    )

    // One transaction per unit of work (PostgreSQL's): a failing gathered write rolls its unit back.
    const plain = transactorOf(database.db)
    await assert.rejects(
      plain(async (uow) => {
        await q(uow).insertInto('navigation_screenplay_states').values(navRow(8)).execute()
        uow.gather(rows, [0])
      }),
      /user 0/,
    )
    await plain(async (uow) => uow.gather(rows, [9]))
    assert.deepEqual(
      (await database.db.selectFrom('navigation_screenplay_states').select('user_id').where('user_id', 'in', ['u8', 'u9']).execute()).map(
        (r) => r.user_id,
      ),
      ['u9'],
    )
    await database.close()
  })

  it('rolls back a write that fails alone', async () => {
    const { database, statements, transact, q } = await setup()
    const write = transact(async (uow) => {
      await q(uow).insertInto('navigation_screenplay_states').values(navRow(1)).execute()
      throw new Error('the only write fails')
    })
    await assert.rejects(write, /the only write fails/)
    assert.deepEqual(statements.sql, ['InsertQueryNode'], 'no savepoint, and not run again')
    assert.equal((await database.db.selectFrom('navigation_screenplay_states').selectAll().execute()).length, 0)
    await database.close()
  })

  it('rejects every write of a batch whose commit fails', async () => {
    const { database, transact, q } = await setup()
    await database.close()
    await assert.rejects(transact((uow) => q(uow).insertInto('navigation_screenplay_states').values(navRow(1)).execute()))
  })
})
