// Conversations through a real gateway process over real HTTP, the way conductor-web calls
// them (web-client-contract.md §2.5): the client's flow end to end, and concurrent appends
// from many connections (split over two processes sharing PostgreSQL) losing nothing.
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { startGateway, type RunningGateway } from './helpers/gateway-process.js'
import { createTestDatabase, testDialect, urlWithSchema } from './helpers/test-database.js'

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field in assertions
type Json = Record<string, any>

async function databaseEnv(t: { after(fn: () => Promise<void>): void }): Promise<Record<string, string>> {
  if (testDialect() === 'sqlite') return { DATABASE_URL: `sqlite:${path.join(mkdtempSync(path.join(tmpdir(), 'gw-conv-')), 'gw.db')}` }
  const db = await createTestDatabase()
  t.after(() => db.drop())
  return { DATABASE_URL: urlWithSchema(db.url, db.schema!) }
}

async function start(t: { after(fn: () => Promise<unknown>): void }, count: number): Promise<RunningGateway[]> {
  const env = { LOG_LEVEL: 'warn', ...(await databaseEnv(t)) }
  const cwd = mkdtempSync(path.join(tmpdir(), 'gw-conv-cwd-'))
  // Migrations run on start-up: the first gateway migrates before the others start.
  const first = await startGateway({ cwd, env })
  const others = await Promise.all(Array.from({ length: count - 1 }, () => startGateway({ cwd, env })))
  const all = [first, ...others]
  t.after(() => Promise.all(all.map((g) => g.stop())))
  return all
}

/** One request as the client makes it; asserts the status and returns the JSON body. */
async function call(base: string, method: string, url: string, options: { json?: unknown; body?: FormData; status?: number } = {}): Promise<Json> {
  const res = await fetch(`${base}${url}`, {
    method,
    ...(options.json !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(options.json) }),
    ...(options.body && { body: options.body }),
    redirect: 'manual',
  })
  const text = await res.text()
  assert.equal(res.status, options.status ?? 200, `${method} ${url}: ${text}`)
  return JSON.parse(text)
}

describe('conductor-web’s conversation calls over real HTTP', () => {
  it('create, list, read, rename, settings, context, upload, reorder, messages, toggle, hide, delete, clone', async (t) => {
    const [gateway] = await start(t, 1)
    const base = gateway!.url
    const agent = await call(base, 'POST', '/api/agents', {
      json: {
        name: 'Echo_Agent',
        description: 'Repeats what it is told',
        persona_content: '# Echo\n\nRepeat the input, word for word, nothing else.',
        ai_provider: 'echo',
      },
      status: 201,
    })
    const agentInfo = { agent_id: agent.agent_id, instance_id: 'inst-http-1', name: 'Echo', emoji: '🔁' }

    // #27 create with the trailing slash, and without one; no redirect either way.
    const created = await call(base, 'POST', '/api/conversations/', {
      json: { title: 'Over HTTP', active_agent: agentInfo, screenplay_id: 'sp-http' },
    })
    const id: string = created.conversation_id
    assert.equal(created.title, 'Over HTTP')
    const second = await call(base, 'POST', '/api/conversations', { json: { title: 'Second one', screenplay_id: 'sp-http' } })
    await call(base, 'POST', '/api/agents/instances', {
      json: { instance_id: 'inst-http-1', agent_id: agent.agent_id, conversation_id: id, position: { x: 1, y: 1 } },
    })

    // #28 list as the sidebar does.
    for (const url of ['/api/conversations/?limit=20&skip=0&screenplay_id=sp-http', '/api/conversations?limit=100&skip=0&screenplay_id=sp-http']) {
      const list = await call(base, 'GET', url)
      assert.equal(list.conversations.length, 2)
      for (const c of list.conversations) {
        for (const field of [
          'conversation_id',
          'title',
          'created_at',
          'updated_at',
          'screenplay_id',
          'context',
          'display_order',
          'message_count',
          'participant_count',
        ]) {
          assert.ok(field in c, `list item has ${field}`)
        }
        assert.ok(!('messages' in c), 'the list carries no messages')
      }
    }

    // #32–#34 edit modal: title (query, empty JSON body), context, settings.
    await call(base, 'PATCH', `/api/conversations/${id}/title?new_title=${encodeURIComponent('Renamed over HTTP')}`, { json: {} })
    await call(base, 'PATCH', `/api/conversations/${id}/context`, { json: { context: '# Context' } })
    await call(base, 'PATCH', `/api/conversations/${id}/settings`, { json: { auto_delegate: false, max_chain_depth: 0 } })
    // #35 upload a .md file as multipart field "file".
    const form = new FormData()
    form.append('file', new Blob(['# Uploaded\n\nFrom the client.'], { type: 'text/markdown' }), 'context.md')
    const uploaded = await call(base, 'POST', `/api/conversations/${id}/context/upload`, { body: form })
    assert.deepEqual([uploaded.filename, uploaded.size, uploaded.preview], ['context.md', 28, '# Uploaded\n\nFrom the client.'])
    const refused = new FormData()
    refused.append('file', new Blob(['plain']), 'notes.txt')
    assert.equal(
      (await call(base, 'POST', `/api/conversations/${id}/context/upload`, { body: refused, status: 400 })).detail,
      'Apenas arquivos .md são permitidos',
    )
    // #36 drag and drop.
    await call(base, 'PATCH', '/api/conversations/reorder', {
      json: {
        order_updates: [
          { conversation_id: second.conversation_id, display_order: 0 },
          { conversation_id: id, display_order: 1 },
        ],
      },
    })
    // #31 select an agent.
    await call(base, 'PUT', `/api/conversations/${id}/active-agent`, { json: { agent_info: agentInfo } })

    // A chat turn the way the client sends it (execute with save_to_conversation), twice with the same words.
    const turn = { input_text: 'same words twice', instance_id: 'inst-http-1', conversation_id: id, save_to_conversation: true }
    const first = await call(base, 'POST', `/api/agents/${agent.agent_id}/execute`, { json: turn })
    const again = await call(base, 'POST', `/api/agents/${agent.agent_id}/execute`, { json: turn })
    await call(base, 'POST', `/api/conversations/${id}/messages`, { json: { user_input: 'a note without a run' } })

    // #29 read it as the chat view does.
    const read = await call(base, 'GET', `/api/conversations/${id}`)
    assert.equal(read.title, 'Renamed over HTTP')
    assert.equal(read.context, '# Uploaded\n\nFrom the client.')
    assert.deepEqual([read.auto_delegate, read.max_chain_depth], [false, null])
    assert.deepEqual(read.active_agent, agentInfo)
    assert.deepEqual(read.participants, [agentInfo])
    assert.deepEqual(
      read.messages.map((m: Json) => [m.type, m.content]),
      [
        ['user', 'same words twice'],
        ['bot', 'same words twice'],
        ['user', 'same words twice'],
        ['bot', 'same words twice'],
        ['user', 'a note without a run'],
      ],
    )
    const [firstUser, firstBot] = read.messages as Json[]
    assert.deepEqual(
      { task_id: firstBot!.task_id, status: firstBot!.status, agent: firstBot!.agent, isDeleted: firstBot!.isDeleted, isHidden: firstBot!.isHidden },
      {
        task_id: first.task_id,
        status: 'completed',
        agent: { ...agentInfo, name: firstBot!.agent.name, emoji: firstBot!.agent.emoji },
        isDeleted: false,
        isHidden: false,
      },
    )
    assert.equal(firstUser!.task_id, first.task_id)
    for (const m of read.messages as Json[]) assert.ok(typeof m.id === 'string' && !Number.isNaN(Date.parse(m.timestamp)))

    // #37/#38 disable and hide an iteration; the delete endpoint marks exactly its run.
    assert.equal((await call(base, 'PUT', `/api/conversations/${id}/messages/${firstBot!.id}/toggle`)).isDeleted, true)
    assert.equal((await call(base, 'PUT', `/api/conversations/${id}/messages/${firstUser!.id}/hide`)).isHidden, true)
    const note = (read.messages as Json[])[4]!
    assert.equal(
      (await call(base, 'PUT', `/api/conversations/${id}/messages/${note.id}/delete`)).details.tasks_updated,
      0,
      'a message without a run marks no task',
    )
    assert.equal((await call(base, 'PUT', `/api/conversations/${id}/messages/${firstUser!.id}/delete`)).details.tasks_updated, 1)
    await call(base, 'GET', `/api/tasks/${first.task_id}`, { status: 404 })
    await call(base, 'GET', `/api/tasks/${again.task_id}`)

    // #39 clone: new ids everywhere, the live instance copied.
    const cloned = await call(base, 'POST', `/api/conversations/${id}/clone`)
    const copy = cloned.cloned_conversation
    assert.notEqual(copy.conversation_id, id)
    const newInstance = cloned.instance_id_map['inst-http-1']
    assert.ok(newInstance && newInstance !== 'inst-http-1')
    assert.deepEqual(
      copy.participants.map((p: Json) => p.instance_id),
      [newInstance],
    )
    assert.equal(copy.messages.length, 5)
    assert.ok(copy.messages.every((m: Json) => !read.messages.some((o: Json) => o.id === m.id)))
    assert.equal((await call(base, 'GET', `/api/agents/instances/${newInstance}`)).instance.conversation_id, copy.conversation_id)

    // #30 delete: gone from the list and the reads, its instance hidden, the copy untouched.
    assert.equal((await call(base, 'DELETE', `/api/conversations/${id}`)).instances_deleted, 1)
    await call(base, 'GET', `/api/conversations/${id}`, { status: 404 })
    await call(base, 'GET', '/api/agents/instances/inst-http-1', { status: 404 })
    const after = await call(base, 'GET', '/api/conversations/?screenplay_id=sp-http')
    assert.deepEqual(after.conversations.map((c: Json) => c.conversation_id).sort(), [second.conversation_id, copy.conversation_id].sort())
  })
})

describe('concurrent appends to one conversation over real HTTP', () => {
  const gateways = testDialect() === 'postgres' ? 2 : 1
  it(`loses nothing with 200 parallel requests${gateways > 1 ? ' split over two gateway processes' : ''}`, async (t) => {
    const all = await start(t, gateways)
    const base = all[0]!.url
    const { conversation_id: id } = await call(base, 'POST', '/api/conversations/', { json: { title: 'Busy one' } })
    const requests = Array.from({ length: 200 }, (_, i) =>
      call(all[i % all.length]!.url, 'POST', `/api/conversations/${id}/messages`, {
        json: { user_input: `u${i}`, agent_response: `b${i}`, agent_info: { agent_id: 'a', instance_id: `i${i % 4}`, name: 'A' } },
      }),
    )
    const answers = await Promise.all(requests)
    assert.equal(new Set(answers.flatMap((a) => a.message_ids)).size, 400)

    const read = await call(all.at(-1)!.url, 'GET', `/api/conversations/${id}?messages_limit=1000`)
    assert.equal(read.message_count, 400)
    assert.equal(read.messages.length, 400)
    const users = new Set<string>()
    for (let k = 0; k < 400; k += 2) {
      const [user, bot] = [read.messages[k], read.messages[k + 1]]
      assert.equal(bot.content, user.content.replace('u', 'b'), 'each request’s pair is adjacent')
      users.add(user.content)
    }
    assert.equal(users.size, 200)
    assert.equal(read.participants.length, 4)
  })
})
