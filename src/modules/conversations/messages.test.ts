import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { buildTestApp, ManualClock } from '../../../test/helpers/build-test-app.js'
import { agentInfo, createConversation, getConversation, postMessages } from '../../../test/helpers/conversations.js'
import { transactorOf } from '../../platform/db/unit-of-work.js'
import { ConflictError, NotFoundError } from '../../platform/http/errors.js'
import type { AgentInfo } from './conversations.model.js'

const AGENT: AgentInfo = { agentId: 'agent-1', instanceId: 'instance-1', name: 'Agent 1', emoji: '🤖' }

async function setup(t: TestContext) {
  const clock = new ManualClock()
  const { app, deps } = await buildTestApp(t, { clock })
  const { conversation_id: id } = await createConversation(app)
  return { app, deps, clock, id }
}

describe('POST /api/conversations/:conversation_id/messages', () => {
  it('adds the user message and the agent reply in order; the agent joins the participants', async (t) => {
    const { app, clock, id } = await setup(t)
    clock.advance(1000)
    const res = await app.inject({
      method: 'POST',
      url: `/api/conversations/${id}/messages`,
      payload: { user_input: 'Hi', agent_response: 'Hello', agent_info: agentInfo(1) },
    })
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().success, true)
    assert.equal(res.json().message, 'Mensagem adicionada com sucesso')
    assert.equal(res.json().message_ids.length, 2)
    const got = await getConversation(app, id)
    assert.deepEqual(
      got.messages.map((m: { id: string; type: string }) => [m.id, m.type]),
      [
        [res.json().message_ids[0], 'user'],
        [res.json().message_ids[1], 'bot'],
      ],
    )
    assert.deepEqual(got.participants, [agentInfo(1)])
    assert.equal(got.message_count, 2)
    assert.equal(got.updated_at, '2026-01-01T00:00:01.000Z')
  })

  it('adds only the user message when the reply has no agent_info (Conductor rule)', async (t) => {
    const { app, id } = await setup(t)
    await postMessages(app, id, { user_input: 'Only me', agent_response: 'dropped' })
    const got = await getConversation(app, id)
    assert.deepEqual(
      got.messages.map((m: { content: string }) => m.content),
      ['Only me'],
    )
    assert.deepEqual(got.participants, [])
  })

  it('answers 400 when nothing would be added, and adds nothing', async (t) => {
    const { app, id } = await setup(t)
    for (const payload of [{}, { user_input: '' }, { agent_response: 'no agent' }, { agent_info: agentInfo(1) }]) {
      const res = await app.inject({ method: 'POST', url: `/api/conversations/${id}/messages`, payload })
      assert.equal(res.statusCode, 400, JSON.stringify(payload))
      assert.match(res.json().detail, /^Erro ao adicionar mensagem: envie user_input/)
    }
    assert.equal((await getConversation(app, id)).message_count, 0)
  })

  it('answers 404 for an unknown conversation and 422 for a malformed body', async (t) => {
    const { app, id } = await setup(t)
    const missing = await app.inject({ method: 'POST', url: '/api/conversations/nope/messages', payload: { user_input: 'x' } })
    assert.equal(missing.statusCode, 404)
    assert.equal(missing.json().detail, 'Conversa não encontrada: nope')
    const bad = await app.inject({ method: 'POST', url: `/api/conversations/${id}/messages`, payload: { user_input: 5 } })
    assert.equal(bad.statusCode, 422)
    assert.match(bad.json().detail, /body\.user_input: must be a string/)
    const agent = await app.inject({
      method: 'POST',
      url: `/api/conversations/${id}/messages`,
      payload: { agent_response: 'x', agent_info: { name: 'A' } },
    })
    assert.equal(agent.statusCode, 422)
    assert.match(agent.json().detail, /body\.agent_info\.agent_id: is required/)
  })

  it('loses nothing when 100 requests append to one conversation at once', async (t) => {
    const { app, id } = await setup(t)
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        app.inject({
          method: 'POST',
          url: `/api/conversations/${id}/messages`,
          payload: { user_input: `u${i}`, agent_response: `b${i}`, agent_info: agentInfo(i % 3) },
        }),
      ),
    )
    assert.deepEqual([...new Set(results.map((r) => r.statusCode))], [200])
    const got = await getConversation(app, id, '?messages_limit=1000')
    assert.equal(got.message_count, 200)
    assert.equal(got.messages.length, 200)
    assert.equal(new Set(got.messages.map((m: { id: string }) => m.id)).size, 200)
    // Each request's pair is adjacent and in order: one append is one atomic write.
    const seen = new Set<string>()
    for (let k = 0; k < 200; k += 2) {
      const [user, bot] = [got.messages[k], got.messages[k + 1]]
      assert.equal(user.type, 'user')
      assert.equal(bot.content, user.content.replace('u', 'b'))
      seen.add(user.content)
    }
    assert.equal(seen.size, 100)
    assert.equal(got.participants.length, 3)
  })
})

describe('GET /api/conversations/:conversation_id/messages', () => {
  it('answers the newest N with the total, and pages back with before', async (t) => {
    const { app, id } = await setup(t)
    for (let i = 1; i <= 4; i++) await postMessages(app, id, { user_input: `m${i}` })
    const res = await app.inject({ url: `/api/conversations/${id}/messages?limit=3` })
    assert.equal(res.statusCode, 200)
    const body = res.json()
    assert.deepEqual(
      { ...body, messages: body.messages.map((m: { content: string }) => m.content) },
      {
        conversation_id: id,
        total: 4,
        count: 3,
        has_more: true,
        messages: ['m2', 'm3', 'm4'],
      },
    )
    const older = (await app.inject({ url: `/api/conversations/${id}/messages?limit=3&before=${body.messages[0].id}` })).json()
    assert.deepEqual(
      older.messages.map((m: { content: string }) => m.content),
      ['m1'],
    )
    assert.equal(older.has_more, false)
    const all = (await app.inject({ url: `/api/conversations/${id}/messages` })).json()
    assert.equal(all.count, 4)
  })

  it('answers 404 for an unknown conversation and 422 for a bad limit', async (t) => {
    const { app, id } = await setup(t)
    assert.equal((await app.inject({ url: '/api/conversations/nope/messages' })).statusCode, 404)
    const bad = await app.inject({ url: `/api/conversations/${id}/messages?limit=0` })
    assert.equal(bad.statusCode, 422)
    assert.match(bad.json().detail, /query\.limit: must be at least 1/)
  })
})

describe('PUT /api/conversations/:conversation_id/messages/:message_id/delete', () => {
  it('marks the message deleted and hands exactly its task to the hooks', async (t) => {
    const { app, deps, id } = await setup(t)
    const calls: Array<[string, string, string | null]> = []
    deps.conversations.onMessageDeleted(async (conversationId, messageId, taskId) => {
      calls.push([conversationId, messageId, taskId])
      return taskId ? 1 : 0
    })
    // Same text twice, different runs: only the deleted message's run may be touched.
    const [first, second] = await deps.conversations.addMessages(id, [
      { type: 'user', content: 'ok', taskId: 'task-a' },
      { type: 'user', content: 'ok', taskId: 'task-b' },
    ])
    const res = await app.inject({ method: 'PUT', url: `/api/conversations/${id}/messages/${first!.id}/delete` })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), {
      success: true,
      message: 'Mensagem marcada como deletada',
      details: { conversations_updated: 1, tasks_updated: 1 },
    })
    assert.deepEqual(calls, [[id, first!.id, 'task-a']])
    const messages = (await getConversation(app, id)).messages
    assert.deepEqual(
      messages.map((m: { isDeleted: boolean }) => m.isDeleted),
      [true, false],
    )
    assert.equal(messages[1].id, second!.id)
  })

  it('hands null to the hooks for a message no run produced', async (t) => {
    const { app, deps, id } = await setup(t)
    const taskIds: Array<string | null> = []
    deps.conversations.onMessageDeleted(async (_c, _m, taskId) => {
      taskIds.push(taskId)
      return 0
    })
    const [messageId] = await postMessages(app, id, { user_input: 'short' })
    const res = await app.inject({ method: 'PUT', url: `/api/conversations/${id}/messages/${messageId}/delete` })
    assert.equal(res.json().details.tasks_updated, 0)
    assert.deepEqual(taskIds, [null])
  })

  it('leaves the message as it was when a hook fails', async (t) => {
    const { app, deps, id } = await setup(t)
    deps.conversations.onMessageDeleted(async () => {
      throw new ConflictError('run engine refused')
    })
    const [messageId] = await postMessages(app, id, { user_input: 'keep me' })
    assert.equal((await app.inject({ method: 'PUT', url: `/api/conversations/${id}/messages/${messageId}/delete` })).statusCode, 409)
    assert.equal((await getConversation(app, id)).messages[0].isDeleted, false)
  })

  it('answers 404 for an unknown message, conversation, or a message of another conversation', async (t) => {
    const { app, id } = await setup(t)
    const { conversation_id: other } = await createConversation(app)
    const [foreign] = await postMessages(app, other, { user_input: 'elsewhere' })
    for (const url of [
      `/api/conversations/${id}/messages/nope/delete`,
      `/api/conversations/nope/messages/${foreign}/delete`,
      `/api/conversations/${id}/messages/${foreign}/delete`,
    ]) {
      const res = await app.inject({ method: 'PUT', url })
      assert.equal(res.statusCode, 404, url)
      assert.equal(res.json().detail, 'Mensagem ou conversa não encontrada')
    }
    assert.equal((await getConversation(app, other)).messages[0].isDeleted, false)
  })
})

describe('PUT /api/conversations/:conversation_id/messages/:message_id/toggle', () => {
  it('flips isDeleted back and forth', async (t) => {
    const { app, id } = await setup(t)
    const [messageId] = await postMessages(app, id, { user_input: 'x' })
    const url = `/api/conversations/${id}/messages/${messageId}/toggle`
    assert.deepEqual((await app.inject({ method: 'PUT', url })).json(), { success: true, message: 'Mensagem disabled', isDeleted: true })
    assert.equal((await getConversation(app, id)).messages[0].isDeleted, true)
    assert.deepEqual((await app.inject({ method: 'PUT', url })).json(), { success: true, message: 'Mensagem enabled', isDeleted: false })
  })

  it('answers 404 for an unknown message', async (t) => {
    const { app, id } = await setup(t)
    assert.equal((await app.inject({ method: 'PUT', url: `/api/conversations/${id}/messages/nope/toggle` })).statusCode, 404)
  })
})

describe('PUT /api/conversations/:conversation_id/messages/:message_id/hide', () => {
  it('hides the message for good with the time it was hidden', async (t) => {
    const { app, clock, id } = await setup(t)
    const [messageId] = await postMessages(app, id, { user_input: 'secret' })
    clock.advance(2000)
    const res = await app.inject({ method: 'PUT', url: `/api/conversations/${id}/messages/${messageId}/hide` })
    assert.deepEqual(res.json(), { success: true, message: 'Mensagem ocultada permanentemente', isHidden: true })
    const message = (await getConversation(app, id)).messages[0]
    assert.equal(message.isHidden, true)
    assert.equal(message.hiddenAt, '2026-01-01T00:00:02.000Z')
  })

  it('answers 404 for an unknown message', async (t) => {
    const { app, id } = await setup(t)
    assert.equal((await app.inject({ method: 'PUT', url: `/api/conversations/${id}/messages/nope/hide` })).statusCode, 404)
  })
})

describe('ConversationsService methods for the run engine', () => {
  it('addMessages appends a user message and a pending placeholder in one write', async (t) => {
    const { app, deps, id } = await setup(t)
    const added = await deps.conversations.addMessages(id, [
      { type: 'user', content: 'Run it', taskId: 'task-1' },
      { type: 'bot', content: 'Aguardando processamento...', status: 'pending', taskId: 'task-1', agent: AGENT },
    ])
    assert.deepEqual(
      added.map((m) => [m.seq, m.type, m.status]),
      [
        [1, 'user', null],
        [2, 'bot', 'pending'],
      ],
    )
    const got = await getConversation(app, id)
    assert.deepEqual(got.messages[1], {
      id: added[1]!.id,
      type: 'bot',
      content: 'Aguardando processamento...',
      timestamp: '2026-01-01T00:00:00.000Z',
      agent: agentInfo(1),
      status: 'pending',
      task_id: 'task-1',
      isDeleted: false,
      isHidden: false,
    })
    assert.deepEqual(got.participants, [agentInfo(1)])
  })

  it('addMessages inside a caller transaction rolls back with it', async (t) => {
    const { app, deps, id } = await setup(t)
    const transact = transactorOf(deps.database.db)
    await assert.rejects(
      transact(async (tx) => {
        await deps.conversations.addMessages(id, [{ type: 'user', content: 'never' }], tx)
        throw new Error('caller failed')
      }),
      /caller failed/,
    )
    const got = await getConversation(app, id)
    assert.equal(got.message_count, 0)
    assert.deepEqual(got.messages, [])
  })

  it('addMessages refuses an unknown conversation, and an id already taken (adding nothing)', async (t) => {
    const { app, deps, id } = await setup(t)
    await assert.rejects(deps.conversations.addMessages('nope', [{ type: 'user', content: 'x' }]), NotFoundError)
    await deps.conversations.addMessages(id, [{ id: 'fixed-id', type: 'user', content: 'first' }])
    await assert.rejects(
      deps.conversations.addMessages(id, [
        { type: 'user', content: 'x' },
        { id: 'fixed-id', type: 'user', content: 'again' },
      ]),
      ConflictError,
    )
    const got = await getConversation(app, id)
    assert.equal(got.message_count, 1)
    assert.deepEqual(
      got.messages.map((m: { content: string }) => m.content),
      ['first'],
    )
  })

  it('completeReply fills in the pending reply of a run when the run ends, once', async (t) => {
    const { app, deps, clock, id } = await setup(t)
    const transact = transactorOf(deps.database.db)
    await deps.conversations.addMessages(id, [
      { type: 'user', content: 'question', taskId: 't' },
      { type: 'bot', content: '...', status: 'pending', taskId: 't', agent: AGENT },
    ])
    clock.advance(3000)
    await transact((uow) => deps.conversations.completeReply(id, 't', { content: 'Result', status: 'completed', completedAt: clock.now() }, uow))
    const [question, reply] = (await getConversation(app, id)).messages
    assert.deepEqual([reply.content, reply.status, reply.completed_at, reply.task_id], ['Result', 'completed', '2026-01-01T00:00:03.000Z', 't'])
    assert.equal(question.content, 'question', 'the user message is left alone')
    await transact((uow) => deps.conversations.completeReply(id, 't', { content: 'Again', status: 'error' }, uow))
    await transact((uow) => deps.conversations.completeReply('nope', 't', { status: 'error' }, uow))
    assert.equal((await getConversation(app, id)).messages[1].content, 'Result', 'a reply is completed once; unknown conversations are no error')
  })

  it('historyForPrompt keeps the newest usable messages in order', async (t) => {
    const { app, deps, id } = await setup(t)
    const added = await deps.conversations.addMessages(id, [
      { type: 'user', content: 'one' },
      { type: 'bot', content: 'deleted', agent: AGENT },
      { type: 'user', content: 'hidden' },
      { type: 'bot', content: 'two', agent: AGENT, status: 'completed' },
      { type: 'user', content: 'three' },
      { type: 'bot', content: 'pending', agent: AGENT, status: 'pending' },
    ])
    await app.inject({ method: 'PUT', url: `/api/conversations/${id}/messages/${added[1]!.id}/toggle` })
    await app.inject({ method: 'PUT', url: `/api/conversations/${id}/messages/${added[2]!.id}/hide` })
    assert.deepEqual(
      (await deps.conversations.historyForPrompt(id, 10)).map((m) => m.content),
      ['one', 'two', 'three'],
    )
    assert.deepEqual(
      (await deps.conversations.historyForPrompt(id, 2)).map((m) => m.content),
      ['two', 'three'],
    )
  })
})
