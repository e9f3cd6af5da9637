// A conversation with 10,000 messages: listing, reading and appending stay bounded. Proven by
// counting the queries and the rows the database hands back, not by timing.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../app.js'
import { createDeps, type Deps } from '../../deps.js'
import { testConfig } from '../../../test/helpers/build-test-app.js'
import { agentInfo, createConversation } from '../../../test/helpers/conversations.js'
import { QueryLog, readsOf, touches, type QueryRecord } from '../../../test/helpers/query-log.js'
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/test-database.js'
import type { NewMessage } from './conversations.model.js'

const MESSAGES = 10_000

const rowsOf = (records: QueryRecord[]) => records.reduce((sum, r) => sum + r.rows, 0)
const messageReads = (records: QueryRecord[]) => readsOf(records, 'conversation_messages')

describe('a conversation with 10,000 messages', () => {
  const log = new QueryLog()
  let app: FastifyInstance
  let deps: Deps
  let database: TestDatabase
  let id: string

  before(async () => {
    database = await createTestDatabase()
    deps = await createDeps(testConfig({}, database.url), {
      database: { ...(database.schema && { schema: database.schema }), poolSize: 4, plugins: [log] },
    })
    app = await buildApp(deps)
    await app.ready()
    id = (await createConversation(app, { screenplay_id: 'big' })).conversation_id
    await createConversation(app, { screenplay_id: 'big', title: 'Small one' })
    for (let start = 0; start < MESSAGES; start += 1000) {
      const batch: NewMessage[] = Array.from({ length: 1000 }, (_, i) => ({
        type: (start + i) % 2 === 0 ? 'user' : 'bot',
        content: `message ${start + i}`,
        ...((start + i) % 2 === 1 && { agent: { agentId: 'a', instanceId: 'i', name: 'A', emoji: null } }),
      }))
      await deps.conversations.addMessages(id, batch)
    }
  })

  after(async () => {
    await app?.close()
    await deps?.close()
    await database?.drop()
  })

  it('lists conversations without reading a single message', async () => {
    let body: { conversations: Array<{ conversation_id: string; message_count: number }> } = { conversations: [] }
    const records = await log.during(async () => {
      body = (await app.inject({ url: '/api/conversations/?screenplay_id=big' })).json()
    })
    assert.equal(body.conversations.find((c) => c.conversation_id === id)?.message_count, MESSAGES)
    assert.equal(records.length, 2, 'one page query and one count')
    assert.equal(records.filter((r) => touches(r, 'conversation_messages')).length, 0)
    assert.ok(rowsOf(records) <= 3, `list read ${rowsOf(records)} rows`)
  })

  it('appends with a constant number of small queries and no message reads', async () => {
    const records = await log.during(async () => {
      const res = await app.inject({
        method: 'POST',
        url: `/api/conversations/${id}/messages`,
        payload: { user_input: 'one more', agent_response: 'ok', agent_info: agentInfo(1) },
      })
      assert.equal(res.statusCode, 200)
    })
    assert.deepEqual(messageReads(records), [])
    assert.ok(records.some((r) => touches(r, 'conversation_messages') && r.kind === 'InsertQueryNode'))
    assert.ok(records.length <= 4, `append ran ${records.length} queries`)
    assert.ok(rowsOf(records) <= 2, `append read ${rowsOf(records)} rows`)
    const count = (await app.inject({ url: `/api/conversations/${id}/messages?limit=1` })).json().total
    assert.equal(count, MESSAGES + 2)
  })

  it('reads only the window of messages it answers with', async () => {
    let messages: Array<{ content: string }> = []
    const byDefault = await log.during(async () => {
      messages = (await app.inject({ url: `/api/conversations/${id}` })).json().messages
    })
    assert.equal(messages.length, 500)
    assert.equal(messages.at(-1)!.content, 'ok')
    const read = rowsOf(messageReads(byDefault))
    assert.ok(read >= 500 && read <= 501, `GET read ${read} message rows`)

    const small = await log.during(() => app.inject({ url: `/api/conversations/${id}/messages?limit=10` }))
    assert.equal(rowsOf(messageReads(small)), 11, 'the ten asked for and one to tell whether more exist')
    const history = await log.during(() => deps.conversations.historyForPrompt(id, 100))
    assert.equal(rowsOf(history), 100)
  })
})
