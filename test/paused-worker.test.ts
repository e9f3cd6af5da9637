// A gateway that stops answering (paused, swapped out, a long GC) while it runs a run: another
// gateway on the same database reaps the run when its lease lapses. When the paused one wakes up,
// its worker must not add anything after the run's final event.
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { startGateway } from './helpers/gateway-process.js'
import { createTestDatabase, testDialect, urlWithSchema } from './helpers/test-database.js'

const SLOW = { ECHO_DELAY_MS: '100', RUN_COALESCE_MS: '0', RUN_LEASE_MS: '600', RUN_REAPER_INTERVAL_MS: '100', LOG_LEVEL: 'warn' }

/** The database's environment, and how to drop it (only once no gateway holds it: a paused one holds its locks). */
async function databaseEnv(): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (testDialect() === 'sqlite') {
    return { env: { DATABASE_URL: `sqlite:${path.join(mkdtempSync(path.join(tmpdir(), 'gw-paused-')), 'gw.db')}` }, drop: async () => {} }
  }
  const db = await createTestDatabase()
  return { env: { DATABASE_URL: urlWithSchema(db.url, db.schema!) }, drop: () => db.drop() }
}

async function runOf(url: string, runId: string): Promise<{ status: string; last_seq: number }> {
  return (await fetch(`${url}/api/runs/${runId}`)).json() as Promise<{ status: string; last_seq: number }>
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('a gateway paused past its run’s lease', () => {
  it('writes nothing after the final event another gateway wrote for the run', { timeout: 60_000 }, async (t) => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-paused-'))
    const database = await databaseEnv()
    const env = { ...SLOW, ...database.env }
    const worker = await startGateway({ cwd, env })
    let reaper: Awaited<ReturnType<typeof startGateway>> | undefined
    t.after(async () => {
      worker.child.kill('SIGCONT')
      await worker.stop('SIGKILL')
      await reaper?.stop()
      await database.drop()
    })
    // Created while the worker is the only gateway, the run executes there (any gateway may claim a queued
    // run); at 100 ms a word it outlasts the reaper's start.
    const words = Array.from({ length: 400 }, (_, i) => `w${i}`).join(' ')
    const created = (await (
      await fetch(`${worker.url}/api/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ai_provider: 'echo', input: words }),
      })
    ).json()) as { run_id: string }
    await until(
      () => runOf(worker.url, created.run_id),
      (run) => run.status === 'running',
      'the worker runs it',
    )
    reaper = await startGateway({ cwd, env: { ...env, RUN_CONCURRENCY: '1' } })
    await until(
      () => runOf(reaper.url, created.run_id),
      (run) => run.status === 'running' && run.last_seq >= 4,
      'a few words',
    )

    worker.child.kill('SIGSTOP')
    const reaped = await until(
      () => runOf(reaper.url, created.run_id),
      (run) => run.status !== 'running',
      'the reaper',
    )
    assert.equal(reaped.status, 'failed')
    worker.child.kill('SIGCONT')
    // Long enough for the woken worker to go on writing words if it could.
    await new Promise((resolve) => setTimeout(resolve, 1500))

    const after = await runOf(reaper.url, created.run_id)
    assert.equal(after.last_seq, reaped.last_seq, 'the run’s event count did not move after it ended')
    const events = await (await fetch(`${reaper.url}/api/runs/${created.run_id}/events`)).text()
    const names = [...events.matchAll(/^event: (.+)$/gm)].map((m) => m[1])
    assert.equal(names.at(-1), 'run.failed', 'the final event is the last one')
    assert.equal(names.filter((name) => name === 'run.failed').length, 1)
  })
})
