// Runs when gateway processes die or several share one PostgreSQL.
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { WebSocket } from 'ws'
import { startGateway, type RunningGateway } from './helpers/gateway-process.js'
import { eventFrames, openSse } from './helpers/sse-client.js'
import { waitFor } from './helpers/wait.js'
import { createTestDatabase, testDialect, urlWithSchema } from './helpers/test-database.js'

const TEN_WORDS = 'one two three four five six seven eight nine ten'
const HUNDRED_WORDS = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ')
const SLOW_RUNS = { ECHO_DELAY_MS: '150', RUN_COALESCE_MS: '0', RUN_LEASE_MS: '1000', RUN_REAPER_INTERVAL_MS: '200', LOG_LEVEL: 'warn' }

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field in assertions
async function json(res: Response): Promise<any> {
  return res.json()
}

async function databaseEnv(t: { after(fn: () => Promise<void>): void }): Promise<Record<string, string>> {
  if (testDialect() === 'sqlite') return { DATABASE_URL: `sqlite:${path.join(mkdtempSync(path.join(tmpdir(), 'gw-runs-')), 'gw.db')}` }
  const db = await createTestDatabase()
  t.after(() => db.drop())
  return { DATABASE_URL: urlWithSchema(db.url, db.schema!) }
}

async function startRun(gateway: RunningGateway, body: Record<string, unknown>) {
  const res = await fetch(`${gateway.url}/api/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ai_provider: 'echo', ...body }),
  })
  assert.equal(res.status, 202)
  return json(res)
}

async function pollRun(gateway: RunningGateway, runId: string, until: (run: { status: string; output: string }) => boolean) {
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field in assertions
  let run: any
  await waitFor(async () => until((run = await json(await fetch(`${gateway.url}/api/runs/${runId}`)))), 20_000, `run ${runId} got there`)
  return run
}

describe('a gateway killed mid-run', () => {
  it('leaves no run running: after restart the reaper ends it failed with its partial output', { timeout: 90_000 }, async (t) => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-crash-'))
    const env = { ...SLOW_RUNS, ...(await databaseEnv(t)) }
    const first = await startGateway({ cwd, env })
    t.after(() => first.stop('SIGKILL'))
    const run = await startRun(first, { input: TEN_WORDS })
    await pollRun(first, run.run_id, (r) => r.status === 'running' && r.output === '')
    // Let a few words reach the log, then kill the process without any chance to clean up.
    const stream = await openSse(`${first.url}/api/runs/${run.run_id}/events`)
    await stream.until((frames) => eventFrames(frames).filter((f) => f.event === 'text.delta').length >= 2)
    assert.equal(await first.stop('SIGKILL'), null)

    const second = await startGateway({ cwd, env })
    t.after(() => second.stop('SIGKILL'))
    try {
      const ended = await pollRun(second, run.run_id, (r) => r.status !== 'running')
      assert.equal(ended.status, 'failed')
      assert.match(ended.error, /lease expired/)
      assert.ok(ended.output.length > 0, 'streamed words are kept')
      assert.ok(TEN_WORDS.startsWith(ended.output))
      const events = await fetch(`${second.url}/api/runs/${run.run_id}/events`).then((r) => r.text())
      assert.equal([...events.matchAll(/^event: run\.failed$/gm)].length, 1, 'exactly one final event')
    } finally {
      await second.stop()
    }
  })

  it('SIGTERM lets a short run finish instead of abandoning it', { timeout: 90_000 }, async (t) => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-term-'))
    const env = { ...SLOW_RUNS, ...(await databaseEnv(t)) }
    const gateway = await startGateway({ cwd, env })
    t.after(() => gateway.stop('SIGKILL'))
    const run = await startRun(gateway, { input: 'three short words' })
    await pollRun(gateway, run.run_id, (r) => r.status === 'running')
    assert.equal(await gateway.stop('SIGTERM'), 0)
    const again = await startGateway({ cwd, env })
    t.after(() => again.stop('SIGKILL'))
    try {
      const ended = await json(await fetch(`${again.url}/api/runs/${run.run_id}`))
      assert.equal(ended.status, 'completed')
      assert.equal(ended.output, 'three short words')
    } finally {
      await again.stop()
    }
  })
})

describe('several gateways on one PostgreSQL', { skip: testDialect() !== 'postgres' }, () => {
  it('any instance streams and cancels a run another instance executes', { timeout: 90_000 }, async (t) => {
    const env = { ...SLOW_RUNS, ...(await databaseEnv(t)) }
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-multi-'))
    const [a, b] = await Promise.all([startGateway({ cwd, env }), startGateway({ cwd, env })])
    t.after(() => Promise.all([a.stop('SIGKILL'), b.stop('SIGKILL')]).then(() => {}))
    try {
      const finished = await startRun(a, { input: 'four words in order' })
      const stream = await openSse(`${b.url}/api/runs/${finished.run_id}/events`)
      await stream.done
      const text = eventFrames(stream.frames)
        .filter((f) => f.event === 'text.delta')
        .map((f) => JSON.parse(f.data).text)
        .join('')
      assert.equal(text, 'four words in order')

      const long = await startRun(a, { input: TEN_WORDS })
      await pollRun(b, long.run_id, (r) => r.status === 'running' && r.output === '')
      const live = await openSse(`${b.url}/api/runs/${long.run_id}/events`)
      await live.until((frames) => eventFrames(frames).some((f) => f.event === 'text.delta'))
      const cancelled = await json(await fetch(`${b.url}/api/runs/${long.run_id}/cancel`, { method: 'POST' }))
      assert.equal(cancelled.status, 'cancelled')
      await live.done
      assert.equal(eventFrames(live.frames).at(-1)!.event, 'run.cancelled')
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })

  it('kill -9 of the instance executing runs: the survivor ends them failed with the reason and loses nothing written', {
    timeout: 90_000,
  }, async (t) => {
    const env = { ...SLOW_RUNS, ...(await databaseEnv(t)) }
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-kill-'))
    const victim = await startGateway({ cwd, env })
    t.after(() => victim.stop('SIGKILL').then(() => {}))
    // Runs go to whichever gateway claims them first: created while the victim is the only one, they run
    // there; at 150 ms a word they outlast the survivor's start.
    const screenplay = await json(
      await fetch(`${victim.url}/api/screenplays`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Written before the crash', content: '# kept' }),
      }),
    )
    const runs = await Promise.all([1, 2, 3].map(() => startRun(victim, { input: HUNDRED_WORDS })))
    const survivor = await startGateway({ cwd, env })
    t.after(() => survivor.stop('SIGKILL').then(() => {}))
    try {
      const seen = new Map<string, string>()
      for (const run of runs) {
        const stream = await openSse(`${survivor.url}/api/runs/${run.run_id}/events`)
        const frames = await stream.until((all) => eventFrames(all).filter((f) => f.event === 'text.delta').length >= 2)
        stream.abort()
        const text = eventFrames(frames)
          .filter((f) => f.event === 'text.delta')
          .map((f) => JSON.parse(f.data).text)
          .join('')
        seen.set(run.run_id, text)
      }
      assert.equal(await victim.stop('SIGKILL'), null)

      for (const run of runs) {
        const ended = await pollRun(survivor, run.run_id, (r) => r.status !== 'running')
        assert.equal(ended.status, 'failed')
        assert.match(ended.error, /lease expired/)
        assert.ok(ended.output.startsWith(seen.get(run.run_id)!), 'the words streamed before the crash are kept')
        const events = await fetch(`${survivor.url}/api/runs/${run.run_id}/events`).then((r) => r.text())
        assert.equal([...events.matchAll(/^event: run\.failed$/gm)].length, 1, 'exactly one final event')
        assert.ok(events.includes(seen.get(run.run_id)!.split(' ')[0]!), 'the events written before the crash are there')
      }
      const kept = await json(await fetch(`${survivor.url}/api/screenplays/${screenplay.id}`))
      assert.equal(kept.name, 'Written before the crash')
    } finally {
      await Promise.all([victim.stop('SIGKILL'), survivor.stop()])
    }
  })

  it('a browser on one instance sees the runs and watcher events of the other', { timeout: 90_000 }, async (t) => {
    const env = { ...SLOW_RUNS, ...(await databaseEnv(t)), INTERNAL_TOKEN: 'a-long-shared-secret-xyz' }
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-multi-ws-'))
    const [a, b] = await Promise.all([startGateway({ cwd, env }), startGateway({ cwd, env })])
    t.after(() => Promise.all([a.stop('SIGKILL'), b.stop('SIGKILL')]).then(() => {}))
    const browser = new WebSocket(`${b.url.replace('http', 'ws')}/ws/gamification`)
    try {
      const frames: Array<{ type: string; data: Record<string, unknown> }> = []
      browser.on('message', (raw) => frames.push(JSON.parse(raw.toString())))
      await new Promise((resolve, reject) => browser.once('open', resolve).once('error', reject))
      const run = await startRun(a, { input: 'seen elsewhere', conversation_id: 'c-multi' })
      await pollRun(a, run.run_id, (r) => r.status === 'completed')
      const watcher = await fetch(`${a.url}/api/internal/task-event`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-internal-token': env.INTERNAL_TOKEN },
        body: JSON.stringify({ type: 'task_picked', data: { task_id: 'external-1' } }),
      })
      assert.equal(watcher.status, 200)
      await waitFor(
        () => frames.some((f) => f.type === 'task_completed') && frames.some((f) => f.type === 'task_picked' && f.data.task_id === 'external-1'),
        10_000,
        'the browser heard the run complete and the watcher event',
      )
      const completed = frames.find((f) => f.type === 'task_completed')
      assert.deepEqual(
        [completed?.data.task_id, completed?.data.conversation_id, completed?.data.result_summary],
        [run.run_id, 'c-multi', 'seen elsewhere'],
      )
      assert.equal(frames.filter((f) => f.type === 'task_completed').length, 1, 'once, not once per instance')
      assert.ok(
        frames.some((f) => f.type === 'task_picked' && f.data.task_id === 'external-1'),
        'the watcher event reached the other instance',
      )
    } finally {
      browser.terminate()
      await Promise.all([a.stop(), b.stop()])
    }
  })
})
