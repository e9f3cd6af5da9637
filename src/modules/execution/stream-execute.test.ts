import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildTestApp, listen } from '../../../test/helpers/build-test-app.js'
import { followEventSource } from '../../../test/helpers/event-source.js'
import { openSse } from '../../../test/helpers/sse-client.js'
import { waitFor } from '../../../test/helpers/wait.js'

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
  it('streams in the original format with ids, and the response ends after the result event', async (t) => {
    const { app } = await buildTestApp(t)
    const job = (await app.inject({ method: 'POST', url: '/api/v1/stream-execute', payload: { input: 'a b', ai_provider: 'echo' } })).json()
    const res = await app.inject({ url: job.stream_url })
    assert.equal(res.statusCode, 200)
    assert.match(String(res.headers['content-type']), /^text\/event-stream; charset=utf-8/)
    const events = dataEvents(res.body)
    assert.deepEqual(
      events.map((e) => e.event),
      ['task_started', 'status_update', 'on_llm_new_token', 'result'],
    )
    assert.ok(
      events.every((e) => e.id !== undefined),
      'every data event has an id',
    )
    assert.ok(res.body.endsWith(`data: ${JSON.stringify(events.at(-1)!.json)}\n\n`), 'nothing follows the result (no end_of_stream)')
    const result = events[3]!.json
    assert.equal(result.job_id, job.job_id)
    assert.deepEqual((result.data as Record<string, unknown>).status, 'completed')
    assert.equal((result.data as Record<string, unknown>).result, 'a b')
    const run = (await app.inject({ url: `/api/runs/${job.job_id.slice('job_'.length)}` })).json()
    assert.equal(result.timestamp, Date.parse(run.ended_at) / 1000, 'when the run ended, in seconds')
  })

  it('ends after the error event of a run that did not complete', async (t) => {
    const { app } = await buildTestApp(t, { env: { ECHO_DELAY_MS: '1000' } })
    const job = (await app.inject({ method: 'POST', url: '/api/v1/stream-execute', payload: { input: 'a b c d', ai_provider: 'echo' } })).json()
    const cancel = await app.inject({ method: 'POST', url: `/api/runs/${job.job_id.slice('job_'.length)}/cancel` })
    assert.equal(cancel.json().status, 'cancelled')
    const res = await app.inject({ url: job.stream_url })
    const events = dataEvents(res.body)
    assert.equal(events.at(-1)!.event, 'error')
    assert.equal((events.at(-1)!.json.data as Record<string, unknown>).error, 'Tarefa cancelada')
    assert.ok(res.body.endsWith(`data: ${JSON.stringify(events.at(-1)!.json)}\n\n`), 'nothing follows the error')
    const again = await app.inject({ url: job.stream_url, headers: { 'last-event-id': events.at(-1)!.id! } })
    assert.equal(again.statusCode, 204)
  })

  it('can be opened by several clients, live, and resumed with Last-Event-ID', { timeout: 30_000 }, async (t) => {
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
    assert.equal(JSON.parse(a.frames.at(-1)!.data).event, 'result')
    const resumed = await app.inject({ url: job.stream_url, headers: { 'last-event-id': seqA.at(-2)! } })
    assert.deepEqual(
      dataEvents(resumed.body).map((e) => e.event),
      ['result'],
    )
  })

  it('answers a reconnect at or past the end of a finished job with 204 and no body', async (t) => {
    const { app } = await buildTestApp(t)
    const job = (await app.inject({ method: 'POST', url: '/api/v1/stream-execute', payload: { input: 'a b', ai_provider: 'echo' } })).json()
    const last = dataEvents((await app.inject({ url: job.stream_url })).body).at(-1)!
    assert.equal(last.event, 'result')
    for (const lastEventId of [last.id!, String(Number(last.id) + 10)]) {
      const res = await app.inject({ url: job.stream_url, headers: { 'last-event-id': lastEventId } })
      assert.equal(res.statusCode, 204, `Last-Event-ID ${lastEventId}`)
      assert.equal(res.body, '')
      assert.equal(res.headers['content-type'], undefined)
    }
  })

  it('sends the rest of a finished job to a reconnect at an earlier id, then ends', async (t) => {
    const { app } = await buildTestApp(t)
    const job = (await app.inject({ method: 'POST', url: '/api/v1/stream-execute', payload: { input: 'a b', ai_provider: 'echo' } })).json()
    const all = dataEvents((await app.inject({ url: job.stream_url })).body)
    const res = await app.inject({ url: job.stream_url, headers: { 'last-event-id': all[0]!.id! } })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(dataEvents(res.body), all.slice(1))
  })

  it('keeps a reconnect at the newest id of a job still running open until its result', async (t) => {
    const { app } = await buildTestApp(t, { env: { ECHO_DELAY_MS: '1000' } })
    const job = (await app.inject({ method: 'POST', url: '/api/v1/stream-execute', payload: { input: 'one', ai_provider: 'echo' } })).json()
    const runUrl = `/api/runs/${job.job_id.slice('job_'.length)}`
    // Running (it may queue for a moment until the pool's first claim); the echo waits a second before its word.
    await waitFor(async () => (await app.inject({ url: runUrl })).json().status !== 'queued', 5_000, 'the run started')
    const run = (await app.inject({ url: runUrl })).json()
    assert.equal(run.status, 'running', 'the echo waits a second before its word')
    const res = await app.inject({ url: job.stream_url, headers: { 'last-event-id': String(run.last_seq) } })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(
      dataEvents(res.body).map((e) => e.event),
      ['on_llm_new_token', 'result'],
    )
  })

  it('lets a browser EventSource see one result and stop reconnecting', async (t) => {
    const { app } = await buildTestApp(t, { env: { SSE_RETRY_MS: '20', ECHO_DELAY_MS: '20', RUN_COALESCE_MS: '0' } })
    const base = await listen(app)
    const job = (await app.inject({ method: 'POST', url: '/api/v1/stream-execute', payload: { input: 'one two three', ai_provider: 'echo' } })).json()
    const source = await followEventSource(`${base}${job.stream_url}`)
    assert.equal(source.stoppedBy, 'closed')
    assert.deepEqual(source.statuses, [200, 204])
    const events = source.messages.map((m) => ({ type: m.type, event: JSON.parse(m.data).event }))
    assert.deepEqual(
      events.filter((e) => e.event === 'result' || e.type !== 'message'),
      [{ type: 'message', event: 'result' }],
      'exactly one completion, and no named events',
    )
    assert.equal(events.at(-1)!.event, 'result')
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
