import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildTestApp, listen } from '../../../test/helpers/build-test-app.js'
import { openSse } from '../../../test/helpers/sse-client.js'

function dataEvents(body: string): Array<{ id: string | undefined; event: string; json: Record<string, unknown> }> {
  return body
    .split('\n\n')
    .filter((frame) => frame.includes('data: '))
    .map((frame) => {
      const id = /^id: (.+)$/m.exec(frame)?.[1]
      const named = /^event: (.+)$/m.exec(frame)?.[1]
      const json = JSON.parse(/^data: (.+)$/m.exec(frame)![1]!)
      return { id, event: named ?? json.event, json }
    })
}

describe('POST /api/v1/stream-execute', () => {
  it('starts a run from the React chat body and answers the job and stream url', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/stream-execute',
      headers: { 'x-api-key': 'test-api-key-123' },
      payload: { uid: 'u1', title: 't', textEntries: [{ uid: '1', content: 'hello world' }], targetType: 'conductor', ai_provider: 'echo' },
    })
    assert.equal(res.statusCode, 200)
    const body = res.json()
    assert.match(body.job_id, /^job_[0-9a-f]{24}$/)
    assert.equal(body.status, 'started')
    assert.equal(body.stream_url, `/api/v1/stream/${body.job_id}`)
  })

  it('takes input, then command, when there are no textEntries', async (t) => {
    const { app } = await buildTestApp(t)
    for (const payload of [{ input: 'from input' }, { command: 'from command' }]) {
      const job = (await app.inject({ method: 'POST', url: '/api/v1/stream-execute', payload: { ...payload, ai_provider: 'echo' } })).json()
      const stream = await app.inject({ url: job.stream_url })
      const result = dataEvents(stream.body).find((e) => e.event === 'result')!
      assert.equal(result.json.data && (result.json.data as { result: string }).result, Object.values(payload)[0])
    }
  })

  it('inherits the working directory from the screenplay when the body has no cwd (§2.1.1)', async (t) => {
    const { app } = await buildTestApp(t, { env: { CLAUDE_COMMAND: '/nonexistent/claude' } })
    const screenplay = await app.inject({ method: 'POST', url: '/api/screenplays', payload: { name: 'Play', working_directory: '/srv/play' } })
    assert.equal(screenplay.statusCode, 201, screenplay.body)
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/stream-execute',
      payload: { input: 'x', ai_provider: 'claude', screenplay_id: screenplay.json().id },
    })
    assert.equal(res.statusCode, 200, res.body)
    const run = (await app.inject({ url: `/api/runs/${res.json().job_id.slice('job_'.length)}` })).json()
    assert.equal(run.cwd, '/srv/play')
    assert.equal(run.screenplay_id, screenplay.json().id)
    const explicit = await app.inject({
      method: 'POST',
      url: '/api/v1/stream-execute',
      payload: { input: 'x', ai_provider: 'echo', screenplay_id: screenplay.json().id, cwd: '/srv/other' },
    })
    assert.equal(
      (await app.inject({ url: `/api/runs/${explicit.json().job_id.slice('job_'.length)}` })).json().cwd,
      '/srv/other',
      'the body’s cwd wins',
    )
  })

  it('answers real HTTP errors, not 200 with an error array', async (t) => {
    const { app } = await buildTestApp(t)
    const empty = await app.inject({ method: 'POST', url: '/api/v1/stream-execute', payload: { textEntries: [{ content: '  ' }] } })
    assert.equal(empty.statusCode, 400)
    assert.match(empty.json().detail, /No input/)
    const noCwd = await app.inject({ method: 'POST', url: '/api/v1/stream-execute', payload: { input: 'x', ai_provider: 'claude' } })
    assert.equal(noCwd.statusCode, 400)
    assert.match(noCwd.json().detail, /CWD/)
    const badJson = await app.inject({ method: 'POST', url: '/api/v1/stream-execute', headers: { 'content-type': 'application/json' }, payload: '{' })
    assert.equal(badJson.statusCode, 400)
  })
})

describe('GET /api/v1/stream/:job_id', () => {
  it('streams in the original format with ids and a named end_of_stream event', async (t) => {
    const { app } = await buildTestApp(t)
    const job = (await app.inject({ method: 'POST', url: '/api/v1/stream-execute', payload: { input: 'a b', ai_provider: 'echo' } })).json()
    const res = await app.inject({ url: job.stream_url })
    assert.equal(res.statusCode, 200)
    assert.match(String(res.headers['content-type']), /^text\/event-stream; charset=utf-8/)
    const events = dataEvents(res.body)
    assert.deepEqual(
      events.map((e) => e.event),
      ['task_started', 'status_update', 'on_llm_new_token', 'result', 'end_of_stream'],
    )
    assert.ok(
      events.slice(0, -1).every((e) => e.id !== undefined),
      'every data event has an id',
    )
    const result = events[3]!.json
    assert.equal(result.job_id, job.job_id)
    assert.deepEqual((result.data as Record<string, unknown>).status, 'completed')
    assert.equal((result.data as Record<string, unknown>).result, 'a b')
    assert.equal(typeof result.timestamp, 'number')
  })

  it('can be opened by several clients, live, and resumed with Last-Event-ID', async (t) => {
    const { app } = await buildTestApp(t, { env: { ECHO_DELAY_MS: '40', RUN_COALESCE_MS: '0' } })
    const base = await listen(app)
    const job = (
      await app.inject({ method: 'POST', url: '/api/v1/stream-execute', payload: { input: 'one two three four', ai_provider: 'echo' } })
    ).json()
    const [a, b] = await Promise.all([openSse(`${base}${job.stream_url}`), openSse(`${base}${job.stream_url}`)])
    await Promise.all([a.done, b.done])
    const seqA = a.frames.filter((f) => f.id).map((f) => f.id)
    assert.deepEqual(
      seqA,
      b.frames.filter((f) => f.id).map((f) => f.id),
    )
    assert.equal(a.frames.at(-1)!.event, 'end_of_stream')
    const resumed = await app.inject({ url: job.stream_url, headers: { 'last-event-id': seqA.at(-2)! } })
    const events = dataEvents(resumed.body)
    assert.deepEqual(
      events.map((e) => e.event),
      ['result', 'end_of_stream'],
    )
  })

  it('answers 404 for unknown jobs', async (t) => {
    const { app } = await buildTestApp(t)
    for (const id of ['job_0123456789abcdef01234567', 'nonexistent_job']) {
      const res = await app.inject({ url: `/api/v1/stream/${id}` })
      assert.equal(res.statusCode, 404)
      assert.equal(res.json().detail, `Job ID '${id}' not found`)
    }
  })
})
