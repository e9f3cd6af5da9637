import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { buildTestApp, listen } from '../../../test/helpers/build-test-app.js'
import { fakeCliDir } from '../../../test/helpers/fake-cli.js'
import { QueryLog, touches } from '../../../test/helpers/query-log.js'
import { eventFrames, openSse, type SseFrame } from '../../../test/helpers/sse-client.js'
import { testDialect } from '../../../test/helpers/test-database.js'
import { waitFor } from '../../../test/helpers/wait.js'

const SLOW = { ECHO_DELAY_MS: '60', RUN_COALESCE_MS: '0' }
const TEN_WORDS = 'one two three four five six seven eight nine ten'

async function create(app: FastifyInstance, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await app.inject({ method: 'POST', url: '/api/runs', payload: { ai_provider: 'echo', ...body }, headers })
  assert.ok([200, 202].includes(res.statusCode), res.body)
  return res.json()
}

async function getRun(app: FastifyInstance, runId: string) {
  return (await app.inject({ url: `/api/runs/${runId}` })).json()
}

async function waitForStatus(app: FastifyInstance, runId: string, statuses: string[]) {
  await waitFor(async () => statuses.includes((await getRun(app, runId)).status), 10_000, `run ${runId} is ${statuses.join('/')}`)
  return getRun(app, runId)
}

/**
 * An SSE reader over a raw socket that stops reading once the stream has begun (its first event
 * arrived): what the server sends piles up. `readToEnd` reads again and resolves with the whole
 * body once the server has closed the connection.
 */
async function openStalledReader(url: string): Promise<{ socket: Socket; readToEnd(): Promise<string> }> {
  const { hostname, port, pathname } = new URL(url)
  const socket = connect(Number(port), hostname)
  await once(socket, 'connect')
  let response = ''
  socket.setEncoding('utf8')
  const closed = once(socket, 'close')
  socket.on('error', () => {}) // a reset connection also ends in 'close'
  socket.write(`GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\n\r\n`)
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: string) => {
      response += chunk
      if (!/^event: /m.test(response)) return
      socket.off('data', onData)
      socket.pause()
      resolve()
    }
    socket.on('data', onData)
    socket.once('error', reject)
  })
  return {
    socket,
    async readToEnd() {
      socket.on('data', (chunk: string) => (response += chunk))
      socket.resume()
      await closed
      return response.slice(response.indexOf('\r\n\r\n') + 4)
    },
  }
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
    const ended = await waitForStatus(app, run.run_id, ['completed'])
    assert.equal(ended.output, 'hello')
  })

  it('waits for the end with wait=true and records what produced the run', async (t) => {
    // Echo pauses before each word, so a run lasts a while and its duration is not 0.
    const { app } = await buildTestApp(t, { env: { ECHO_DELAY_MS: '20' } })
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
    assert.equal(run.duration_ms, Date.parse(run.ended_at) - Date.parse(run.started_at))
  })

  it('runs an echo run it waits for in few statements: its row and first events, its end and last events', async (t) => {
    const log = new QueryLog()
    // Nothing else reads the runs table meanwhile (no idle polling, no reaper).
    const { app } = await buildTestApp(t, { plugins: [log], env: { RUN_POLL_INTERVAL_MS: '3600000', RUN_REAPER_INTERVAL_MS: '3600000' } })
    await create(app, { input: 'warm up', wait: true })
    // The reaper's first sweep, at start, is over by now.
    await new Promise((resolve) => setTimeout(resolve, 200))
    const records = await log.during(async () => assert.equal((await create(app, { input: 'count my statements', wait: true })).status, 'completed'))
    const onRuns = records.filter((r) => touches(r, 'runs') || touches(r, 'run_events'))
    const statements = onRuns.map((r) => `${r.kind} ${['runs', 'run_events'].filter((table) => touches(r, table)).join(' ')}`)
    if (testDialect() === 'postgres') {
      // Each write stores the run and its events in one statement (no transaction needed).
      assert.deepEqual(statements, ['InsertQueryNode runs run_events', 'RawNode runs'])
      assert.match(onRuns[1]!.node, /insert into run_events/)
    } else {
      assert.deepEqual(statements, ['InsertQueryNode runs', 'InsertQueryNode run_events', 'UpdateQueryNode runs', 'InsertQueryNode run_events'])
    }
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

  it('answers concurrent creates with one Idempotency-Key with one and the same run', async (t) => {
    const { app } = await buildTestApp(t)
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        app.inject({ method: 'POST', url: '/api/runs', payload: { input: 'once', ai_provider: 'echo' }, headers: { 'idempotency-key': 'k-race' } }),
      ),
    )
    assert.deepEqual(
      responses.map((res) => res.statusCode),
      responses.map(() => 202),
      responses.map((res) => res.body).join('\n'),
    )
    const ids = new Set(responses.map((res) => res.json().run_id))
    assert.equal(ids.size, 1)
    assert.equal((await app.inject({ url: '/api/runs' })).json().total, 1)
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
    // queued, started, then the first word: some output exists to keep.
    await waitFor(async () => (await getRun(app, run.run_id)).last_seq >= 3, 10_000, 'the first word was streamed')
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

  it('leaves a finished run as it is, to the last column', async (t) => {
    const { app, deps } = await buildTestApp(t)
    const done = await create(app, { input: 'all done', wait: true })
    const row = () => deps.database.db.selectFrom('runs').selectAll().where('id', '=', done.run_id).executeTakeFirstOrThrow()
    const stored = await row()
    const read = await getRun(app, done.run_id)
    assert.deepEqual(read, done)
    const res = await app.inject({ method: 'POST', url: `/api/runs/${done.run_id}/cancel` })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), done)
    const bulk = await app.inject({ method: 'POST', url: '/api/runs/cancel', payload: { run_ids: [done.run_id] } })
    assert.deepEqual(bulk.json().cancelled, [], 'bulk cancel only touches active runs')
    assert.deepEqual(await row(), stored, 'the stored run did not change (cancel_requested, updated_at, …)')
    assert.deepEqual(await getRun(app, done.run_id), done)
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
    const ended = await waitForStatus(app, run.run_id, ['timed_out', 'completed', 'failed'])
    assert.equal(ended.status, 'timed_out')
    assert.equal(ended.exit_code, 124)
    assert.ok(ended.output.length > 0 && ended.output.length < TEN_WORDS.length)
  })

  it('answers a wait that outlasts wait_timeout_ms with 202 and the run as it is', async (t) => {
    const { app } = await slowApp(t)
    const res = await app.inject({
      method: 'POST',
      url: '/api/runs',
      payload: { input: TEN_WORDS, ai_provider: 'echo', wait: true, wait_timeout_ms: 100 },
    })
    assert.equal(res.statusCode, 202)
    assert.ok(['queued', 'running'].includes(res.json().status), res.json().status)
    await app.inject({ method: 'POST', url: `/api/runs/${res.json().run_id}/cancel` })
  })

  it('rejects a second message while a conversation has an active run (policy reject)', async (t) => {
    const { app } = await slowApp(t)
    const first = await create(app, { input: TEN_WORDS, conversation_id: 'busy' })
    const res = await app.inject({ method: 'POST', url: '/api/runs', payload: { input: 'me too', ai_provider: 'echo', conversation_id: 'busy' } })
    assert.equal(res.statusCode, 409)
    assert.match(res.json().detail, /already in progress in conversation 'busy'/)
    await app.inject({ method: 'POST', url: `/api/runs/${first.run_id}/cancel` })
  })

  it('counts a queued run as active: a second run in its conversation is refused while the first waits (policy reject)', async (t) => {
    const { app } = await buildTestApp(t, { env: { ECHO_DELAY_MS: '600000', RUN_CONCURRENCY: '1', SHUTDOWN_TIMEOUT_MS: '50' } })
    const busy = await create(app, { input: 'occupies the only worker' })
    const first = await create(app, { input: 'waits its turn', conversation_id: 'waiting' })
    assert.equal(first.status, 'queued')
    const res = await app.inject({ method: 'POST', url: '/api/runs', payload: { input: 'me too', ai_provider: 'echo', conversation_id: 'waiting' } })
    assert.equal(res.statusCode, 409, res.body)
    assert.match(res.json().detail, /already in progress in conversation 'waiting'/)
    assert.equal((await getRun(app, first.run_id)).status, 'queued')
    assert.equal((await app.inject({ url: '/api/runs?conversation_id=waiting' })).json().total, 1)
    await app.inject({ method: 'POST', url: '/api/runs/cancel', payload: { run_ids: [busy.run_id, first.run_id] } })
  })

  it('runs a second message after the first (policy enqueue)', async (t) => {
    const { app } = await slowApp(t, { RUN_CONVERSATION_POLICY: 'enqueue' })
    const first = await create(app, { input: 'one two three', conversation_id: 'line' })
    const second = await create(app, { input: 'four five', conversation_id: 'line' })
    const secondDone = await waitForStatus(app, second.run_id, ['completed'])
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

  it('resumes from Last-Event-ID when ?after= names another cursor, and from ?after= when the header is unusable', async (t) => {
    const { app } = await buildTestApp(t)
    const run = await create(app, { input: 'a b c', wait: true })
    const ids = async (url: string, lastEventId: string) =>
      [...(await app.inject({ url, headers: { 'last-event-id': lastEventId } })).body.matchAll(/^id: (\d+)$/gm)].map((m) => m[1])
    assert.deepEqual(await ids(`/api/runs/${run.run_id}/events?after=1`, '3'), ['4', '5'], 'the header wins over an earlier ?after=')
    assert.deepEqual(await ids(`/api/runs/${run.run_id}/events?after=4`, '2'), ['3', '4', '5'], 'the header wins over a later ?after=')
    assert.deepEqual(await ids(`/api/runs/${run.run_id}/events?after=4`, 'not-a-number'), ['5'])
  })

  it('delivers a live run to a reader that drops and reconnects, losing and duplicating nothing', { timeout: 30_000 }, async (t) => {
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

  it('sends the configured retry hint first, then heartbeats again and again while a run is quiet', { timeout: 30_000 }, async (t) => {
    const { app } = await buildTestApp(t, {
      env: { ECHO_DELAY_MS: '600000', SSE_HEARTBEAT_MS: '50', SSE_RETRY_MS: '4321', SHUTDOWN_TIMEOUT_MS: '50' },
    })
    const base = await listen(app)
    const run = await create(app, { input: 'never says a word' })
    const session = await openSse(`${base}/api/runs/${run.run_id}/events`)
    t.after(() => session.abort())
    const heartbeats = (frames: SseFrame[]) => frames.filter((f) => f.comment === 'heartbeat').length
    await session.until((frames) => heartbeats(frames) >= 3)
    assert.deepEqual(session.frames[0], { data: '', retry: 4321 }, 'the retry hint comes first, as configured')
    assert.deepEqual(
      eventFrames(session.frames).map((f) => f.event),
      ['run.queued', 'run.started'],
      'nothing but heartbeats while the run is quiet',
    )
    await app.inject({ method: 'POST', url: `/api/runs/${run.run_id}/cancel` })
    await session.until((frames) => eventFrames(frames).some((f) => f.event === 'run.cancelled'))
  })

  it('drops a reader that stops reading while another reader gets every event to the end', { timeout: 120_000 }, async (t) => {
    // 8 MB of text, more than the kernel buffers for a reader that reads nothing; then the CLI waits.
    const chunk = `${'x'.repeat(32_767)} `
    const chunks = 256
    const cli = fakeCliDir(t).flood(chunk, chunks)
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-sse-slow-'))
    t.after(() => rmSync(cwd, { recursive: true, force: true }))
    const { app } = await buildTestApp(t, {
      env: {
        GEMINI_COMMAND: cli.command,
        CLI_KILL_GRACE_MS: '100',
        RUN_CONCURRENCY: '1',
        ECHO_DELAY_MS: '600000',
        SSE_MAX_BUFFERED_BYTES: '262144',
        SLOW_CLIENT_STALL_MS: '200',
      },
    })
    const base = await listen(app)
    // The only worker is busy, so the flood waits queued until both readers are connected.
    const blocker = await create(app, { input: 'occupies the only worker' })
    const flood = await create(app, { input: 'write a lot', ai_provider: 'gemini', cwd })
    assert.equal(flood.status, 'queued')
    const url = `${base}/api/runs/${flood.run_id}/events`
    const fast = await openSse(url)
    t.after(() => fast.abort())
    await fast.until((frames) => eventFrames(frames).some((f) => f.event === 'run.queued'))
    const slow = await openStalledReader(url)
    t.after(() => slow.socket.destroy())
    const connections = () => new Promise<number>((resolve, reject) => app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))))
    assert.equal(await connections(), 2)

    await app.inject({ method: 'POST', url: `/api/runs/${blocker.run_id}/cancel` })
    const textOf = (frames: SseFrame[]) =>
      eventFrames(frames)
        .filter((f) => f.event === 'text.delta')
        .map((f) => JSON.parse(f.data).text)
        .join('')
    let streamed = 0
    let counted = 0
    await fast.until((frames) => {
      for (; counted < frames.length; counted++)
        if (frames[counted]!.event === 'text.delta') streamed += JSON.parse(frames[counted]!.data).text.length
      return streamed === chunk.length * chunks
    }, 60_000)
    await waitFor(async () => (await connections()) === 1, 10_000, 'the server closed the slow reader’s connection')

    await app.inject({ method: 'POST', url: `/api/runs/${flood.run_id}/cancel` })
    await fast.done
    const everything = eventFrames(fast.frames)
    assert.deepEqual(
      everything.map((f) => Number(f.id)),
      everything.map((_, i) => i + 1),
      'the fast reader got every event, in order',
    )
    assert.equal(everything.at(-1)!.event, 'run.cancelled')
    assert.equal(textOf(fast.frames), chunk.repeat(chunks))

    // The slow reader reads again: it gets what was already in flight, then the end of the connection.
    const received = await slow.readToEnd()
    const ids = [...received.matchAll(/^id: (\d+)\nevent: [^\n]+\ndata: [^\n]*\n\n/gm)].map((m) => Number(m[1]))
    assert.ok(ids.length > 0, 'the slow reader was streamed to before it stalled')
    assert.deepEqual(
      ids,
      ids.map((_, i) => i + 1),
    )
    assert.ok(ids.at(-1)! < everything.length, `dropped before the end (it got ${ids.length} of ${everything.length} events)`)

    // It resumes with Last-Event-ID and loses nothing.
    const resumed = await openSse(url, { headers: { 'last-event-id': String(ids.at(-1)) } })
    await resumed.done
    assert.deepEqual(
      [...ids, ...eventFrames(resumed.frames).map((f) => Number(f.id))],
      everything.map((f) => Number(f.id)),
    )
  })

  it('answers 404 for an unknown run', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject({ url: '/api/runs/nope/events' })
    assert.equal(res.statusCode, 404)
    assert.equal(res.json().detail, "Run 'nope' not found")
  })
})
