// The reaper: runs whose worker stopped renewing its lease are ended, and event logs are
// trimmed once their run has been over for longer than the retention. Time is a manual clock.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, ManualClock } from '../../test/helpers/build-test-app.js'
import type { Deps } from '../deps.js'
import type { RunEvent } from './run-events.js'
import { RunEventLog } from './run-event-log.js'
import { RunStreams } from './run-stream.js'
import { KyselyRunsRepo } from './runs.repo.js'

const HOUR = 60 * 60_000
/** No background sweeps or lease renewals during a test: it sweeps by hand. */
const QUIET = { RUN_REAPER_INTERVAL_MS: String(24 * HOUR), RUN_LEASE_MS: String(HOUR), SHUTDOWN_TIMEOUT_MS: '50' }

async function finishedRun(app: FastifyInstance, input: string) {
  const res = await app.inject({ method: 'POST', url: '/api/runs', payload: { input, ai_provider: 'echo', wait: true } })
  assert.equal(res.json().status, 'completed', res.body)
  return res.json()
}

async function storedEvents(deps: Deps, runId: string): Promise<number> {
  const row = await deps.database.db
    .selectFrom('run_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('run_id', '=', runId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

async function getRun(app: FastifyInstance, runId: string) {
  return (await app.inject({ url: `/api/runs/${runId}` })).json()
}

const finalEvents = (body: string) => [...body.matchAll(/^event: (run\.(?:completed|failed|cancelled|timed_out))$/gm)].map((m) => m[1])

describe('event retention', () => {
  it('keeps a run’s event log for 24 h after it ended by default, then deletes it and keeps the run', async (t) => {
    const clock = new ManualClock()
    const { app, deps } = await buildTestApp(t, { clock, env: QUIET })
    const old = await finishedRun(app, 'old words')
    clock.advance(23 * HOUR)
    const recent = await finishedRun(app, 'recent words')
    assert.equal(await storedEvents(deps, old.run_id), 5)

    clock.advance(HOUR - 1)
    await deps.engine.reaper.sweep()
    assert.equal(await storedEvents(deps, old.run_id), 5, 'still there just before 24 h')

    clock.advance(HOUR + 1)
    await deps.engine.reaper.sweep()
    assert.equal(await storedEvents(deps, old.run_id), 0, 'deleted once the run has been over for 24 h')
    assert.equal(await storedEvents(deps, recent.run_id), 5, 'younger logs stay')
    const run = await getRun(app, old.run_id)
    assert.deepEqual([run.status, run.output, run.last_seq], ['completed', 'old words', 5], 'the run itself stays')
  })

  // The rebuilt final event used to be taken for an event past a gap, and the empty log was
  // re-read forever (over SQLite a spinning event loop). The log here gives up after a few
  // reads, so a regression fails instead of hanging.
  it('still tells a reader how a run ended after its log was deleted', async (t) => {
    const clock = new ManualClock()
    const { app, deps } = await buildTestApp(t, { clock, env: QUIET })
    const old = await finishedRun(app, 'old words')
    clock.advance(25 * HOUR)
    await deps.engine.reaper.sweep()
    assert.equal(await storedEvents(deps, old.run_id), 0)
    const repo = new KyselyRunsRepo(deps.database.db, deps.database.dialect)
    const log = new RunEventLog(deps.database.db, repo)
    let reads = 0
    const boundedLog = Object.assign(Object.create(log) as RunEventLog, {
      readAfter: (runId: string, afterSeq: number, limit?: number) => {
        if (++reads > 20) throw new Error(`the reader re-read the empty log ${reads} times`)
        return log.readAfter(runId, afterSeq, limit)
      },
    })
    const streams = new RunStreams({ log: boundedLog, hub: deps.engine.hub, repo })
    const delivered: RunEvent[] = []
    const outcome = await new Promise<unknown>((resolve) => {
      streams.open(old.run_id, 0, { onEvents: (events) => delivered.push(...events), onEnd: () => resolve('ended'), onError: resolve })
    })
    assert.equal(outcome, 'ended')
    assert.deepEqual(
      delivered.map((e) => [e.type, e.seq]),
      [['run.completed', 5]],
    )
  })
})

describe('lapsed leases', () => {
  /** A run stuck running (its echo waits ten minutes per word) with some streamed text. */
  async function stuckRun(t: Parameters<typeof buildTestApp>[0]) {
    const clock = new ManualClock()
    const built = await buildTestApp(t, { clock, env: { ...QUIET, ECHO_DELAY_MS: '600000' } })
    const run = (await built.app.inject({ method: 'POST', url: '/api/runs', payload: { input: 'never finishes', ai_provider: 'echo' } })).json()
    assert.equal(run.status, 'running')
    await built.deps.engine.recorder.emit(run.run_id, [{ type: 'text.delta', data: { text: 'partial ' } }])
    return { ...built, clock, run }
  }

  it('ends a run whose lease lapsed as failed, with what it had streamed, exactly once', async (t) => {
    const { app, deps, clock, run } = await stuckRun(t)
    assert.equal(await deps.engine.reaper.sweep(), 0, 'a live lease is left alone')
    clock.advance(HOUR + 1)
    assert.equal(await deps.engine.reaper.sweep(), 1)
    assert.equal(await deps.engine.reaper.sweep(), 0, 'nothing left to reap')
    const ended = await getRun(app, run.run_id)
    assert.deepEqual([ended.status, ended.output, ended.exit_code], ['failed', 'partial ', 1])
    assert.match(ended.error, /lease expired/)
    const replay = await app.inject({ url: `/api/runs/${run.run_id}/events` })
    assert.deepEqual(finalEvents(replay.body), ['run.failed'])
    // The worker that lost its lease cannot end the run a second time when it stops.
    await deps.engine.stop(0)
    assert.equal((await getRun(app, run.run_id)).error, ended.error)
  })

  it('ends a lapsed run whose cancellation was requested as cancelled', async (t) => {
    const { app, deps, clock, run } = await stuckRun(t)
    // The cancel request reached the database, but the worker died before seeing it.
    await deps.database.db.updateTable('runs').set({ cancel_requested: true }).where('id', '=', run.run_id).execute()
    clock.advance(HOUR + 1)
    assert.equal(await deps.engine.reaper.sweep(), 1)
    const ended = await getRun(app, run.run_id)
    assert.deepEqual([ended.status, ended.output, ended.error], ['cancelled', 'partial ', null])
  })
})

describe('stopping the engine', () => {
  it('ends the runs still going as failed and leaves queued runs for the next start', async (t) => {
    const { app, deps } = await buildTestApp(t, { env: { ECHO_DELAY_MS: '600000', RUN_CONCURRENCY: '1' } })
    const running = (await app.inject({ method: 'POST', url: '/api/runs', payload: { input: 'slow', ai_provider: 'echo' } })).json()
    const waiting = (await app.inject({ method: 'POST', url: '/api/runs', payload: { input: 'later', ai_provider: 'echo' } })).json()
    await deps.engine.stop(0)
    const stopped = await getRun(app, running.run_id)
    assert.deepEqual([stopped.status, stopped.error], ['failed', 'the gateway stopped before the run finished'])
    assert.equal((await getRun(app, waiting.run_id)).status, 'queued')
  })
})
