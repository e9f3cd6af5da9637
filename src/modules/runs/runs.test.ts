import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, listen } from '../../../test/helpers/build-test-app.js'
import { eventFrames, openSse } from '../../../test/helpers/sse-client.js'

const SLOW = { ECHO_DELAY_MS: '60', RUN_COALESCE_MS: '0' }
const TEN_WORDS = 'one two three four five six seven eight nine ten'

async function create(app: FastifyInstance, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await app.inject({ method: 'POST', url: '/api/runs', payload: { ai_provider: 'echo', ...body }, headers })
  assert.ok([200, 202].includes(res.statusCode), res.body)
  return res.json()
}

async function waitFor(app: FastifyInstance, runId: string, statuses: string[]) {
  for (let i = 0; i < 500; i++) {
    const run = (await app.inject({ url: `/api/runs/${runId}` })).json()
    if (statuses.includes(run.status)) return run
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`run ${runId} never reached ${statuses.join('/')}`)
}

async function slowApp(t: TestContext, env: Record<string, string> = {}) {
  return buildTestApp(t, { env: { ...SLOW, ...env } })
}

describe('POST /api/runs', () => {
  it('queues a run and answers 202 with where to follow it', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject({ method: 'POST', url: '/api/runs', payload: { input: 'hello', ai_provider: 'echo' } })
    assert.equal(res.statusCode, 202)
    const run = res.json()
    assert.match(run.run_id, /^[0-9a-f]{24}$/)
    assert.equal(res.headers.location, `/api/runs/${run.run_id}`)
    assert.equal(run.events_url, `/api/runs/${run.run_id}/events`)
    const ended = await waitFor(app, run.run_id, ['completed'])
    assert.equal(ended.output, 'hello')
  })

  it('waits for the end with wait=true and records what produced the run', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject({
      method: 'POST',
      url: '/api/runs',
      payload: { input: 'alpha beta', ai_provider: 'echo', model: 'm1', wait: true, metadata: { ticket: 7 } },
    })
    assert.equal(res.statusCode, 200)
    const run = res.json()
    assert.equal(run.status, 'completed')
    assert.equal(run.output, 'alpha beta')
    assert.equal(run.exit_code, 0)
    assert.equal(run.severity, 'success')
    assert.deepEqual([run.provider, run.executor, run.model], ['echo', 'echo', 'm1'])
    assert.deepEqual(run.usage, { tokens_in: 2, tokens_out: 2 })
    assert.deepEqual(run.metadata, { ticket: 7 })
    assert.ok(run.started_at && run.ended_at && run.duration_ms >= 0)
  })

  it('streams the run’s events with stream=true', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject({ method: 'POST', url: '/api/runs', payload: { input: 'x y', ai_provider: 'echo', stream: true } })
    assert.equal(res.statusCode, 200)
    assert.match(String(res.headers['content-type']), /text\/event-stream/)
    const types = [...res.body.matchAll(/^event: (.+)$/gm)].map((m) => m[1])
    assert.deepEqual(types, ['run.queued', 'run.started', 'text.delta', 'usage', 'run.completed'])
    const ids = [...res.body.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))
    assert.deepEqual(ids, [1, 2, 3, 4, 5])
    assert.match(res.body, /^retry: \d+$/m)
  })

  it('returns the same run for a repeated Idempotency-Key', async (t) => {
    const { app } = await buildTestApp(t)
    const first = await create(app, { input: 'once' }, { 'idempotency-key': 'k-1' })
    const second = await create(app, { input: 'once' }, { 'idempotency-key': 'k-1' })
    assert.equal(second.run_id, first.run_id)
    const list = (await app.inject({ url: '/api/runs' })).json()
    assert.equal(list.total, 1)
  })

  it('never picks echo silently: without a provider the configured default runs and a missing key is a clear failure', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject({ method: 'POST', url: '/api/runs', payload: { input: 'hi', wait: true } })
    const run = res.json()
    assert.equal(run.provider, 'openai')
    assert.equal(run.status, 'failed')
    assert.ok(run.error.length > 0)
  })

  it('answers 4xx for bad input', async (t) => {
    const { app } = await buildTestApp(t)
    const cases: Array<[Record<string, unknown>, number, RegExp]> = [
      [{ ai_provider: 'echo' }, 422, /body\.input: is required/],
      [{ input: 'x', ai_provider: 'skynet' }, 422, /body\.ai_provider/],
      [{ input: 'x', ai_provider: 'echo', timeout_ms: -1 }, 422, /timeout_ms/],
      [{ input: 'x', ai_provider: 'echo', cwd: 'relative' }, 400, /absolute path/],
      [{ input: 'x', ai_provider: 'claude' }, 400, /CWD/],
      [{ input: 'x', agent_id: 'Nobody_Agent', ai_provider: 'echo' }, 404, /Agent 'Nobody_Agent' not found/],
    ]
    for (const [payload, status, detail] of cases) {
      const res = await app.inject({ method: 'POST', url: '/api/runs', payload })
      assert.equal(res.statusCode, status, JSON.stringify(payload))
      assert.match(res.json().detail, detail)
    }
  })
})

describe('GET /api/runs and /api/runs/:run_id', () => {
  it('lists with filters, newest first', async (t) => {
    const { app } = await buildTestApp(t)
    await create(app, { input: 'a', conversation_id: 'c1', wait: true })
    await create(app, { input: 'b', conversation_id: 'c2', wait: true })
    await create(app, { input: 'c', conversation_id: 'c1', wait: true })
    const c1 = (await app.inject({ url: '/api/runs?conversation_id=c1' })).json()
    assert.equal(c1.total, 2)
    assert.deepEqual(
      c1.runs.map((r: { input: string }) => r.input),
      ['c', 'a'],
    )
    const completed = (await app.inject({ url: '/api/runs?status=completed,failed&limit=1' })).json()
    assert.equal(completed.total, 3)
    assert.equal(completed.runs.length, 1)
    await create(app, { input: 'd', instance_id: 'i9', screenplay_id: 's9', wait: true })
    const byInstance = (await app.inject({ url: '/api/runs?instance_id=i9&screenplay_id=s9&source=api' })).json()
    assert.deepEqual(
      byInstance.runs.map((r: { input: string }) => r.input),
      ['d'],
    )
    assert.equal((await app.inject({ url: '/api/runs?source=councilor' })).json().total, 0)
    assert.equal((await app.inject({ url: '/api/runs?status=done' })).statusCode, 422)
    assert.equal((await app.inject({ url: '/api/runs?limit=0' })).statusCode, 422)
  })

  it('answers 404 for an unknown run', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject({ url: '/api/runs/0123456789abcdef01234567' })
    assert.equal(res.statusCode, 404)
    assert.equal(res.json().detail, "Run '0123456789abcdef01234567' not found")
  })
})

describe('POST /api/runs/:run_id/cancel', () => {
  it('cancels a running run, keeping its partial output, and is idempotent', async (t) => {
    const { app } = await slowApp(t)
    const run = await create(app, { input: TEN_WORDS })
    await waitFor(app, run.run_id, ['running'])
    await new Promise((resolve) => setTimeout(resolve, 200))
    const res = await app.inject({ method: 'POST', url: `/api/runs/${run.run_id}/cancel` })
    assert.equal(res.statusCode, 200)
    const cancelled = res.json()
    assert.equal(cancelled.status, 'cancelled')
    assert.ok(cancelled.output.length > 0, 'partial output kept')
    assert.ok(cancelled.output.length < TEN_WORDS.length, 'stopped before the end')
    assert.ok(TEN_WORDS.startsWith(cancelled.output))
    const again = await app.inject({ method: 'POST', url: `/api/runs/${run.run_id}/cancel` })
    assert.deepEqual([again.statusCode, again.json().status, again.json().output], [200, 'cancelled', cancelled.output])
  })

  it('cancels a queued run before it starts', async (t) => {
    const { app } = await slowApp(t, { RUN_CONCURRENCY: '1' })
    const busy = await create(app, { input: TEN_WORDS })
    const waiting = await create(app, { input: 'never runs' })
    const res = await app.inject({ method: 'POST', url: `/api/runs/${waiting.run_id}/cancel` })
    assert.equal(res.json().status, 'cancelled')
    assert.equal(res.json().started_at, null)
    assert.equal(res.json().output, '')
    const again = await app.inject({ method: 'POST', url: `/api/runs/${waiting.run_id}/cancel` })
    assert.deepEqual([again.statusCode, again.json().status, again.json().ended_at], [200, 'cancelled', res.json().ended_at], 'idempotent')
    await app.inject({ method: 'POST', url: `/api/runs/${busy.run_id}/cancel` })
  })

  it('leaves a finished run as it is', async (t) => {
    const { app } = await buildTestApp(t)
    const done = await create(app, { input: 'all done', wait: true })
    const res = await app.inject({ method: 'POST', url: `/api/runs/${done.run_id}/cancel` })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(
      [res.json().status, res.json().output, res.json().ended_at, res.json().last_seq],
      ['completed', 'all done', done.ended_at, done.last_seq],
    )
    const bulk = await app.inject({ method: 'POST', url: '/api/runs/cancel', payload: { run_ids: [done.run_id] } })
    assert.deepEqual(bulk.json().cancelled, [], 'bulk cancel only touches active runs')
  })

  it('answers 404 for an unknown run', async (t) => {
    const { app } = await buildTestApp(t)
    assert.equal((await app.inject({ method: 'POST', url: '/api/runs/nope/cancel' })).statusCode, 404)
  })
})

describe('POST /api/runs/cancel', () => {
  it('cancels every active run of a conversation', async (t) => {
    const { app } = await slowApp(t, { RUN_CONVERSATION_POLICY: 'enqueue' })
    const first = await create(app, { input: TEN_WORDS, conversation_id: 'conv' })
    const second = await create(app, { input: TEN_WORDS, conversation_id: 'conv' })
    const other = await create(app, { input: 'elsewhere', conversation_id: 'other', wait: true })
    const res = await app.inject({ method: 'POST', url: '/api/runs/cancel', payload: { conversation_id: 'conv' } })
    assert.equal(res.statusCode, 200)
    const ids = res
      .json()
      .cancelled.map((r: { run_id: string }) => r.run_id)
      .sort()
    assert.deepEqual(ids, [first.run_id, second.run_id].sort())
    assert.ok(res.json().cancelled.every((r: { status: string }) => r.status === 'cancelled'))
    assert.equal((await app.inject({ url: `/api/runs/${other.run_id}` })).json().status, 'completed')
  })

  it('answers 422 without a filter', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject({ method: 'POST', url: '/api/runs/cancel', payload: {} })
    assert.equal(res.statusCode, 422)
    assert.match(res.json().detail, /name the runs/)
  })
})

describe('timeouts and conversation policy', () => {
  it('ends a run that outlives its timeout as timed_out with its partial output', async (t) => {
    const { app } = await slowApp(t)
    const run = await create(app, { input: TEN_WORDS, timeout_ms: 250 })
    const ended = await waitFor(app, run.run_id, ['timed_out', 'completed', 'failed'])
    assert.equal(ended.status, 'timed_out')
    assert.equal(ended.exit_code, 124)
    assert.ok(ended.output.length > 0 && ended.output.length < TEN_WORDS.length)
  })

  it('rejects a second message while a conversation has an active run (policy reject)', async (t) => {
    const { app } = await slowApp(t)
    const first = await create(app, { input: TEN_WORDS, conversation_id: 'busy' })
    const res = await app.inject({ method: 'POST', url: '/api/runs', payload: { input: 'me too', ai_provider: 'echo', conversation_id: 'busy' } })
    assert.equal(res.statusCode, 409)
    assert.match(res.json().detail, /already in progress in conversation 'busy'/)
    await app.inject({ method: 'POST', url: `/api/runs/${first.run_id}/cancel` })
  })

  it('runs a second message after the first (policy enqueue)', async (t) => {
    const { app } = await slowApp(t, { RUN_CONVERSATION_POLICY: 'enqueue' })
    const first = await create(app, { input: 'one two three', conversation_id: 'line' })
    const second = await create(app, { input: 'four five', conversation_id: 'line' })
    const secondDone = await waitFor(app, second.run_id, ['completed'])
    const firstDone = (await app.inject({ url: `/api/runs/${first.run_id}` })).json()
    assert.equal(firstDone.status, 'completed')
    assert.ok(Date.parse(secondDone.started_at) >= Date.parse(firstDone.ended_at), 'never two runs of one conversation at once')
  })
})

describe('GET /api/runs/:run_id/events', () => {
  it('replays a finished run to several readers', async (t) => {
    const { app } = await buildTestApp(t)
    const run = await create(app, { input: 'a b c', wait: true })
    const [one, two] = await Promise.all([
      app.inject({ url: `/api/runs/${run.run_id}/events` }),
      app.inject({ url: `/api/runs/${run.run_id}/events` }),
    ])
    assert.equal(one.body.replace(/^: .*\n\n/gm, ''), two.body.replace(/^: .*\n\n/gm, ''))
    assert.match(one.body, /event: run\.completed/)
  })

  it('resumes after Last-Event-ID (or ?after=) with exactly the missed events', async (t) => {
    const { app } = await buildTestApp(t)
    const run = await create(app, { input: 'a b c', wait: true })
    const header = await app.inject({ url: `/api/runs/${run.run_id}/events`, headers: { 'last-event-id': '3' } })
    assert.deepEqual(
      [...header.body.matchAll(/^id: (\d+)$/gm)].map((m) => m[1]),
      ['4', '5'],
    )
    const query = await app.inject({ url: `/api/runs/${run.run_id}/events?after=4` })
    assert.deepEqual(
      [...query.body.matchAll(/^id: (\d+)$/gm)].map((m) => m[1]),
      ['5'],
    )
    const caughtUp = await app.inject({ url: `/api/runs/${run.run_id}/events`, headers: { 'last-event-id': '5' } })
    assert.equal([...caughtUp.body.matchAll(/^id: /gm)].length, 0, 'a reader that has everything gets an empty, ended stream')
  })

  it('delivers a live run to a reader that drops and reconnects, losing and duplicating nothing', async (t) => {
    const { app } = await slowApp(t)
    const base = await listen(app)
    const run = await create(app, { input: TEN_WORDS })
    const first = await openSse(`${base}/api/runs/${run.run_id}/events`)
    await first.until((frames) => eventFrames(frames).some((f) => f.event === 'text.delta'))
    first.abort()
    const seen = eventFrames(first.frames)
    const lastId = seen.at(-1)!.id!
    const second = await openSse(`${base}/api/runs/${run.run_id}/events`, { headers: { 'last-event-id': lastId } })
    await second.done
    const all = [...seen, ...eventFrames(second.frames)]
    assert.deepEqual(
      all.map((f) => Number(f.id)),
      all.map((_, i) => i + 1),
    )
    const text = all
      .filter((f) => f.event === 'text.delta')
      .map((f) => JSON.parse(f.data).text)
      .join('')
    assert.equal(text, TEN_WORDS)
    assert.equal(all.at(-1)!.event, 'run.completed')
  })

  it('sends a retry hint and heartbeats while a run is quiet', async (t) => {
    const { app } = await buildTestApp(t, { env: { ECHO_DELAY_MS: '400', SSE_HEARTBEAT_MS: '50' } })
    const base = await listen(app)
    const run = await create(app, { input: 'slow words' })
    const session = await openSse(`${base}/api/runs/${run.run_id}/events`)
    await session.until((frames) => frames.some((f) => f.comment === 'heartbeat'))
    assert.ok(session.frames[0]!.retry! > 0)
    await session.done
  })

  it('answers 404 for an unknown run', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject({ url: '/api/runs/nope/events' })
    assert.equal(res.statusCode, 404)
    assert.equal(res.json().detail, "Run 'nope' not found")
  })
})
