import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../../../test/helpers/build-test-app.js'

async function run(app: FastifyInstance, body: Record<string, unknown>) {
  const res = await app.inject({ method: 'POST', url: '/api/runs', payload: { ai_provider: 'echo', wait: true, ...body } })
  return res.json()
}

describe('GET /api/tasks', () => {
  it('lists runs as task documents with status, agent and sort filters', async (t) => {
    // Echo pauses before each word, so a run lasts a while and its duration is not 0.
    const { app } = await buildTestApp(t, { env: { ECHO_DELAY_MS: '20' } })
    const done = await run(app, { input: 'first', conversation_id: 'c1', instance_id: 'i1' })
    const failed = await run(app, { input: 'second', ai_provider: 'openai' })
    const all = (await app.inject({ url: '/api/tasks' })).json()
    assert.equal(all.success, true)
    assert.equal(all.total, 2)
    assert.deepEqual(
      all.tasks.map((task: { task_id: string }) => task.task_id),
      [failed.run_id, done.run_id],
    )
    const task = all.tasks[1]
    assert.equal(task._id, done.run_id)
    assert.equal(task.status, 'completed')
    assert.equal(task.result, 'first')
    assert.equal(task.prompt, 'first')
    assert.equal(task.conversation_id, 'c1')
    assert.equal(task.duration, (Date.parse(done.ended_at) - Date.parse(done.started_at)) / 1000, 'seconds')
    const errors = (await app.inject({ url: '/api/tasks?status=error' })).json()
    assert.deepEqual(
      errors.tasks.map((t2: { task_id: string }) => t2.task_id),
      [failed.run_id],
    )
    const oldest = (await app.inject({ url: '/api/tasks?sort=created_at&limit=1' })).json()
    assert.equal(oldest.tasks[0].task_id, done.run_id)
    assert.equal(oldest.count, 1)
  })

  it('answers 422 for unknown sort fields, statuses and out-of-range limits', async (t) => {
    const { app } = await buildTestApp(t)
    for (const query of ['sort=-prompt', 'status=exploded', 'limit=501', 'offset=-1']) {
      const res = await app.inject({ url: `/api/tasks?${query}` })
      assert.equal(res.statusCode, 422, query)
    }
  })
})

describe('GET /api/tasks/processing', () => {
  it('shows only running tasks, with their instance', async (t) => {
    const { app } = await buildTestApp(t, { env: { ECHO_DELAY_MS: '100' } })
    const started = (
      await app.inject({ method: 'POST', url: '/api/runs', payload: { ai_provider: 'echo', input: 'a b c d e f g h', instance_id: 'busy-1' } })
    ).json()
    let processing: { success: boolean; count: number; tasks: Array<{ instance_id: string; status: string }> } | undefined
    for (let i = 0; i < 200; i++) {
      processing = (await app.inject({ url: '/api/tasks/processing' })).json()
      if (processing?.count === 1) break
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    assert.ok(processing)
    assert.equal(processing.success, true)
    assert.equal(processing.tasks[0]!.instance_id, 'busy-1')
    assert.equal(processing.tasks[0]!.status, 'processing')
    await app.inject({ method: 'POST', url: `/api/runs/${started.run_id}/cancel` })
    assert.equal((await app.inject({ url: '/api/tasks/processing' })).json().count, 0)
  })
})

describe('GET /api/tasks/events', () => {
  it('replays finished tasks as feed events, newest first, without deleted ones', async (t) => {
    const { app, deps } = await buildTestApp(t)
    const ok = await run(app, { input: 'all good' })
    const bad = await run(app, { input: 'nope', ai_provider: 'openai' })
    const hidden = await run(app, { input: 'hidden' })
    await deps.runs.hide(hidden.run_id, 'msg-1')
    const res = (await app.inject({ url: '/api/tasks/events?limit=50' })).json()
    assert.equal(res.count, 2)
    assert.deepEqual(
      res.events.map((e: { type: string }) => e.type),
      ['task_error', 'task_completed'],
    )
    const completed = res.events[1]
    assert.equal(completed.data.task_id, ok.run_id)
    assert.equal(completed.data.summary, 'all good')
    assert.equal(completed.data.level, 'result')
    assert.equal(completed.timestamp, Date.parse(ok.ended_at))
    assert.equal(res.events[0].data.task_id, bad.run_id)
    const none = (await app.inject({ url: '/api/tasks/events?include_councilors=false&include_regular=false' })).json()
    assert.equal(none.count, 0)
    const regularOnly = (await app.inject({ url: '/api/tasks/events?include_councilors=false' })).json()
    assert.equal(regularOnly.count, 2)
    assert.equal((await app.inject({ url: '/api/tasks/events?limit=201' })).statusCode, 422)
  })
})

describe('GET /api/tasks/:task_id and /details', () => {
  it('answers one task and its details for the report modal', async (t) => {
    const { app } = await buildTestApp(t)
    const done = await run(app, { input: 'report me' })
    const task = (await app.inject({ url: `/api/tasks/${done.run_id}` })).json()
    assert.equal(task.success, true)
    assert.equal(task.task.status, 'completed')
    assert.equal(task.task.result, 'report me')
    const details = (await app.inject({ url: `/api/tasks/${done.run_id}/details` })).json()
    assert.deepEqual(
      [details.task.prompt, details.task.result, details.task.error, details.task.severity, details.task.is_councilor],
      ['report me', 'report me', null, 'success', false],
    )
  })

  it('answers 404 for unknown tasks', async (t) => {
    const { app } = await buildTestApp(t)
    const one = await app.inject({ url: '/api/tasks/0123456789abcdef01234567' })
    assert.deepEqual([one.statusCode, one.json().detail], [404, 'Task 0123456789abcdef01234567 not found'])
    const details = await app.inject({ url: '/api/tasks/nope/details' })
    assert.equal(details.statusCode, 404)
    assert.match(details.json().detail, /Task não encontrada/)
  })
})
