import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import type { Kysely } from 'kysely'
import { buildApp } from '../../app.js'
import { buildTestApp, ManualClock } from '../../../test/helpers/build-test-app.js'
import { agentInfo, createConversation, getConversation, postMessages } from '../../../test/helpers/conversations.js'
import type { Tables } from '../../platform/db/tables.js'
import { queriesOf, transactorOf, type UnitOfWork } from '../../platform/db/unit-of-work.js'
import { ConflictError } from '../../platform/http/errors.js'
import type { ConversationCloneHook } from './conversation-clone.js'
import { KyselyConversationsRepo } from './conversations.repo.js'
import { ConversationsService } from './conversations.service.js'
import { KyselyMessagesRepo } from './messages.repo.js'

/** Local HH:MM, the way clone titles are stamped. */
function hourMinute(ms: number): string {
  const at = new Date(ms)
  return `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`
}

/** The real app whose conversations clone instances through `instances`. */
async function appWithInstances<I extends { cloneForConversation: ConversationCloneHook }>(t: TestContext, instancesOf: (db: Kysely<Tables>) => I) {
  const clock = new ManualClock()
  const { deps } = await buildTestApp(t, { clock })
  const instances = instancesOf(deps.database.db)
  const conversations = new ConversationsService({
    repo: new KyselyConversationsRepo(deps.database.db),
    messages: new KyselyMessagesRepo(deps.database.db),
    clock,
    transact: transactorOf(deps.database.db),
  })
  conversations.onClone((from, to, now, uow) => instances.cloneForConversation(from, to, now, uow))
  const app = await buildApp({ ...deps, conversations })
  await app.ready()
  t.after(() => app.close())
  return { app, clock, instances }
}

/** An instances module stand-in that knows the instances of each conversation. */
class InstancesOfConversation {
  readonly calls: Array<{ from: string; to: string; now: number; cloneVisible: boolean }> = []
  /** Conversation id → ids of its live instances. */
  readonly live = new Map<string, string[]>()

  constructor(private readonly db: Kysely<Tables>) {}

  async cloneForConversation(from: string, to: string, now: number, uow: UnitOfWork) {
    // The clone is visible through uow: the copies are written in the same transaction.
    const clone = await queriesOf(uow, this.db).selectFrom('conversations').select('id').where('id', '=', to).executeTakeFirst()
    this.calls.push({ from, to, now, cloneVisible: clone !== undefined })
    return Object.fromEntries((this.live.get(from) ?? []).map((old) => [old, `${old}-copy`]))
  }
}

describe('POST /api/conversations/:conversation_id/clone', () => {
  it('copies the conversation right after the original with new message ids', async (t) => {
    const clock = new ManualClock()
    const { app } = await buildTestApp(t, { clock })
    const source = await createConversation(app, { title: 'Original', screenplay_id: 'sp', context: '# ctx', max_chain_depth: 4 })
    const [userId, botId] = await postMessages(app, source.conversation_id, { user_input: 'q', agent_response: 'a', agent_info: agentInfo(1) })
    await app.inject({ method: 'PUT', url: `/api/conversations/${source.conversation_id}/messages/${botId}/toggle` })
    clock.advance(90 * 60_000)

    const res = await app.inject({ method: 'POST', url: `/api/conversations/${source.conversation_id}/clone` })
    assert.equal(res.statusCode, 200, res.body)
    const body = res.json()
    assert.equal(body.success, true)
    assert.equal(body.message, 'Conversa clonada com sucesso')
    assert.equal(body.original_conversation_id, source.conversation_id)
    assert.deepEqual(body.instance_id_map, {})
    const clone = body.cloned_conversation
    assert.notEqual(clone.conversation_id, source.conversation_id)
    assert.equal(clone.title, `Original (copy ${hourMinute(clock.now())})`)
    assert.equal(clone.display_order, 1)
    assert.deepEqual([clone.screenplay_id, clone.context, clone.max_chain_depth], ['sp', '# ctx', 4])
    assert.equal(clone.created_at, new Date(clock.now()).toISOString())
    assert.deepEqual(
      clone.messages.map((m: { content: string; isDeleted: boolean }) => [m.content, m.isDeleted]),
      [
        ['q', false],
        ['a', true],
      ],
    )
    assert.equal(clone.message_count, 2)
    for (const m of clone.messages) assert.ok(![userId, botId].includes(m.id))
    assert.deepEqual(await getConversation(app, clone.conversation_id), clone)
    assert.equal((await getConversation(app, source.conversation_id)).messages[0].id, userId)
  })

  it('without live instances, gives participants fresh instance ids used everywhere in the copy', async (t) => {
    const { app } = await buildTestApp(t)
    const source = await createConversation(app, { active_agent: agentInfo(1) })
    await postMessages(app, source.conversation_id, { agent_response: 'hi', agent_info: agentInfo(1), user_input: 'q' })
    const clone = (await app.inject({ method: 'POST', url: `/api/conversations/${source.conversation_id}/clone` })).json().cloned_conversation
    const fresh = clone.participants[0].instance_id
    assert.notEqual(fresh, 'instance-1')
    assert.deepEqual(clone.participants, [{ ...agentInfo(1), instance_id: fresh }])
    assert.equal(clone.active_agent.instance_id, fresh)
    assert.equal(clone.messages[1].agent.instance_id, fresh)
  })

  it('remaps participants, the active agent and message agents to the instances the port copied', async (t) => {
    const { app, clock, instances } = await appWithInstances(t, (db) => new InstancesOfConversation(db))
    const source = await createConversation(app, { active_agent: agentInfo(1) })
    instances.live.set(source.conversation_id, ['instance-1', 'instance-2'])
    await postMessages(app, source.conversation_id, { user_input: 'q', agent_response: 'a', agent_info: agentInfo(2) })

    const body = (await app.inject({ method: 'POST', url: `/api/conversations/${source.conversation_id}/clone` })).json()
    assert.deepEqual(body.instance_id_map, { 'instance-1': 'instance-1-copy', 'instance-2': 'instance-2-copy' })
    const clone = body.cloned_conversation
    assert.deepEqual(
      clone.participants.map((p: { instance_id: string }) => p.instance_id),
      ['instance-1-copy', 'instance-2-copy'],
    )
    assert.equal(clone.active_agent.instance_id, 'instance-1-copy')
    assert.equal(clone.messages[1].agent.instance_id, 'instance-2-copy')
    assert.deepEqual(instances.calls, [{ from: source.conversation_id, to: clone.conversation_id, now: clock.now(), cloneVisible: true }])
  })

  it('does not carry task ids over: deleting a copied message must not touch the original run', async (t) => {
    const { app, deps } = await buildTestApp(t)
    const source = await createConversation(app)
    await deps.conversations.addMessages(source.conversation_id, [{ type: 'user', content: 'run', taskId: 'task-1' }])
    const clone = (await app.inject({ method: 'POST', url: `/api/conversations/${source.conversation_id}/clone` })).json().cloned_conversation
    assert.equal(clone.messages[0].task_id, undefined)
  })

  it('creates nothing when copying the instances fails', async (t) => {
    const { app } = await appWithInstances(t, () => ({
      cloneForConversation: async () => {
        throw new ConflictError('instances are being moved')
      },
    }))
    const source = await createConversation(app)
    await postMessages(app, source.conversation_id, { user_input: 'q' })
    const res = await app.inject({ method: 'POST', url: `/api/conversations/${source.conversation_id}/clone` })
    assert.equal(res.statusCode, 409)
    assert.equal((await app.inject({ url: '/api/conversations/' })).json().total, 1)
  })

  it('answers 404 for an unknown or deleted conversation', async (t) => {
    const { app } = await buildTestApp(t)
    const missing = await app.inject({ method: 'POST', url: '/api/conversations/nope/clone' })
    assert.equal(missing.statusCode, 404)
    assert.equal(missing.json().detail, 'Conversa não encontrada: nope')
    const source = await createConversation(app)
    await app.inject({ method: 'DELETE', url: `/api/conversations/${source.conversation_id}` })
    assert.equal((await app.inject({ method: 'POST', url: `/api/conversations/${source.conversation_id}/clone` })).statusCode, 404)
  })
})
