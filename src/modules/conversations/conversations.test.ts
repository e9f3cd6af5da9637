import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { buildTestApp, ManualClock } from '../../../test/helpers/build-test-app.js'
import { agentInfo, createConversation, getConversation, postMessages } from '../../../test/helpers/conversations.js'
import { ConflictError } from '../../platform/http/errors.js'
import { queriesOf } from '../../platform/db/unit-of-work.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

async function setup(t: TestContext) {
  const clock = new ManualClock()
  const { app, deps } = await buildTestApp(t, { clock })
  return { app, deps, clock }
}

describe('POST /api/conversations', () => {
  it('creates with or without the trailing slash and answers the Conductor shape', async (t) => {
    const { app } = await setup(t)
    for (const url of ['/api/conversations/', '/api/conversations']) {
      const res = await app.inject({ method: 'POST', url, payload: { title: 'Bug hunt' } })
      assert.equal(res.statusCode, 200, res.body)
      assert.deepEqual(Object.keys(res.json()).sort(), ['conversation_id', 'created_at', 'title'])
      assert.match(res.json().conversation_id, UUID)
      assert.equal(res.json().title, 'Bug hunt')
      assert.equal(res.json().created_at, '2026-01-01T00:00:00.000Z')
    }
  })

  it('stores everything the body gives; the first agent is also a participant', async (t) => {
    const { app } = await setup(t)
    const created = await createConversation(app, {
      active_agent: agentInfo(1),
      screenplay_id: 'sp1',
      context: '# Bug',
      allowed_agents: ['agent-1'],
      max_chain_depth: 3,
      auto_delegate: false,
    })
    const got = await getConversation(app, created.conversation_id)
    assert.deepEqual(got.active_agent, agentInfo(1))
    assert.deepEqual(got.participants, [agentInfo(1)])
    assert.equal(got.screenplay_id, 'sp1')
    assert.equal(got.context, '# Bug')
    assert.deepEqual(got.allowed_agents, ['agent-1'])
    assert.equal(got.max_chain_depth, 3)
    assert.equal(got.auto_delegate, false)
    assert.deepEqual(got.messages, [])
  })

  it('fills the Conductor defaults: dated title, depth 10, auto delegation on', async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({ method: 'POST', url: '/api/conversations/', payload: { title: '' } })
    assert.equal(res.json().title, 'Conversa 2026-01-01 00:00')
    const got = await getConversation(app, res.json().conversation_id)
    assert.equal(got.max_chain_depth, 10)
    assert.equal(got.auto_delegate, true)
    assert.equal(got.active_agent, null)
    assert.deepEqual(got.participants, [])
    assert.equal(got.context, null)
    assert.equal(got.allowed_agents, null)
  })

  it('places each new conversation after the others of its screenplay', async (t) => {
    const { app } = await setup(t)
    const orders = []
    for (const screenplay of ['a', 'a', 'b', 'a']) {
      const created = await createConversation(app, { screenplay_id: screenplay })
      orders.push((await getConversation(app, created.conversation_id)).display_order)
    }
    assert.deepEqual(orders, [0, 1, 0, 2])
  })

  it('answers 422 with a readable detail for a bad title, depth or agent', async (t) => {
    const { app } = await setup(t)
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ title: 'ab' }, /body\.title: must be 3–100 characters/],
      [{ title: 'x'.repeat(101) }, /body\.title: must be 3–100 characters/],
      [{ max_chain_depth: 0 }, /body\.max_chain_depth/],
      [{ active_agent: { agent_id: 'a', name: 'A' } }, /body\.active_agent\.instance_id: is required/],
      [{ auto_delegate: 'yes' }, /body\.auto_delegate: must be a boolean/],
    ]
    for (const [payload, detail] of cases) {
      const res = await app.inject({ method: 'POST', url: '/api/conversations/', payload })
      assert.equal(res.statusCode, 422, JSON.stringify(payload))
      assert.match(res.json().detail, detail)
    }
    const list = await app.inject({ url: '/api/conversations/' })
    assert.equal(list.json().total, 0)
  })
})

describe('GET /api/conversations', () => {
  it('lists summaries under both spellings without messages', async (t) => {
    const { app } = await setup(t)
    const created = await createConversation(app, { screenplay_id: 'sp', context: 'ctx', active_agent: agentInfo(1) })
    await postMessages(app, created.conversation_id, { user_input: 'hi', agent_response: 'hello', agent_info: agentInfo(2) })
    for (const url of ['/api/conversations/', '/api/conversations']) {
      const res = await app.inject({ url })
      assert.equal(res.statusCode, 200)
      const body = res.json()
      assert.equal(body.success, true)
      assert.equal(body.count, 1)
      assert.equal(body.total, 1)
      assert.deepEqual(body.conversations[0], {
        conversation_id: created.conversation_id,
        title: 'Chat one',
        created_at: '2026-01-01T00:00:00.000Z',
        updated_at: '2026-01-01T00:00:00.000Z',
        screenplay_id: 'sp',
        context: 'ctx',
        display_order: 0,
        message_count: 2,
        participant_count: 2,
        isDeleted: false,
      })
    }
  })

  it('sorts by display order, then most recently updated', async (t) => {
    const { app, clock } = await setup(t)
    const [a, b, c] = [
      await createConversation(app, { title: 'AAA' }),
      await createConversation(app, { title: 'BBB' }),
      await createConversation(app, { title: 'CCC' }),
    ]
    await app.inject({
      method: 'PATCH',
      url: '/api/conversations/reorder',
      payload: {
        order_updates: [
          { conversation_id: a.conversation_id, display_order: 5 },
          { conversation_id: b.conversation_id, display_order: 1 },
          { conversation_id: c.conversation_id, display_order: 1 },
        ],
      },
    })
    clock.advance(1000)
    await app.inject({ method: 'PATCH', url: `/api/conversations/${b.conversation_id}/title?new_title=BBB2` })
    const titles = (await app.inject({ url: '/api/conversations/' })).json().conversations.map((x: { title: string }) => x.title)
    assert.deepEqual(titles, ['BBB2', 'CCC', 'AAA'])
  })

  it('pages with limit and skip, filters by screenplay and reports the total', async (t) => {
    const { app } = await setup(t)
    for (let i = 0; i < 5; i++) await createConversation(app, { title: `Chat ${i}`, screenplay_id: 'sp' })
    await createConversation(app, { title: 'Elsewhere', screenplay_id: 'other' })
    const page = (await app.inject({ url: '/api/conversations/?limit=2&skip=1&screenplay_id=sp' })).json()
    assert.equal(page.count, 2)
    assert.equal(page.total, 5)
    assert.deepEqual(
      page.conversations.map((x: { title: string }) => x.title),
      ['Chat 1', 'Chat 2'],
    )
    assert.equal((await app.inject({ url: '/api/conversations/' })).json().total, 6)
  })

  it('hides deleted conversations unless include_deleted=true', async (t) => {
    const { app } = await setup(t)
    const gone = await createConversation(app, { title: 'Gone' })
    await createConversation(app, { title: 'Kept' })
    await app.inject({ method: 'DELETE', url: `/api/conversations/${gone.conversation_id}` })
    const live = (await app.inject({ url: '/api/conversations/' })).json()
    assert.deepEqual(
      live.conversations.map((x: { title: string }) => x.title),
      ['Kept'],
    )
    const all = (await app.inject({ url: '/api/conversations/?include_deleted=true' })).json()
    assert.equal(all.total, 2)
    assert.equal(all.conversations.find((x: { title: string }) => x.title === 'Gone').isDeleted, true)
  })

  it('answers 422 for limits out of range', async (t) => {
    const { app } = await setup(t)
    for (const query of ['limit=0', 'limit=101', 'skip=-1', 'limit=abc', 'include_deleted=maybe']) {
      const res = await app.inject({ url: `/api/conversations/?${query}` })
      assert.equal(res.statusCode, 422, query)
      assert.match(res.json().detail, /^Invalid request: query\./)
    }
  })
})

describe('GET /api/conversations/:conversation_id', () => {
  it('answers the messages the client reads, oldest first', async (t) => {
    const { app, clock } = await setup(t)
    const { conversation_id: id } = await createConversation(app)
    clock.advance(5000)
    const [userId, botId] = await postMessages(app, id, { user_input: 'Fix it', agent_response: 'Done', agent_info: agentInfo(1) })
    const got = await getConversation(app, id)
    assert.deepEqual(got.messages, [
      { id: userId, type: 'user', content: 'Fix it', timestamp: '2026-01-01T00:00:05.000Z', isDeleted: false, isHidden: false },
      { id: botId, type: 'bot', content: 'Done', timestamp: '2026-01-01T00:00:05.000Z', agent: agentInfo(1), isDeleted: false, isHidden: false },
    ])
    assert.equal(got.updated_at, '2026-01-01T00:00:05.000Z')
    assert.equal(got.message_count, 2)
    assert.equal(got.has_more_messages, false)
  })

  it('returns a window of the newest messages and pages back with messages_before', async (t) => {
    const { app } = await setup(t)
    const { conversation_id: id } = await createConversation(app)
    for (let i = 1; i <= 5; i++) await postMessages(app, id, { user_input: `m${i}` })
    const newest = await getConversation(app, id, '?messages_limit=2')
    assert.deepEqual(
      newest.messages.map((m: { content: string }) => m.content),
      ['m4', 'm5'],
    )
    assert.equal(newest.has_more_messages, true)
    assert.equal(newest.message_count, 5)
    const older = await getConversation(app, id, `?messages_limit=2&messages_before=${newest.messages[0].id}`)
    assert.deepEqual(
      older.messages.map((m: { content: string }) => m.content),
      ['m2', 'm3'],
    )
    const oldest = await getConversation(app, id, `?messages_limit=2&messages_before=${older.messages[0].id}`)
    assert.deepEqual(
      oldest.messages.map((m: { content: string }) => m.content),
      ['m1'],
    )
    assert.equal(oldest.has_more_messages, false)
  })

  it('answers 404 for an unknown conversation or an unknown messages_before', async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({ url: '/api/conversations/nope' })
    assert.equal(res.statusCode, 404)
    assert.equal(res.json().detail, 'Conversa não encontrada: nope')
    const { conversation_id: id } = await createConversation(app)
    const before = await app.inject({ url: `/api/conversations/${id}?messages_before=missing` })
    assert.equal(before.statusCode, 404)
    assert.equal(before.json().detail, 'Mensagem não encontrada: missing')
  })

  it('answers 404 for a deleted conversation, readable with include_deleted=true', async (t) => {
    const { app } = await setup(t)
    const { conversation_id: id } = await createConversation(app)
    await postMessages(app, id, { user_input: 'kept' })
    await app.inject({ method: 'DELETE', url: `/api/conversations/${id}` })
    assert.equal((await app.inject({ url: `/api/conversations/${id}` })).statusCode, 404)
    const got = await getConversation(app, id, '?include_deleted=true')
    assert.equal(got.isDeleted, true)
    assert.equal(got.messages[0].content, 'kept')
  })

  it('answers 422 for a messages_limit out of range', async (t) => {
    const { app } = await setup(t)
    const { conversation_id: id } = await createConversation(app)
    for (const limit of ['0', '2001']) {
      assert.equal((await app.inject({ url: `/api/conversations/${id}?messages_limit=${limit}` })).statusCode, 422)
    }
  })
})

describe('DELETE /api/conversations/:conversation_id', () => {
  it('soft-deletes once: then 404 with the original wording', async (t) => {
    const { app } = await setup(t)
    const { conversation_id: id } = await createConversation(app)
    const res = await app.inject({ method: 'DELETE', url: `/api/conversations/${id}` })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), { success: true, message: 'Conversa deletada com sucesso', conversation_id: id, instances_deleted: 0 })
    const again = await app.inject({ method: 'DELETE', url: `/api/conversations/${id}` })
    assert.equal(again.statusCode, 404)
    assert.equal(again.json().detail, 'Conversa não encontrada ou já deletada')
    const append = await app.inject({ method: 'POST', url: `/api/conversations/${id}/messages`, payload: { user_input: 'late' } })
    assert.equal(append.statusCode, 404)
  })

  it('runs the deletion hooks in its transaction and reports the instances they hid', async (t) => {
    const { app, deps } = await setup(t)
    const seen: Array<[string, number, boolean]> = []
    deps.conversations.onDelete(async (conversationId, now, uow) => {
      const row = await queriesOf(uow, deps.database.db)
        .selectFrom('conversations')
        .select('is_deleted')
        .where('id', '=', conversationId)
        .executeTakeFirstOrThrow()
      seen.push([conversationId, now, Boolean(row.is_deleted)])
      return 2
    })
    deps.conversations.onDelete(async () => undefined)
    const { conversation_id: id } = await createConversation(app)
    const res = await app.inject({ method: 'DELETE', url: `/api/conversations/${id}` })
    assert.equal(res.json().instances_deleted, 2)
    assert.deepEqual(seen, [[id, Date.UTC(2026, 0, 1), true]])
  })

  it('leaves the conversation as it was when a hook fails', async (t) => {
    const { app, deps } = await setup(t)
    deps.conversations.onDelete(async () => {
      throw new ConflictError('instances are busy')
    })
    const { conversation_id: id } = await createConversation(app)
    const res = await app.inject({ method: 'DELETE', url: `/api/conversations/${id}` })
    assert.equal(res.statusCode, 409)
    assert.equal((await getConversation(app, id)).isDeleted, false)
  })

  it('is what deleting a screenplay does to each of its conversations', async (t) => {
    const { app, deps } = await setup(t)
    const hidden: string[] = []
    deps.conversations.onDelete(async (conversationId) => {
      hidden.push(conversationId)
    })
    const screenplay = (await app.inject({ method: 'POST', url: '/api/screenplays', payload: { name: 'Play' } })).json()
    const first = await createConversation(app, { screenplay_id: screenplay.id })
    const second = await createConversation(app, { screenplay_id: screenplay.id })
    const other = await createConversation(app, { screenplay_id: 'another' })
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/screenplays/${screenplay.id}` })).statusCode, 204)

    assert.equal((await app.inject({ url: `/api/conversations/?screenplay_id=${screenplay.id}` })).json().total, 0)
    assert.equal((await app.inject({ url: `/api/conversations/${first.conversation_id}` })).statusCode, 404)
    assert.deepEqual(hidden.sort(), [first.conversation_id, second.conversation_id].sort())
    assert.equal((await getConversation(app, other.conversation_id)).isDeleted, false)
    const withDeleted = (await app.inject({ url: `/api/conversations/?screenplay_id=${screenplay.id}&include_deleted=true` })).json()
    assert.equal(withDeleted.total, 2)
  })
})

describe('PUT /api/conversations/:conversation_id/active-agent', () => {
  it('sets the agent and adds it to the participants once', async (t) => {
    const { app } = await setup(t)
    const { conversation_id: id } = await createConversation(app, { active_agent: agentInfo(1) })
    for (const agent of [agentInfo(2), agentInfo(2), agentInfo(1)]) {
      const res = await app.inject({ method: 'PUT', url: `/api/conversations/${id}/active-agent`, payload: { agent_info: agent } })
      assert.equal(res.statusCode, 200)
      assert.deepEqual(res.json(), { success: true, message: 'Agente ativo atualizado com sucesso' })
    }
    const got = await getConversation(app, id)
    assert.deepEqual(got.active_agent, agentInfo(1))
    assert.deepEqual(got.participants, [agentInfo(1), agentInfo(2)])
  })

  it('answers 404 for an unknown conversation and 422 without agent_info', async (t) => {
    const { app } = await setup(t)
    const missing = await app.inject({ method: 'PUT', url: '/api/conversations/nope/active-agent', payload: { agent_info: agentInfo(1) } })
    assert.equal(missing.statusCode, 404)
    const { conversation_id: id } = await createConversation(app)
    const bad = await app.inject({ method: 'PUT', url: `/api/conversations/${id}/active-agent`, payload: {} })
    assert.equal(bad.statusCode, 422)
    assert.match(bad.json().detail, /body\.agent_info: is required/)
  })
})

describe('PATCH /api/conversations/:conversation_id/title', () => {
  it('renames from the new_title query parameter', async (t) => {
    const { app, clock } = await setup(t)
    const { conversation_id: id } = await createConversation(app)
    clock.advance(60_000)
    const res = await app.inject({ method: 'PATCH', url: `/api/conversations/${id}/title?new_title=${encodeURIComponent('  Novo título ')}` })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), { success: true, message: 'Título atualizado com sucesso', new_title: 'Novo título' })
    const got = await getConversation(app, id)
    assert.equal(got.title, 'Novo título')
    assert.equal(got.updated_at, '2026-01-01T00:01:00.000Z')
  })

  it('answers 422 for a missing, short or long title and 404 for an unknown conversation', async (t) => {
    const { app } = await setup(t)
    const { conversation_id: id } = await createConversation(app)
    for (const query of ['', '?new_title=ab', `?new_title=${'x'.repeat(101)}`]) {
      const res = await app.inject({ method: 'PATCH', url: `/api/conversations/${id}/title${query}` })
      assert.equal(res.statusCode, 422, query)
      assert.match(res.json().detail, /query\.new_title/)
    }
    assert.equal((await app.inject({ method: 'PATCH', url: '/api/conversations/nope/title?new_title=abc' })).statusCode, 404)
  })
})

describe('PATCH /api/conversations/:conversation_id/settings', () => {
  it('changes what is given, and 0 resets the depth to the global default', async (t) => {
    const { app } = await setup(t)
    const { conversation_id: id } = await createConversation(app)
    const res = await app.inject({ method: 'PATCH', url: `/api/conversations/${id}/settings`, payload: { auto_delegate: false, max_chain_depth: 4 } })
    assert.deepEqual(res.json(), { success: true, message: 'Settings updated' })
    let got = await getConversation(app, id)
    assert.deepEqual([got.auto_delegate, got.max_chain_depth], [false, 4])
    await app.inject({ method: 'PATCH', url: `/api/conversations/${id}/settings`, payload: { max_chain_depth: 0 } })
    got = await getConversation(app, id)
    assert.deepEqual([got.auto_delegate, got.max_chain_depth], [false, null])
    await app.inject({ method: 'PATCH', url: `/api/conversations/${id}/settings`, payload: { auto_delegate: null } })
    assert.equal((await getConversation(app, id)).auto_delegate, false)
  })

  it('answers 422 for a depth out of range and 404 for an unknown conversation', async (t) => {
    const { app } = await setup(t)
    const { conversation_id: id } = await createConversation(app)
    for (const depth of [-1, 101, 2.5]) {
      const res = await app.inject({ method: 'PATCH', url: `/api/conversations/${id}/settings`, payload: { max_chain_depth: depth } })
      assert.equal(res.statusCode, 422, String(depth))
    }
    const missing = await app.inject({ method: 'PATCH', url: '/api/conversations/nope/settings', payload: { auto_delegate: true } })
    assert.equal(missing.statusCode, 404)
  })
})

describe('PATCH /api/conversations/reorder', () => {
  it('sets every order given and counts the conversations it found', async (t) => {
    const { app } = await setup(t)
    const a = await createConversation(app)
    const b = await createConversation(app)
    const res = await app.inject({
      method: 'PATCH',
      url: '/api/conversations/reorder',
      payload: {
        order_updates: [
          { conversation_id: a.conversation_id, display_order: 7 },
          { conversation_id: b.conversation_id, display_order: 3 },
          { conversation_id: 'nope', display_order: 1 },
        ],
      },
    })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), { success: true, message: 'Ordem atualizada para 2 conversas', updated_count: 2 })
    assert.equal((await getConversation(app, a.conversation_id)).display_order, 7)
    assert.equal((await getConversation(app, b.conversation_id)).display_order, 3)
  })

  it('answers 422 for an empty or malformed list', async (t) => {
    const { app } = await setup(t)
    for (const payload of [{}, { order_updates: [] }, { order_updates: [{ conversation_id: 'x' }] }]) {
      const res = await app.inject({ method: 'PATCH', url: '/api/conversations/reorder', payload })
      assert.equal(res.statusCode, 422, JSON.stringify(payload))
      assert.match(res.json().detail, /body\.order_updates/)
    }
  })

  it('answers 422 for an order beyond the column, keeps the order, and new conversations still go after the last', async (t) => {
    const { app } = await setup(t)
    const a = await createConversation(app, { screenplay_id: 'sp' })
    const huge = await app.inject({
      method: 'PATCH',
      url: '/api/conversations/reorder',
      payload: { order_updates: [{ conversation_id: a.conversation_id, display_order: 3_000_000_000 }] },
    })
    assert.equal(huge.statusCode, 422)
    assert.equal(huge.json().detail, 'Invalid request: body.order_updates.0.display_order: must be between -1000000000 and 1000000000')
    assert.equal((await getConversation(app, a.conversation_id)).display_order, 0)
    const top = await app.inject({
      method: 'PATCH',
      url: '/api/conversations/reorder',
      payload: { order_updates: [{ conversation_id: a.conversation_id, display_order: 1_000_000_000 }] },
    })
    assert.equal(top.statusCode, 200)
    const b = await createConversation(app, { screenplay_id: 'sp' })
    assert.equal((await getConversation(app, b.conversation_id)).display_order, 1_000_000_001)
    const copy = await app.inject({ method: 'POST', url: `/api/conversations/${b.conversation_id}/clone` })
    assert.equal(copy.json().cloned_conversation.display_order, 1_000_000_002)
  })
})

describe('OpenAPI for /api/conversations', () => {
  const documented: Array<[string, string, { body?: 'json' | 'multipart' }]> = [
    ['post', '/api/conversations', { body: 'json' }],
    ['get', '/api/conversations', {}],
    ['patch', '/api/conversations/reorder', { body: 'json' }],
    ['get', '/api/conversations/{conversation_id}', {}],
    ['delete', '/api/conversations/{conversation_id}', {}],
    ['put', '/api/conversations/{conversation_id}/active-agent', { body: 'json' }],
    ['patch', '/api/conversations/{conversation_id}/title', {}],
    ['patch', '/api/conversations/{conversation_id}/settings', { body: 'json' }],
    ['post', '/api/conversations/{conversation_id}/clone', {}],
    ['post', '/api/conversations/{conversation_id}/messages', { body: 'json' }],
    ['get', '/api/conversations/{conversation_id}/messages', {}],
    ['put', '/api/conversations/{conversation_id}/messages/{message_id}/delete', {}],
    ['put', '/api/conversations/{conversation_id}/messages/{message_id}/toggle', {}],
    ['put', '/api/conversations/{conversation_id}/messages/{message_id}/hide', {}],
    ['patch', '/api/conversations/{conversation_id}/context', { body: 'json' }],
    ['post', '/api/conversations/{conversation_id}/context/upload', { body: 'multipart' }],
  ]

  it('documents all 16 routes with their response schema and request body', async (t) => {
    const { app } = await setup(t)
    const doc = (await app.inject({ url: '/openapi.json' })).json()
    for (const [method, path, expect] of documented) {
      const op = doc.paths[path]?.[method]
      assert.ok(op, `${method.toUpperCase()} ${path} is documented`)
      assert.deepEqual(op.tags, ['conversations'])
      assert.ok(op.responses['200'].content['application/json'].schema, `${method} ${path} response schema`)
      if (expect.body === 'json') assert.ok(op.requestBody?.content['application/json'].schema, `${method} ${path} body schema`)
    }
    const get = doc.paths['/api/conversations/{conversation_id}'].get
    assert.ok(get.responses['200'].content['application/json'].schema.properties.messages)
    assert.ok(get.parameters.some((p: { name: string }) => p.name === 'messages_limit'))
    const title = doc.paths['/api/conversations/{conversation_id}/title'].patch
    assert.ok(title.parameters.some((p: { name: string; in: string }) => p.name === 'new_title' && p.in === 'query'))
  })
})
