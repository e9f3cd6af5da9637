// The reaper, running in the background as it does in production: runs whose worker stopped
// renewing its lease are ended, and event logs are trimmed once their run has been over for
// longer than the retention. Leases and retention follow a manual clock; the reaper sweeps every
// few milliseconds and the tests wait for what it does, never calling it themselves.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, ManualClock, restartableTestApp, type TestAppOptions } from '../../test/helpers/build-test-app.js'
import { fakeCliDir } from '../../test/helpers/fake-cli.js'
import { waitFor } from '../../test/helpers/wait.js'
import type { Deps } from '../deps.js'
import { toJson } from '../platform/db/json.js'
import type { RunEvent } from './run-events.js'
import { LocalClusterChannel } from '../platform/events/cluster-channel.js'
import { RunEventHub } from './run-event-hub.js'
import { RunEventLog } from './run-event-log.js'
import { RunStreams } from './run-stream.js'
import { KyselyRunsRepo } from './runs.repo.js'

const HOUR = 60 * 60_000
/** The reaper sweeps every 20 ms; leases are long enough that no worker renews one during a test. */
const FAST_REAPER = { RUN_REAPER_INTERVAL_MS: '20', RUN_LEASE_MS: String(HOUR), SHUTDOWN_TIMEOUT_MS: '50' }
/** Upper bound of every wait on the reaper (it sweeps every 20 ms). */
const REAPED_WITHIN_MS = 10_000

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

async function waitForStatus(app: FastifyInstance, runId: string, status: string) {
  await waitFor(async () => (await getRun(app, runId)).status === status, REAPED_WITHIN_MS, `run ${runId} is ${status}`)
  return getRun(app, runId)
}

/**
 * A run another gateway process was executing when it died: `running`, held by a worker that is
 * gone, its lease running out at `leaseExpiresAt`. No worker in this process knows it.
 */
async function orphanedRun(deps: Deps, leaseExpiresAt: number): Promise<string> {
  const id = randomBytes(12).toString('hex')
  const at = deps.clock.now()
  await deps.database.db
    .insertInto('runs')
    .values({
      id,
      status: 'running',
      source: 'api',
      executor: 'echo',
      provider: 'echo',
      input: 'left behind by a dead gateway',
      options: toJson({}),
      timeout_ms: HOUR,
      worker_id: 'dead-host-4242-0badc0',
      lease_expires_at: leaseExpiresAt,
      cancel_requested: false,
      is_deleted: false,
      created_at: at,
      started_at: at,
      updated_at: at,
    })
    .execute()
  return id
}

const finalEvents = (body: string) => [...body.matchAll(/^event: (run\.(?:completed|failed|cancelled|timed_out))$/gm)].map((m) => m[1])

describe('the background reaper', () => {
  it('ends a run whose worker died as failed once its lease lapses, without being asked', { timeout: 30_000 }, async (t) => {
    const { app, deps } = await buildTestApp(t, { env: { RUN_REAPER_INTERVAL_MS: '25' } })
    // The lease lapses after start-up, so only a later, periodic sweep can end the run.
    const runId = await orphanedRun(deps, deps.clock.now() + 200)
    assert.equal((await getRun(app, runId)).status, 'running')
    const ended = await waitForStatus(app, runId, 'failed')
    assert.deepEqual([ended.exit_code, ended.output], [1, ''])
    assert.match(ended.error, /lease expired/)
    assert.deepEqual(finalEvents((await app.inject({ url: `/api/runs/${runId}/events` })).body), ['run.failed'])
  })
})

describe('event retention', () => {
  it('keeps a run’s event log for 24 h after it ended by default, then deletes it and keeps the run', { timeout: 30_000 }, async (t) => {
    const clock = new ManualClock()
    const { app, deps } = await buildTestApp(t, { clock, env: FAST_REAPER })
    const oldest = await finishedRun(app, 'oldest words')
    clock.advance(1)
    const old = await finishedRun(app, 'old words')
    clock.advance(23 * HOUR)
    const recent = await finishedRun(app, 'recent words')
    assert.equal(await storedEvents(deps, old.run_id), 5)

    // 24 h after `oldest` ended, 1 ms before `old` has been over for as long.
    clock.advance(HOUR)
    await waitFor(async () => (await storedEvents(deps, oldest.run_id)) === 0, REAPED_WITHIN_MS, 'the oldest log is deleted')
    assert.equal(await storedEvents(deps, old.run_id), 5, 'still there just before 24 h')
    assert.equal(await storedEvents(deps, recent.run_id), 5)

    clock.advance(HOUR)
    await waitFor(async () => (await storedEvents(deps, old.run_id)) === 0, REAPED_WITHIN_MS, 'the old log is deleted')
    assert.equal(await storedEvents(deps, recent.run_id), 5, 'younger logs stay')
    const run = await getRun(app, old.run_id)
    assert.deepEqual([run.status, run.output, run.last_seq], ['completed', 'old words', 5], 'the run itself stays')
  })

  // The rebuilt final event used to be taken for an event past a gap, and the empty log was
  // re-read forever (over SQLite a spinning event loop). The log here gives up after a few
  // reads, so a regression fails instead of hanging.
  it('still tells a reader how a run ended after its log was deleted', { timeout: 30_000 }, async (t) => {
    const clock = new ManualClock()
    const { app, deps } = await buildTestApp(t, { clock, env: FAST_REAPER })
    const old = await finishedRun(app, 'old words')
    clock.advance(25 * HOUR)
    await waitFor(async () => (await storedEvents(deps, old.run_id)) === 0, REAPED_WITHIN_MS, 'the log is deleted')
    const repo = new KyselyRunsRepo(deps.database.db, deps.database.dialect)
    const log = new RunEventLog(deps.database.db)
    let reads = 0
    const boundedLog = Object.assign(Object.create(log) as RunEventLog, {
      readAfter: (runId: string, afterSeq: number, limit?: number) => {
        if (++reads > 20) throw new Error(`the reader re-read the empty log ${reads} times`)
        return log.readAfter(runId, afterSeq, limit)
      },
    })
    const hub = new RunEventHub(new LocalClusterChannel())
    const streams = new RunStreams({ log: boundedLog, hub, repo, recorder: { recentlyEnded: () => undefined } })
    const delivered: RunEvent[] = []
    const outcome = await new Promise<unknown>((resolve) => {
      streams.follow(old.run_id, 0, { onEvents: (events) => delivered.push(...events), onEnd: () => resolve('ended'), onError: resolve })
    })
    assert.equal(outcome, 'ended')
    assert.deepEqual(
      delivered.map((e) => [e.type, e.seq]),
      [['run.completed', 5]],
    )
  })
})

describe('lapsed leases', () => {
  /**
   * A run stuck running with some streamed text: a claude CLI that prints one line and then
   * waits forever. Its worker is alive but, on the manual clock, renews nothing.
   */
  async function stuckRun(t: TestContext, start: (options: TestAppOptions) => ReturnType<typeof buildTestApp>) {
    const cli = fakeCliDir(t).slow()
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-reaper-'))
    t.after(() => rmSync(cwd, { recursive: true, force: true }))
    const clock = new ManualClock()
    const built = await start({ clock, env: { ...FAST_REAPER, CLAUDE_COMMAND: cli.command, CLI_KILL_GRACE_MS: '100' } })
    const created = await built.app.inject({ method: 'POST', url: '/api/runs', payload: { input: 'never finishes', ai_provider: 'claude', cwd } })
    assert.equal(created.statusCode, 202, created.body)
    // Running at once, or queued until the pool's first claim at start-up has looked for older runs.
    const run = await waitForStatus(built.app, created.json().run_id, 'running')
    // queued, started, the raw assistant event, then its text: the CLI has spoken.
    await waitFor(async () => (await getRun(built.app, run.run_id)).last_seq >= 4, 15_000, 'the CLI printed its first line')
    return { ...built, clock, run }
  }

  it('leaves a live lease alone, ends a lapsed one as failed with what it had streamed, exactly once', { timeout: 60_000 }, async (t) => {
    const gateway = await restartableTestApp(t)
    const { app, deps, clock, run } = await stuckRun(t, (options) => gateway.start(options))

    // A sweep has run once the dead gateway's run is ended; the live run is still going.
    await waitForStatus(app, await orphanedRun(deps, clock.now() - 1), 'failed')
    assert.equal((await getRun(app, run.run_id)).status, 'running', 'a live lease is left alone')

    clock.advance(HOUR + 1)
    const ended = await waitForStatus(app, run.run_id, 'failed')
    assert.deepEqual([ended.output, ended.exit_code], ['started, now waiting', 1])
    assert.match(ended.error, /lease expired/)
    const replay = async (a: FastifyInstance) => finalEvents((await a.inject({ url: `/api/runs/${run.run_id}/events` })).body)
    assert.deepEqual(await replay(app), ['run.failed'])

    // Later sweeps leave the ended run alone.
    await waitForStatus(app, await orphanedRun(deps, clock.now() - 1), 'failed')
    assert.deepEqual(await getRun(app, run.run_id), ended)
    assert.deepEqual(await replay(app), ['run.failed'])

    // The worker that lost its lease cannot end the run a second time when its gateway stops.
    await deps.close(0)
    const { app: next } = await gateway.start()
    assert.deepEqual(await getRun(next, run.run_id), ended)
    assert.deepEqual(await replay(next), ['run.failed'])
  })

  it('ends a lapsed run whose cancellation was requested as cancelled', { timeout: 60_000 }, async (t) => {
    const { app, deps, clock, run } = await stuckRun(t, (options) => buildTestApp(t, options))
    // The cancel request reached the database, but the worker died before seeing it.
    await deps.database.db.updateTable('runs').set({ cancel_requested: true }).where('id', '=', run.run_id).execute()
    clock.advance(HOUR + 1)
    const ended = await waitForStatus(app, run.run_id, 'cancelled')
    assert.deepEqual([ended.output, ended.error], ['started, now waiting', null])
  })
})

describe('stopping the gateway', () => {
  it('ends the runs still going as failed and leaves queued runs for the next start', { timeout: 30_000 }, async (t) => {
    const gateway = await restartableTestApp(t)
    const { app, deps } = await gateway.start({ env: { ECHO_DELAY_MS: '600000', RUN_CONCURRENCY: '1' } })
    const slow = (await app.inject({ method: 'POST', url: '/api/runs', payload: { input: 'slow', ai_provider: 'echo' } })).json()
    const running = await waitForStatus(app, slow.run_id, 'running')
    const waiting = (await app.inject({ method: 'POST', url: '/api/runs', payload: { input: 'later', ai_provider: 'echo' } })).json()
    assert.equal(waiting.status, 'queued')
    await deps.close(0)

    const { app: next } = await gateway.start()
    const stopped = await getRun(next, running.run_id)
    assert.deepEqual([stopped.status, stopped.error], ['failed', 'the gateway stopped before the run finished'])
    const ran = await waitForStatus(next, waiting.run_id, 'completed')
    assert.equal(ran.output, 'later', 'the next start ran it')
  })
})
