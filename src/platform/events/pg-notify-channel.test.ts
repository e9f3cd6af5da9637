// The cluster channel over a real PostgreSQL: two channels on one schema stand for two gateway
// instances; a plain LISTEN connection (not an instance) counts the notifications that actually travel.
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { describe, it, type TestContext } from 'node:test'
import pg from 'pg'
import pino from 'pino'
import { createTestDatabase, testDialect, type TestDatabase } from '../../../test/helpers/test-database.js'
import { waitFor } from '../../../test/helpers/wait.js'
import { openDatabase, PREPARE_MARK } from '../db/database.js'
import { migrateToLatest } from '../db/migrate.js'
import { Greeting, JOIN_MEMBERSHIP, MembershipBelief, membershipKey } from './cluster-members.js'
import { channelClient, notifyStatement, PgNotifyChannel, type PgNotifyChannelOptions } from './pg-notify-channel.js'

function warnings(lines: string[]) {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const line = JSON.parse(chunk.toString('utf8')) as { level: number; msg: string }
      if (line.level >= 40) lines.push(line.msg)
      done()
    },
  })
  return pino({ level: 'warn' }, sink)
}

async function setup(t: TestContext) {
  const { open, database, warned } = await instances(t)
  const sender = await open()
  const receiver = await open()
  const notifications = await listenRaw(t, database)
  return { sender, receiver, notifications, warned }
}

/** A migrated schema, and a way to start instances' channels on it (closed after the test). */
async function instances(t: TestContext) {
  const database = await createTestDatabase()
  const migrated = openDatabase(database.url, { schema: database.schema! })
  await migrateToLatest(migrated)
  await migrated.close()
  const warned: string[] = []
  const opened: PgNotifyChannel[] = []
  t.after(async () => {
    for (const channel of opened) await channel.close()
    await database.drop()
  })
  // Two payloads a statement: a batch of more notifications takes several statements, in order.
  const open = async (options: PgNotifyChannelOptions = {}) => {
    const channel = new PgNotifyChannel(database.url, { schema: database.schema!, logger: warnings(warned), payloadsPerStatement: 2, ...options })
    opened.push(channel)
    await channel.start()
    return channel
  }
  return { open, database, warned }
}

/** The notifications on the deployment's channel, as any LISTEN connection sees them. */
async function listenRaw(t: TestContext, database: TestDatabase) {
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  t.after(() => client.end())
  const payloads: string[] = []
  client.on('notification', (message) => payloads.push(message.payload ?? ''))
  await client.query(`listen "${database.schema}_cluster"`)
  return { payloads }
}

function collect(channel: PgNotifyChannel, ...names: string[]) {
  const received: string[] = []
  for (const name of names) channel.on(name, (payload) => received.push(`${name}:${payload}`))
  return received
}

describe('MembershipBelief', () => {
  it('is not alone until a look finds nobody, and a look begun before a hello or a lost connection does not count', async () => {
    const belief = new MembershipBelief()
    assert.equal(belief.isAlone, false, 'before any look')
    await belief.look(async () => [])
    assert.equal(belief.isAlone, true)
    // A look whose answer comes after a hello.
    let answer: (others: number[]) => void = () => {}
    const stale = belief.look(() => new Promise((resolve) => (answer = resolve)))
    belief.notAlone()
    answer([])
    assert.deepEqual(await stale, [])
    assert.equal(belief.isAlone, false, 'the look began before the hello')
    await belief.look(async () => [])
    assert.equal(belief.isAlone, true)
    assert.deepEqual(await belief.look(async () => [42]), [42])
    assert.equal(belief.isAlone, false, 'a look that finds another instance counts')
  })
})

describe('Greeting', () => {
  it('is done once every instance seen has answered or gone, or when it gives up', async () => {
    const state = (greeting: Greeting) => Promise.race([greeting.done.then(() => 'done'), new Promise((resolve) => setImmediate(resolve, 'waiting'))])
    const greeting = new Greeting([11, 12, 13])
    greeting.answered(11)
    greeting.answered(99)
    assert.equal(await state(greeting), 'waiting')
    greeting.stillThere([12, 13, 14])
    assert.equal(greeting.waitingFor, 2)
    greeting.stillThere([12])
    assert.equal(await state(greeting), 'waiting')
    greeting.answered(12)
    assert.equal(await state(greeting), 'done')
    assert.equal(await state(new Greeting([])), 'done')
    const stuck = new Greeting([1])
    stuck.giveUp()
    assert.equal(await state(stuck), 'done')
    assert.equal(stuck.waitingFor, 1)
  })
})

describe('notifyStatement', () => {
  it('marks the statements of a few payloads to be prepared, and builds each once', () => {
    for (let count = 1; count <= 8; count++) {
      const text = notifyStatement(count)
      assert.ok(text.startsWith(PREPARE_MARK), `${count} payloads: prepared`)
      assert.equal(text.match(/\$\d+/g)?.length, count + 1)
      assert.equal(notifyStatement(count), text)
    }
    assert.ok(!notifyStatement(9).startsWith(PREPARE_MARK))
    assert.match(notifyStatement(1000), /\$1001\]/)
  })
})

describe('PgNotifyChannel', { skip: testDialect() !== 'postgres' && 'PostgreSQL only' }, () => {
  it('sends the messages of one event-loop turn in one notification, in order, to the other instances only', async (t) => {
    const { sender, receiver, notifications } = await setup(t)
    const received = collect(receiver, 'a', 'b')
    const echoed = collect(sender, 'a', 'b')
    const sent = Array.from({ length: 100 }, (_, i) => `${i % 3 === 0 ? 'b' : 'a'}:message ${i}`)
    for (const message of sent) sender.send(message[0]!, message.slice(2))
    await waitFor(() => received.length === sent.length, 5_000, 'every message')
    assert.deepEqual(received, sent)
    // The raw listener is another connection: it may hear the same notification a moment later.
    await waitFor(() => notifications.payloads.length > 0, 5_000, 'the raw notification')
    assert.equal(notifications.payloads.length, 1)
    assert.deepEqual(echoed, [], 'an instance does not hear itself')
  })

  it('sends nothing while alone; an instance that joins hears everything sent once its start has resolved', async (t) => {
    const { open, database } = await instances(t)
    // Only the joining handshake can tell the first instance it is no longer alone.
    const first = await open({ membersLookMs: 600_000 })
    const notifications = await listenRaw(t, database)
    assert.equal(first.isClustered, false)
    first.send('a', 'sent-while-alone')
    const second = await open({ membersLookMs: 600_000 })
    first.send('a', 'sent-together')
    const received = collect(second, 'a')
    await waitFor(() => received.length > 0, 5_000, 'the message sent after the second instance started')
    assert.deepEqual(received, ['a:sent-together'])
    assert.equal(first.isClustered, true)
    assert.equal(second.isClustered, true)
    // Notifications reach the raw listener in the order they were committed.
    await waitFor(() => notifications.payloads.some((payload) => payload.includes('sent-together')), 5_000, 'the raw notification')
    assert.ok(!notifications.payloads.some((payload) => payload.includes('sent-while-alone')), 'nothing was sent while alone')
  })

  it('is alone again once the others have gone, and not alone once another says hello', async (t) => {
    const { open } = await instances(t)
    const first = await open({ membersLookMs: 50 })
    const second = await open()
    assert.equal(first.isClustered, true)
    await second.close()
    await waitFor(() => !first.isClustered, 5_000, 'the first instance alone')
    const third = await open()
    const received = collect(third, 'a')
    first.send('a', 'hello third')
    await waitFor(() => received.length > 0, 5_000, 'the message to the third instance')
    assert.deepEqual(received, ['a:hello third'])
  })

  it('does not wait for an answer from an instance that is gone, and warns of nothing', async (t) => {
    const { open, database, warned } = await instances(t)
    // Holds the membership lock like an instance, but never answers a hello.
    const silent = new pg.Client({ connectionString: database.url })
    await silent.connect()
    await silent.query(JOIN_MEMBERSHIP, [membershipKey(`${database.schema}_cluster`)])
    let started = false
    const joining = open().then(() => (started = true))
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.equal(started, false, 'it waits for the silent instance')
    await silent.end()
    await waitFor(() => started, 5_000, 'the start once the silent instance has gone')
    await joining
    assert.deepEqual(warned, [])
  })

  it('splits a batch at the notification size limit and keeps the order', async (t) => {
    const { sender, receiver, notifications } = await setup(t)
    const received = collect(receiver, 'a')
    const sent = Array.from({ length: 40 }, (_, i) => `${i} ${'ü'.repeat(500)}`)
    for (const payload of sent) sender.send('a', payload)
    await waitFor(() => received.length === sent.length, 5_000, 'every message')
    assert.deepEqual(
      received,
      sent.map((payload) => `a:${payload}`),
    )
    await waitFor(() => notifications.payloads.some((payload) => payload.includes(sent.at(-1)!)), 5_000, 'the raw notifications')
    assert.ok(notifications.payloads.length >= 5, `${notifications.payloads.length} notifications`)
    for (const payload of notifications.payloads) assert.ok(Buffer.byteLength(payload) < 8000)
  })

  it('delivers text as it was sent, whatever it holds, inline and parked', async (t) => {
    const { sender, receiver } = await setup(t)
    const received = collect(receiver, 'a')
    const tricky = [
      '"quoted", {braced}, [a, b]',
      'back\\slash \\ud800 typed',
      'line\nbreak\ttab',
      'emoji \u{1f600} ü',
      '{"data":{"text":"\\"hi\\""}}',
      'NULL',
    ]
    const sent = [...tricky, tricky.join(' ').repeat(400)]
    for (const payload of sent) sender.send('a', payload)
    sender.send('a', 'half \ud800 a character')
    await waitFor(() => received.length === sent.length + 1, 5_000, 'every message')
    assert.deepEqual(
      received,
      [...sent, 'half \ufffd a character'].map((payload) => `a:${payload}`),
    )
  })

  it('connects in the deployment’s schema, committing without waiting for the WAL flush, and prepares the marked notify statements', async (t) => {
    const database = await createTestDatabase()
    const client = channelClient(database.url, database.schema!)
    t.after(async () => {
      await client.end()
      await database.drop()
    })
    await client.connect()
    const { rows } = await client.query<{ commit: string; schema: string }>('select current_setting($1) as commit, current_schema() as schema', [
      'synchronous_commit',
    ])
    assert.deepEqual(rows[0], { commit: 'off', schema: database.schema })
    await client.query(notifyStatement(2), ['gw_test', 'a', 'b'])
    await client.query(notifyStatement(9), ['gw_test', ...'abcdefghi'])
    const prepared = await client.query<{ statement: string }>('select statement from pg_prepared_statements')
    assert.deepEqual(
      prepared.rows.map((row) => row.statement),
      [notifyStatement(2)],
    )
  })

  it('parks a payload too large for a notification and delivers it in its place', async (t) => {
    const { sender, receiver } = await setup(t)
    const received = collect(receiver, 'a')
    const large = 'x'.repeat(20_000)
    sender.send('a', 'before')
    sender.send('a', large)
    sender.send('a', 'after')
    await waitFor(() => received.length === 3, 5_000, 'every message')
    assert.deepEqual(received, ['a:before', `a:${large}`, 'a:after'])
  })

  it('sends what is waiting when it closes, drops what comes later, and warns of nothing', async (t) => {
    const { sender, receiver, warned } = await setup(t)
    const received = collect(receiver, 'a')
    for (let i = 0; i < 2000; i++) sender.send('a', `${i}`)
    const closed = sender.close()
    sender.send('a', 'too late')
    await closed
    sender.send('a', 'after close')
    await waitFor(() => received.length === 2000, 5_000, 'the messages sent before close')
    await new Promise((resolve) => setTimeout(resolve, 100))
    assert.equal(received.length, 2000)
    assert.deepEqual(warned, [])
  })
})
