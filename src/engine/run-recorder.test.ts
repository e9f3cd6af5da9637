// The recorder over the real runs table, on SQLite and on PostgreSQL (TEST_DIALECT): claims take
// the oldest queued runs in one statement, at most one per conversation, and every write stores
// its events once, numbered without gaps, and publishes them once it has committed.
import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { sql } from 'kysely'
import { ManualClock } from '../../test/helpers/build-test-app.js'
import { QueryLog, touches } from '../../test/helpers/query-log.js'
import { newRun } from '../../test/helpers/run-factories.js'
import { createTestDatabase, testDialect } from '../../test/helpers/test-database.js'
import { openDatabase } from '../platform/db/database.js'
import { migrateToLatest } from '../platform/db/migrate.js'
import { queriesOf, transactorOf } from '../platform/db/unit-of-work.js'
import { batchedTransactor } from '../platform/db/write-batcher.js'
import { LocalClusterChannel } from '../platform/events/cluster-channel.js'
import type { Run } from './run.js'
import { endingOf, finalEventOf } from './run-ending.js'
import { RunEventHub } from './run-event-hub.js'
import { RunEventLog } from './run-event-log.js'
import type { RunEvent, RunEventBody } from './run-events.js'
import { RunRecorder } from './run-recorder.js'
import { KyselyRunsRepo } from './runs.repo.js'
import { runsWithEvents } from './runs-with-events.queries.js'

const WORKER = 'worker-1'
const LEASE = 60_000
/** How the runs these tests store `running` are leased. */
const LEASED = { workerId: WORKER, leaseMs: LEASE }

async function setup(t: TestContext) {
  const testDatabase = await createTestDatabase()
  const queries = new QueryLog()
  const database = openDatabase(testDatabase.url, { ...(testDatabase.schema && { schema: testDatabase.schema }), plugins: [queries] })
  t.after(async () => {
    await database.close()
    await testDatabase.drop()
  })
  await migrateToLatest(database)
  const clock = new ManualClock()
  const repo = new KyselyRunsRepo(database.db, database.dialect)
  const log = new RunEventLog(database.db)
  const hub = new RunEventHub(new LocalClusterChannel())
  const published: RunEvent[] = []
  hub.subscribeAll((events) => published.push(...events))
  const transactor = database.dialect === 'sqlite' ? batchedTransactor(database.db) : transactorOf(database.db)
  let transactions = 0
  const transact: typeof transactor = (work) => {
    transactions++
    return transactor(work)
  }
  const hookErrors: unknown[] = []
  const recorder = new RunRecorder({ repo, log, hub, transact, clock, onHookError: (err) => hookErrors.push(err) })
  let made = 0
  /** A run stored `queued` (or `running` for this worker, as when created with a free slot) at the clock's time. */
  const create = async (fields: Partial<Run> = {}) => {
    const run = newRun(`${String(++made).padStart(2, '0')}${'0'.repeat(22)}`, clock.now(), LEASED, fields)
    await recorder.create(run)
    return run
  }
  const stored = async (runId: string) => log.readAfter(runId, 0)
  return { database, queries, clock, repo, recorder, published, hookErrors, create, stored, transactions: () => transactions }
}

const ids = (runs: readonly Pick<Run, 'id'>[]) => runs.map((run) => run.id)
const seqsOf = (events: readonly RunEvent[], runId: string) => events.filter((e) => e.runId === runId).map((e) => `${e.seq} ${e.type}`)

describe('RunRecorder.startOldest', () => {
  it('claims the oldest queued runs first, at most as many as asked, in one statement', async (t) => {
    const { clock, recorder, queries, create, stored, published, database } = await setup(t)
    // Stored out of age order: `d` is created first but is the youngest; `b` and `c` tie on time (then id decides).
    const d = await create({ createdAt: clock.now() + 40 })
    const a = await create({ createdAt: clock.now() + 10 })
    const c = await create({ id: `cc${'0'.repeat(22)}`, createdAt: clock.now() + 20 })
    const b = await create({ id: `bb${'0'.repeat(22)}`, createdAt: clock.now() + 20 })
    clock.advance(100)
    let first: Run[] = []
    const records = await queries.during(async () => (first = await recorder.startOldest(2, WORKER, clock.now() + LEASE)))
    assert.deepEqual(ids(first), ids([a, b]))
    for (const run of first) assert.deepEqual([run.status, run.workerId, run.lastSeq, run.startedAt], ['running', WORKER, 2, clock.now()])
    const writes = records.filter((r) => touches(r, 'runs'))
    assert.equal(writes.length, 1, 'one statement claims the batch')
    if (database.dialect === 'sqlite')
      assert.equal(records.filter((r) => r.kind === 'InsertQueryNode').length, 1, 'one insert stores the batch’s events')
    assert.deepEqual(ids(await recorder.startOldest(3, WORKER, clock.now() + LEASE)), ids([c, d]))
    assert.deepEqual(await recorder.startOldest(3, WORKER, clock.now() + LEASE), [])
    for (const run of [a, b, c, d]) {
      assert.deepEqual(seqsOf(await stored(run.id), run.id), ['1 run.queued', '2 run.started'])
      assert.deepEqual(seqsOf(published, run.id), ['1 run.queued', '2 run.started'], 'published once each')
    }
  })

  it('claims at most one run of a conversation per batch, the older first, and none while one runs', async (t) => {
    const { clock, recorder, create } = await setup(t)
    const older = await create({ conversationId: 'c1' })
    clock.advance(1)
    const newer = await create({ conversationId: 'c1' })
    clock.advance(1)
    const alone = await create()
    clock.advance(1)
    const other = await create({ conversationId: 'c2' })
    clock.advance(1)
    assert.deepEqual(ids(await recorder.startOldest(10, WORKER, clock.now() + LEASE)), ids([older, alone, other]))
    assert.deepEqual(await recorder.startOldest(10, WORKER, clock.now() + LEASE), [], 'c1 has a running run')
    clock.advance(1)
    assert.equal(await recorder.end(older, ['running'], endingOf(older, { kind: 'cancelled' }, '', null, clock.now())), true)
    assert.deepEqual(ids(await recorder.startOldest(10, WORKER, clock.now() + LEASE)), ids([newer]))
  })
})

describe('RunRecorder.create and end', () => {
  it('store and publish every event once, numbered without gaps, the final one built from the ending', async (t) => {
    const { clock, recorder, repo, create, stored, published } = await setup(t)
    const run = await create({ status: 'running' })
    clock.advance(1_234)
    await recorder.emit(run.id, [{ type: 'text.delta', data: { text: 'a' } }])
    const pending: RunEventBody[] = [
      { type: 'text.delta', data: { text: 'b' } },
      { type: 'usage', data: { tokensIn: 1, tokensOut: 2 } },
    ]
    const ending = endingOf(run, { kind: 'finished', result: { output: 'ab', exitCode: 0 } }, 'ab', null, clock.now())
    assert.equal(await recorder.end(run, ['running'], ending, pending), true)
    assert.equal(await recorder.end(run, ['running'], ending, pending), false, 'ended already: nothing more is stored')
    const events = await stored(run.id)
    assert.deepEqual(seqsOf(events, run.id), ['1 run.queued', '2 run.started', '3 text.delta', '4 text.delta', '5 usage', '6 run.completed'])
    assert.deepEqual(published, events, 'what is published is what is stored, once')
    const ended = await repo.get(run.id)
    assert.deepEqual([ended?.status, ended?.lastSeq, ended?.endedAt], ['completed', 6, clock.now()])
    assert.deepEqual(events.at(-1), { ...finalEventOf(ended!), runId: run.id, seq: 6, at: clock.now() })
    assert.equal((events.at(-1)!.data as { durationMs: number }).durationMs, 1_234)
  })

  it('creates asked for in one turn share one statement on PostgreSQL, and a failing one fails alone', async (t) => {
    const { clock, recorder, repo, stored, published, queries, database } = await setup(t)
    const runs = [
      newRun(`c1${'0'.repeat(22)}`, clock.now(), LEASED, { idempotencyKey: 'k1', usage: { tokensIn: 1, tokensOut: 2 } }),
      newRun(`c2${'0'.repeat(22)}`, clock.now(), LEASED, {
        status: 'running',
        conversationId: 'conv',
        personaVersion: 3,
        options: { metadata: { a: 1 } },
      }),
      newRun(`c3${'0'.repeat(22)}`, clock.now(), LEASED, { cancelRequested: true, timeoutMs: 12_345 }),
    ]
    const records = await queries.during(() => Promise.all(runs.map((run) => recorder.create(run))))
    if (database.dialect === 'postgres') assert.equal(records.length, 1)
    else
      assert.equal(
        records.filter((r) => r.kind === 'InsertQueryNode' && touches(r, 'run_events')).length,
        1,
        'one insert stores the events of every create committed together',
      )
    for (const run of runs) {
      assert.deepEqual(await repo.get(run.id), run, 'every column stored as it was given')
      const expected = run.status === 'running' ? ['1 run.queued', '2 run.started'] : ['1 run.queued']
      assert.deepEqual(seqsOf(await stored(run.id), run.id), expected)
      assert.deepEqual(seqsOf(published, run.id), expected)
    }

    clock.advance(1)
    const again = [
      newRun(`d1${'0'.repeat(22)}`, clock.now(), LEASED, {}),
      newRun(`d2${'0'.repeat(22)}`, clock.now(), LEASED, { idempotencyKey: 'k1' }),
    ]
    const [fresh, duplicate] = await Promise.allSettled(again.map((run) => recorder.create(run)))
    assert.equal(fresh?.status, 'fulfilled')
    assert.equal(duplicate?.status, 'rejected', 'an idempotency key is stored once')
    assert.deepEqual(seqsOf(await stored(again[0]!.id), again[0]!.id), ['1 run.queued'])
    assert.equal(await repo.get(again[1]!.id), undefined)
  })

  it('ends asked for in one turn share one statement on PostgreSQL, never two ends of one run', async (t) => {
    const { clock, recorder, repo, create, stored, published, queries, database } = await setup(t)
    const [a, b, c] = [await create({ status: 'running' }), await create({ status: 'running' }), await create({ status: 'running' })]
    const queued = await create()
    clock.advance(5)
    const finish = (run: Run, text: string) =>
      recorder.end(run, ['running'], endingOf(run, { kind: 'finished', result: { output: text, exitCode: 0 } }, text, null, clock.now()), [
        { type: 'text.delta', data: { text } },
      ])
    let ended: boolean[] = []
    const records = await queries.during(async () => {
      ended = await Promise.all([finish(a!, 'a'), finish(b!, 'b'), finish(a!, 'again'), finish(queued, 'not running'), finish(c!, 'c')])
    })
    assert.deepEqual(ended, [true, true, false, false, true], 'a run ends once; a run not in `from` does not end')
    // The first end of each run in one statement, a's second end in the next.
    if (database.dialect === 'postgres') assert.equal(records.length, 2)
    for (const [run, text] of [
      [a!, 'a'],
      [b!, 'b'],
      [c!, 'c'],
    ] as const) {
      const expected = ['1 run.queued', '2 run.started', '3 text.delta', '4 run.completed']
      assert.deepEqual(seqsOf(await stored(run.id), run.id), expected)
      assert.deepEqual(seqsOf(published, run.id), expected)
      const row = await repo.get(run.id)
      assert.deepEqual([row?.status, row?.output, row?.lastSeq, row?.endedAt], ['completed', text, 4, clock.now()])
      assert.deepEqual((await stored(run.id))[2]?.data, { text })
    }
    assert.deepEqual(seqsOf(await stored(queued.id), queued.id), ['1 run.queued'])
  })

  it('ends from different statuses in one turn, each in its own statement', async (t) => {
    const { clock, recorder, create, stored, queries, database } = await setup(t)
    const [a, b] = [await create({ status: 'running' }), await create({ status: 'running' })]
    const queued = await create()
    const finish = (run: Run) =>
      recorder.end(run, ['running'], endingOf(run, { kind: 'finished', result: { output: 'x', exitCode: 0 } }, 'x', null, clock.now()))
    const cancel = (run: Run) => recorder.end(run, ['queued'], endingOf(run, { kind: 'cancelled' }, '', null, clock.now()))
    let ended: boolean[] = []
    const records = await queries.during(async () => {
      ended = await Promise.all([finish(a!), cancel(queued), finish(b!), cancel(a!)])
    })
    assert.deepEqual(ended, [true, true, true, false], 'a running run is not cancelled as a queued one')
    if (database.dialect === 'postgres') assert.equal(records.length, 2)
    assert.deepEqual(seqsOf(await stored(queued.id), queued.id), ['1 run.queued', '2 run.cancelled'])
    assert.deepEqual(seqsOf(await stored(a!.id), a!.id), ['1 run.queued', '2 run.started', '3 run.completed'])
  })

  it('plans the shared end, even on an empty table, to read only the runs in the statuses it ends from', {
    skip: testDialect() !== 'postgres' && 'a PostgreSQL plan',
  }, async (t) => {
    const { database } = await setup(t)
    // The plan a prepared statement settles on is kept until the table is analyzed again, which may be never.
    for (const from of ['running', 'queued']) {
      const statement = runsWithEvents(database.db).endMany(from).sql
      const parameters = new Set(statement.match(/\$\d+/g)).size
      const plan = await database.db.connection().execute(async (db) => {
        await sql`set plan_cache_mode = force_generic_plan`.execute(db)
        await sql.raw(`prepare end_batch as ${statement}`).execute(db)
        try {
          const values = Array.from({ length: parameters }, () => "'{}'").join(', ')
          const { rows } = await sql.raw<{ 'QUERY PLAN': string }>(`explain (costs off) execute end_batch(${values})`).execute(db)
          return rows.map((row) => row['QUERY PLAN']).join('\n')
        } finally {
          await sql`deallocate end_batch`.execute(db)
          await sql`reset plan_cache_mode`.execute(db)
        }
      })
      assert.doesNotMatch(plan, /Seq Scan on runs\b/, plan)
      assert.match(plan, /Index (Only )?Scan using \w+ on runs\b/, plan)
    }
  })

  it('ends a shared statement could not store one by one, so a bad end fails alone', async (t) => {
    const { clock, recorder, create, stored, database } = await setup(t)
    const [good, bad] = [await create({ status: 'running' }), await create({ status: 'running' })]
    const finish = (run: Run, output: string) =>
      recorder.end(run, ['running'], endingOf(run, { kind: 'finished', result: { output, exitCode: 0 } }, output, null, clock.now()))
    // Text PostgreSQL cannot store (routes refuse it before it gets here); SQLite stores it.
    const [goodEnd, badEnd] = await Promise.allSettled([finish(good, 'fine'), finish(bad, 'nul \0 inside')])
    assert.deepEqual(goodEnd, { status: 'fulfilled', value: true })
    assert.equal(badEnd.status, database.dialect === 'postgres' ? 'rejected' : 'fulfilled')
    assert.deepEqual(seqsOf(await stored(good.id), good.id), ['1 run.queued', '2 run.started', '3 run.completed'])
  })

  it('stores half a character as U+FFFD in shared statements, as node-postgres sends text of its own', {
    skip: testDialect() !== 'postgres' && 'PostgreSQL text (SQLite stores the bytes better-sqlite3 makes of it)',
  }, async (t) => {
    const { clock, recorder, repo, queries } = await setup(t)
    const halves = [
      newRun(`h1${'0'.repeat(22)}`, clock.now(), LEASED, { status: 'running', input: 'high \ud800 alone' }),
      newRun(`h2${'0'.repeat(22)}`, clock.now(), LEASED, { status: 'running', input: 'whole \u{1f600}' }),
    ]
    const created = await queries.during(() => Promise.all(halves.map((run) => recorder.create(run))))
    const finish = (run: Run, output: string) =>
      recorder.end(run, ['running'], endingOf(run, { kind: 'finished', result: { output, exitCode: 0 } }, output, null, clock.now()))
    const ended = await queries.during(() => Promise.all([finish(halves[0]!, 'low \udfff alone'), finish(halves[1]!, 'fine')]))
    assert.deepEqual([created.length, ended.length], [1, 1], 'one statement each, none refused')
    const [half, whole] = [await repo.get(halves[0]!.id), await repo.get(halves[1]!.id)]
    assert.deepEqual([half?.input, half?.output, half?.status], ['high \ufffd alone', 'low \ufffd alone', 'completed'])
    assert.deepEqual([whole?.input, whole?.output], ['whole \u{1f600}', 'fine'])
  })

  it('ends a queued run, and a run with more events than one statement stores', async (t) => {
    const { clock, recorder, create, stored, published } = await setup(t)
    const queued = await create()
    assert.equal(await recorder.end(queued, ['queued'], endingOf(queued, { kind: 'cancelled' }, '', null, clock.now())), true)
    assert.deepEqual(seqsOf(await stored(queued.id), queued.id), ['1 run.queued', '2 run.cancelled'])
    const chatty = await create({ status: 'running' })
    const pending = Array.from({ length: 40 }, (_, i): RunEventBody => ({ type: 'text.delta', data: { text: String(i) } }))
    assert.equal(await recorder.end(chatty, ['running'], endingOf(chatty, { kind: 'timed_out' }, '', null, clock.now()), pending), true)
    const events = await stored(chatty.id)
    assert.deepEqual(
      events.map((e) => e.seq),
      Array.from({ length: 43 }, (_, i) => i + 1),
    )
    assert.equal(events.at(-1)?.type, 'run.timed_out')
    assert.deepEqual(
      published.filter((e) => e.runId === chatty.id),
      events,
    )
  })

  it('runs end hooks in the ending transaction with the ended run; a failing hook rolls back alone', async (t) => {
    const { clock, recorder, create, stored, published, hookErrors, database } = await setup(t)
    const seen: Array<[string, string, number]> = []
    let fail = false
    recorder.onEnd(async (run, uow) => {
      seen.push([run.id, run.status, run.lastSeq])
      // A write of its own in the ending transaction: it vanishes with a failing hook.
      await queriesOf(uow, database.db)
        .insertInto('navigation_screenplay_states')
        .values({ user_id: run.id, screenplay_id: 's', conversation_id: null, updated_at: clock.now() })
        .execute()
      if (fail) throw new Error('hook broke')
    })
    const hookWrites = async () =>
      (await database.db.selectFrom('navigation_screenplay_states').select('user_id').orderBy('user_id').execute()).map((row) => row.user_id)
    const ok = await create({ status: 'running' })
    assert.equal(await recorder.end(ok, ['running'], endingOf(ok, { kind: 'cancelled' }, '', null, clock.now())), true)
    assert.deepEqual(seen, [[ok.id, 'cancelled', 3]])
    fail = true
    const broken = await create({ status: 'running' })
    assert.equal(await recorder.end(broken, ['running'], endingOf(broken, { kind: 'cancelled' }, '', null, clock.now())), true)
    assert.equal(hookErrors.length, 1)
    assert.deepEqual(await hookWrites(), [ok.id], 'the failed hook’s write was rolled back')
    assert.deepEqual(seqsOf(await stored(broken.id), broken.id), ['1 run.queued', '2 run.started', '3 run.cancelled'])
    assert.deepEqual(seqsOf(published, broken.id), ['1 run.queued', '2 run.started', '3 run.cancelled'], 'the rolled back end published nothing')
  })

  it('runs only the end hooks that concern a run, and tells listeners of each end before publishing its final event', async (t) => {
    const { clock, recorder, create, published, database, transactions } = await setup(t)
    const hooked: string[] = []
    recorder.onEnd(
      async (run) => void hooked.push(run.id),
      (run) => run.conversationId !== null,
    )
    const heard: Array<[string, string[]]> = []
    recorder.afterEnd((run) => heard.push([run.id, seqsOf(published, run.id)]))
    const plain = await create({ status: 'running' })
    const chat = await create({ status: 'running', conversationId: 'c1' })

    const before = transactions()
    assert.equal(await recorder.end(plain, ['running'], endingOf(plain, { kind: 'cancelled' }, '', null, clock.now())), true)
    const plainTransactions = transactions() - before
    assert.equal(await recorder.end(chat, ['running'], endingOf(chat, { kind: 'cancelled' }, '', null, clock.now())), true)

    assert.deepEqual(hooked, [chat.id])
    assert.deepEqual(heard, [
      [plain.id, ['1 run.queued', '2 run.started']],
      [chat.id, ['1 run.queued', '2 run.started']],
    ])
    assert.deepEqual(seqsOf(published, plain.id), ['1 run.queued', '2 run.started', '3 run.cancelled'])
    // PostgreSQL stores the final event in the statement that ends the run: with no hook to run
    // alongside, that statement needs no transaction. SQLite's ends go through the group commit.
    assert.equal(plainTransactions, database.dialect === 'postgres' ? 0 : 1)
  })
})
