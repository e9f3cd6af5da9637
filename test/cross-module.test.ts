// The modules working together: chat runs write conversations and statistics, cascades reach
// across modules, deleted messages take exactly their runs with them.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { WebSocket } from 'ws'
import { buildTestApp } from './helpers/build-test-app.js'
import { createAgent, PERSONA } from './helpers/agent-factories.js'
import { createConversation, getConversation, postMessages } from './helpers/conversations.js'
import { QueryLog, readsOf } from './helpers/query-log.js'
import { waitFor } from './helpers/wait.js'

async function createScreenplay(app: FastifyInstance, body: Record<string, unknown> = {}) {
  const res = await app.inject({ method: 'POST', url: '/api/screenplays', payload: { name: 'Play', content: '# The plan\n\nShip it.', ...body } })
  assert.equal(res.statusCode, 201, res.body)
  return res.json()
}

async function createInstance(app: FastifyInstance, body: Record<string, unknown>) {
  const res = await app.inject({ method: 'POST', url: '/api/agents/instances', payload: { position: { x: 1, y: 2 }, ...body } })
  assert.equal(res.statusCode, 200, res.body)
  return res.json().instance
}

async function execute(app: FastifyInstance, agentId: string, body: Record<string, unknown>) {
  return app.inject({ method: 'POST', url: `/api/agents/${agentId}/execute`, payload: body })
}

describe('POST /api/agents/:agent_id/execute', () => {
  it('reads the agent once, and the screenplay and conversation only where the run needs them', async (t) => {
    const log = new QueryLog()
    const { app } = await buildTestApp(t, { plugins: [log] })
    const agentId = await createAgent(app, { ai_provider: 'echo' })
    const screenplay = await createScreenplay(app, { working_directory: '/srv/play' })
    const conversation = await createConversation(app, { screenplay_id: screenplay.id })
    const send = {
      input_text: 'count my reads',
      instance_id: 'instance-new-1',
      conversation_id: conversation.conversation_id,
      screenplay_id: screenplay.id,
      save_to_conversation: true,
    }
    const records = await log.during(async () => assert.equal((await execute(app, agentId, send)).statusCode, 200))
    assert.equal(readsOf(records, 'agents').length, 1, 'the agent, once')
    // Once to place the new instance and its run, once more when the worker assembles the prompt.
    assert.equal(readsOf(records, 'screenplays').length, 2)
    // Only the prompt reads the conversation; the message append finds it by writing to it.
    assert.equal(readsOf(records, 'conversations').length, 1)
    assert.equal(readsOf(records, 'agent_instances').length, 1, 'whether the instance exists, once')
  })

  it('runs the agent, writes the exchange into the conversation and counts it on the instance', async (t) => {
    const { app } = await buildTestApp(t)
    const agentId = await createAgent(app, { ai_provider: 'echo' })
    const screenplay = await createScreenplay(app, { working_directory: '/srv/play' })
    const conversation = await createConversation(app, { screenplay_id: screenplay.id })
    const res = await execute(app, agentId, {
      input_text: 'please echo this',
      instance_id: 'instance-1700000000000-abc123def',
      conversation_id: conversation.conversation_id,
      screenplay_id: screenplay.id,
      save_to_conversation: true,
    })
    assert.equal(res.statusCode, 200, res.body)
    const body = res.json()
    assert.equal(body.status, 'success')
    assert.equal(body.success, true)
    assert.deepEqual(body.result, { result: 'please echo this', exit_code: 0, status: 'completed' })
    assert.match(body.task_id, /^[0-9a-f]{24}$/)

    const messages = (await getConversation(app, conversation.conversation_id)).messages
    assert.deepEqual(
      messages.map((m: { type: string }) => m.type),
      ['user', 'bot'],
    )
    assert.equal(messages[0].content, 'please echo this')
    assert.equal(messages[1].content, 'please echo this')
    assert.equal(messages[1].status, 'completed')
    assert.equal(messages[1].task_id, body.task_id)
    assert.equal(messages[1].agent.agent_id, agentId)

    const instance = (await app.inject({ url: '/api/agents/instances/instance-1700000000000-abc123def' })).json().instance
    assert.equal(instance.statistics.task_count, 1)
    assert.equal(instance.statistics.success_count, 1)

    const run = (await app.inject({ url: `/api/runs/${body.task_id}` })).json()
    assert.equal(run.cwd, '/srv/play', 'the working directory comes from the screenplay')
    assert.equal(run.persona_version, 1)
    assert.deepEqual(
      [run.agent_id, run.screenplay_id, run.instance_id, run.provider, run.source],
      [agentId, screenplay.id, 'instance-1700000000000-abc123def', 'echo', 'chat'],
    )
    assert.ok(run.started_at && run.ended_at && run.usage.tokens_out === 3, 'timing and token usage are recorded')
    const details = (await app.inject({ url: `/api/tasks/${body.task_id}/details` })).json().task
    assert.ok(details.prompt.includes(PERSONA), 'the prompt carries the persona')
    assert.ok(details.prompt.includes('Ship it.'), 'and the screenplay')
  })

  it('gives the next run the conversation so far as history and its context, as the web client sends it (no context_mode)', async (t) => {
    const { app } = await buildTestApp(t)
    const agentId = await createAgent(app, { ai_provider: 'echo' })
    const conversation = await createConversation(app)
    const context = await app.inject({
      method: 'PATCH',
      url: `/api/conversations/${conversation.conversation_id}/context`,
      payload: { context: 'We are planning a picnic.' },
    })
    assert.equal(context.statusCode, 200, context.body)
    const send = { conversation_id: conversation.conversation_id, instance_id: 'inst-h', save_to_conversation: true }
    const first = (await execute(app, agentId, { input_text: 'remember the word banana', ...send })).json()
    const second = (await execute(app, agentId, { input_text: 'what was the word?', ...send })).json()
    const firstPrompt = (await app.inject({ url: `/api/tasks/${first.task_id}/details` })).json().task.prompt
    const secondPrompt = (await app.inject({ url: `/api/tasks/${second.task_id}/details` })).json().task.prompt
    assert.ok(!firstPrompt.includes('<conversation_history>'))
    assert.ok(firstPrompt.includes('We are planning a picnic.'), 'the conversation context is in the prompt')
    assert.ok(secondPrompt.includes('remember the word banana'), 'earlier turns are history')
    assert.equal(secondPrompt.split('what was the word?').length - 1, 1, 'the current question appears once, as the request')
  })

  it('gives a councilor run no conversation history (conductor-backend.md §2.3)', async (t) => {
    const { app, deps } = await buildTestApp(t)
    const agentId = await createAgent(app, { ai_provider: 'echo' })
    const conversation = await createConversation(app)
    await execute(app, agentId, { input_text: 'remember the word banana', conversation_id: conversation.conversation_id, save_to_conversation: true })
    const run = await deps.agentRuns.start({ source: 'councilor', input: 'report', agentId, conversationId: conversation.conversation_id })
    await deps.runs.waitForEnd(run.id, 10_000)
    const prompt = (await app.inject({ url: `/api/tasks/${run.id}/details` })).json().task.prompt
    assert.ok(prompt.includes('<user_request><![CDATA[report]]></user_request>'))
    assert.ok(!prompt.includes('banana'))
  })

  it('reports a failed run as status error and says so in the bot message', async (t) => {
    const { app } = await buildTestApp(t)
    const agentId = await createAgent(app, { ai_provider: 'openai' })
    const conversation = await createConversation(app)
    const res = await execute(app, agentId, { input_text: 'hi', conversation_id: conversation.conversation_id, save_to_conversation: true })
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().status, 'error')
    assert.equal(res.json().success, false)
    assert.ok(res.json().error)
    const bot = (await getConversation(app, conversation.conversation_id)).messages[1]
    assert.equal(bot.status, 'error')
    assert.match(bot.content, /^Erro: /)
  })

  it('shows the exchange as pending while the run works, and tells the feed when it was submitted and completed', async (t) => {
    const { app } = await buildTestApp(t, { env: { ECHO_DELAY_MS: '150', RUN_COALESCE_MS: '0' } })
    const frames: Array<{ type: string; data: Record<string, unknown> }> = []
    const ws = await app.injectWS(
      '/ws/gamification',
      {},
      { onInit: (socket: WebSocket) => socket.on('message', (raw) => frames.push(JSON.parse(raw.toString()))) },
    )
    t.after(() => ws.terminate())
    const agentId = await createAgent(app, { ai_provider: 'echo', emoji: '🦊' })
    const screenplay = await createScreenplay(app, { working_directory: '/srv/play' })
    const conversation = await createConversation(app, { screenplay_id: screenplay.id })
    const body = {
      input_text: 'slow words come here',
      instance_id: 'inst-live',
      conversation_id: conversation.conversation_id,
      screenplay_id: screenplay.id,
      save_to_conversation: true,
    }
    const pending = execute(app, agentId, body)

    let messages: Array<Record<string, unknown>> = []
    for (let i = 0; i < 500 && messages.length < 2; i++) {
      messages = (await getConversation(app, conversation.conversation_id)).messages
      if (messages.length < 2) await new Promise((resolve) => setTimeout(resolve, 10))
    }
    assert.deepEqual(
      messages.map((m) => [m.type, m.content, m.status ?? null]),
      [
        ['user', 'slow words come here', null],
        ['bot', 'Aguardando processamento...', 'pending'],
      ],
    )
    const res = await pending
    assert.equal(res.json().status, 'success')
    const bot = (await getConversation(app, conversation.conversation_id)).messages[1]
    assert.deepEqual([bot.content, bot.status, bot.task_id], ['slow words come here', 'completed', res.json().task_id])

    await waitFor(() => frames.some((f) => f.type === 'task_completed'), 5_000, 'the feed heard the run complete')
    const who = {
      task_id: res.json().task_id,
      agent_id: agentId,
      agent_emoji: '🦊',
      instance_id: 'inst-live',
      conversation_id: conversation.conversation_id,
      screenplay_id: screenplay.id,
    }
    const submitted = frames.find((f) => f.type === 'task_submitted')!.data
    assert.deepEqual(
      { ...submitted, started_at: typeof submitted.started_at },
      { ...who, agent_name: submitted.agent_name, status: 'pending', started_at: 'string', level: 'info' },
    )
    const completed = frames.find((f) => f.type === 'task_completed')!.data
    const expected = { ...who, status: 'completed', severity: 'success', result_summary: 'slow words come here', level: 'result' }
    assert.deepEqual(Object.fromEntries(Object.keys(expected).map((key) => [key, completed[key]])), expected)
    const run = (await app.inject({ url: `/api/runs/${res.json().task_id}` })).json()
    assert.equal(completed.duration_ms, Date.parse(run.ended_at) - Date.parse(run.started_at))
  })

  it('works in the request’s cwd, else the instance’s, else the screenplay’s', async (t) => {
    const { app } = await buildTestApp(t)
    const agentId = await createAgent(app, { ai_provider: 'echo' })
    const screenplay = await createScreenplay(app, { working_directory: '/srv/play' })
    await createInstance(app, {
      instance_id: 'inst-cwd',
      agent_id: agentId,
      screenplay_id: screenplay.id,
      conversation_id: 'c',
      cwd: '/srv/instance',
    })
    const cwdOf = async (body: Record<string, unknown>) => {
      const res = await execute(app, agentId, { input_text: 'where am I', screenplay_id: screenplay.id, ...body })
      assert.equal(res.statusCode, 200, res.body)
      return (await app.inject({ url: `/api/runs/${res.json().task_id}` })).json().cwd
    }
    assert.equal(await cwdOf({ instance_id: 'inst-cwd', cwd: '/srv/request' }), '/srv/request')
    assert.equal(await cwdOf({ instance_id: 'inst-cwd' }), '/srv/instance')
    assert.equal(await cwdOf({ instance_id: 'inst-new' }), '/srv/play')
  })

  it('refuses a second message while the conversation’s run is going (409), leaving the conversation and instances as they were', async (t) => {
    const { app } = await buildTestApp(t, { env: { ECHO_DELAY_MS: '100', RUN_CONVERSATION_POLICY: 'reject' } })
    const agentId = await createAgent(app, { ai_provider: 'echo' })
    const conversation = await createConversation(app)
    const first = (
      await app.inject({
        method: 'POST',
        url: '/api/runs',
        payload: { input: 'one two three four five six', ai_provider: 'echo', conversation_id: conversation.conversation_id },
      })
    ).json()
    const second = await execute(app, agentId, {
      input_text: 'me too',
      instance_id: 'inst-refused',
      conversation_id: conversation.conversation_id,
      save_to_conversation: true,
    })
    assert.equal(second.statusCode, 409)
    assert.match(second.json().detail, /already in progress/)
    assert.equal((await getConversation(app, conversation.conversation_id)).messages.length, 0, 'no message written')
    assert.equal((await app.inject({ url: '/api/agents/instances/inst-refused' })).statusCode, 404, 'no instance created')
    await app.inject({ method: 'POST', url: `/api/runs/${first.run_id}/cancel` })
  })

  it('answers clear 4xx errors', async (t) => {
    const { app } = await buildTestApp(t)
    const agentId = await createAgent(app, { ai_provider: 'echo' })
    const empty = await execute(app, agentId, { input_text: '   ' })
    assert.deepEqual([empty.statusCode, empty.json().detail], [400, 'input_text is required'])
    const missing = await execute(app, agentId, {})
    assert.equal(missing.statusCode, 422)
    const unknownAgent = await execute(app, 'Ghost_Agent', { input_text: 'x' })
    assert.deepEqual([unknownAgent.statusCode, unknownAgent.json().detail], [404, "Agent 'Ghost_Agent' not found"])
    const noConversation = await execute(app, agentId, { input_text: 'x', save_to_conversation: true })
    assert.equal(noConversation.statusCode, 400)
    const unknownConversation = await execute(app, agentId, { input_text: 'x', conversation_id: 'nope', save_to_conversation: true })
    assert.equal(unknownConversation.statusCode, 404)
    const cliWithoutCwd = await execute(app, agentId, { input_text: 'x', ai_provider: 'claude' })
    assert.equal(cliWithoutCwd.statusCode, 400)
    assert.match(cliWithoutCwd.json().detail, /CWD/)
  })
})

describe('cascades across modules', () => {
  it('deleting a conversation hides its agent instances', async (t) => {
    const { app } = await buildTestApp(t)
    const agentId = await createAgent(app)
    const conversation = await createConversation(app)
    await createInstance(app, { instance_id: 'inst-a', agent_id: agentId, conversation_id: conversation.conversation_id })
    await createInstance(app, { instance_id: 'inst-b', agent_id: agentId, conversation_id: 'other' })
    const res = await app.inject({ method: 'DELETE', url: `/api/conversations/${conversation.conversation_id}` })
    assert.equal(res.json().instances_deleted, 1)
    assert.equal((await app.inject({ url: '/api/agents/instances/inst-a' })).statusCode, 404)
    assert.equal((await app.inject({ url: '/api/agents/instances/inst-b' })).statusCode, 200)
  })

  it('deleting a screenplay hides its conversations and their instances', async (t) => {
    const { app } = await buildTestApp(t)
    const agentId = await createAgent(app)
    const screenplay = await createScreenplay(app)
    const conversation = await createConversation(app, { screenplay_id: screenplay.id })
    await createInstance(app, { instance_id: 'inst-c', agent_id: agentId, conversation_id: conversation.conversation_id })
    await app.inject({ method: 'DELETE', url: `/api/screenplays/${screenplay.id}` })
    assert.equal((await app.inject({ url: `/api/conversations/${conversation.conversation_id}` })).statusCode, 404)
    assert.equal((await app.inject({ url: '/api/agents/instances/inst-c' })).statusCode, 404)
  })

  it('deleting a screenplay also hides the conversations its instances talk in, unless another screenplay owns them', async (t) => {
    const { app } = await buildTestApp(t)
    const agentId = await createAgent(app)
    const screenplay = await createScreenplay(app)
    const other = await createScreenplay(app, { name: 'Other play' })
    const loose = await createConversation(app)
    const owned = await createConversation(app, { screenplay_id: other.id })
    await createInstance(app, { instance_id: 'in-loose', agent_id: agentId, screenplay_id: screenplay.id, conversation_id: loose.conversation_id })
    await createInstance(app, { instance_id: 'in-owned', agent_id: agentId, screenplay_id: screenplay.id, conversation_id: owned.conversation_id })
    await createInstance(app, { instance_id: 'bystander', agent_id: agentId, screenplay_id: other.id, conversation_id: owned.conversation_id })
    await app.inject({ method: 'DELETE', url: `/api/screenplays/${screenplay.id}` })
    assert.equal((await app.inject({ url: `/api/conversations/${loose.conversation_id}` })).statusCode, 404)
    assert.equal((await app.inject({ url: `/api/conversations/${owned.conversation_id}` })).statusCode, 200)
    for (const id of ['in-loose', 'in-owned']) assert.equal((await app.inject({ url: `/api/agents/instances/${id}` })).statusCode, 404, id)
    assert.equal((await app.inject({ url: '/api/agents/instances/bystander' })).statusCode, 200)
  })

  it('soft-deleting a screenplay through PUT isDeleted takes the same things along as DELETE', async (t) => {
    const { app } = await buildTestApp(t)
    const agentId = await createAgent(app)
    const bystanderPlay = await createScreenplay(app, { name: 'Bystander play' })
    /** A screenplay with a conversation, an instance in it, and an instance of its own talking in a loose conversation. */
    async function seed(tag: string) {
      const screenplay = await createScreenplay(app, { name: `Play ${tag}` })
      const owned = await createConversation(app, { screenplay_id: screenplay.id })
      const loose = await createConversation(app)
      await createInstance(app, { instance_id: `in-owned-${tag}`, agent_id: agentId, conversation_id: owned.conversation_id })
      await createInstance(app, {
        instance_id: `in-play-${tag}`,
        agent_id: agentId,
        screenplay_id: screenplay.id,
        conversation_id: loose.conversation_id,
      })
      await createInstance(app, { instance_id: `bystander-${tag}`, agent_id: agentId, screenplay_id: bystanderPlay.id })
      return { screenplay, owned, loose, tag }
    }
    async function statusesAfter(seeded: Awaited<ReturnType<typeof seed>>) {
      const { owned, loose, tag } = seeded
      return {
        conversations: [
          (await app.inject({ url: `/api/conversations/${owned.conversation_id}` })).statusCode,
          (await app.inject({ url: `/api/conversations/${loose.conversation_id}` })).statusCode,
        ],
        instances: [
          (await app.inject({ url: `/api/agents/instances/in-owned-${tag}` })).statusCode,
          (await app.inject({ url: `/api/agents/instances/in-play-${tag}` })).statusCode,
          (await app.inject({ url: `/api/agents/instances/bystander-${tag}` })).statusCode,
        ],
        navigation: (await app.inject({ url: '/api/navigation/last' })).json().screenplay_id,
      }
    }
    const expected = { conversations: [404, 404], instances: [404, 404, 200], navigation: null }

    const deleted = await seed('d')
    await app.inject({ method: 'PUT', url: '/api/navigation', payload: { screenplay_id: deleted.screenplay.id } })
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/screenplays/${deleted.screenplay.id}` })).statusCode, 204)
    assert.deepEqual(await statusesAfter(deleted), expected, 'DELETE')

    const put = await seed('p')
    await app.inject({ method: 'PUT', url: '/api/navigation', payload: { screenplay_id: put.screenplay.id } })
    const res = await app.inject({ method: 'PUT', url: `/api/screenplays/${put.screenplay.id}`, payload: { isDeleted: true } })
    assert.deepEqual([res.statusCode, res.json().isDeleted], [200, true])
    assert.deepEqual(await statusesAfter(put), expected, 'PUT isDeleted')
  })

  it('cloning a conversation copies its live instances under new ids', async (t) => {
    const { app } = await buildTestApp(t)
    const agentId = await createAgent(app)
    const conversation = await createConversation(app)
    await createInstance(app, { instance_id: 'inst-d', agent_id: agentId, conversation_id: conversation.conversation_id })
    const res = await app.inject({ method: 'POST', url: `/api/conversations/${conversation.conversation_id}/clone` })
    const map = res.json().instance_id_map
    assert.ok(map['inst-d'] && map['inst-d'] !== 'inst-d')
    const copy = (await app.inject({ url: `/api/agents/instances/${map['inst-d']}` })).json().instance
    assert.equal(copy.conversation_id, res.json().cloned_conversation.conversation_id)
  })

  it('deleting a message marks exactly the run that message produced', async (t) => {
    const { app } = await buildTestApp(t)
    const agentId = await createAgent(app, { ai_provider: 'echo' })
    const conversation = await createConversation(app)
    const first = (
      await execute(app, agentId, { input_text: 'same words', conversation_id: conversation.conversation_id, save_to_conversation: true })
    ).json()
    const second = (
      await execute(app, agentId, { input_text: 'same words', conversation_id: conversation.conversation_id, save_to_conversation: true })
    ).json()
    // compat: the original marked every task of the conversation for a message of ≤ 20 characters.
    const [note] = await postMessages(app, conversation.conversation_id, { user_input: 'short' })
    const noRun = await app.inject({ method: 'PUT', url: `/api/conversations/${conversation.conversation_id}/messages/${note}/delete` })
    assert.equal(noRun.json().details.tasks_updated, 0, 'a message no run produced marks no task')
    const messages = (await getConversation(app, conversation.conversation_id)).messages
    const firstUser = messages.find((m: { task_id: string; type: string }) => m.task_id === first.task_id && m.type === 'user')
    const res = await app.inject({ method: 'PUT', url: `/api/conversations/${conversation.conversation_id}/messages/${firstUser.id}/delete` })
    assert.equal(res.json().details.tasks_updated, 1)
    assert.equal((await app.inject({ url: `/api/tasks/${first.task_id}` })).statusCode, 404)
    assert.equal((await app.inject({ url: `/api/tasks/${second.task_id}` })).statusCode, 200)
  })

  it('an instance’s history is its runs, and a cascading delete hides them', async (t) => {
    const { app } = await buildTestApp(t)
    const agentId = await createAgent(app, { ai_provider: 'echo' })
    await createInstance(app, { instance_id: 'inst-e', agent_id: agentId })
    await execute(app, agentId, { input_text: 'hello history', instance_id: 'inst-e' })
    const context = (await app.inject({ url: '/api/agents/context/inst-e' })).json()
    assert.equal(context.history.length, 1)
    assert.equal(context.history[0].user_input, 'hello history')
    assert.equal(context.history[0].ai_response, 'hello history')
    assert.equal(context.persona, PERSONA)
    const deleted = await app.inject({ method: 'DELETE', url: '/api/agents/instances/inst-e?cascade=true' })
    assert.equal(deleted.json().history_messages_affected, 1)
    const hidden = (await app.inject({ url: '/api/agents/context/inst-e' })).json()
    assert.equal(hidden.history[0].isDeleted, true)
  })
})
