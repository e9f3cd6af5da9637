// PostgreSQL goes away under load and comes back, as one gateway sees it (a TCP proxy between
// them is cut, then restored; the shared server keeps serving the other tests). The gateway is
// not restarted: it answers 503 meanwhile, /ready says it is not ready, every run in flight ends
// once the database is back, the outage is logged once, and its cluster channel reconnects.
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { WebSocket } from 'ws'
import { startGateway, type RunningGateway } from './helpers/gateway-process.js'
import { eventFrames, openSse, type SseFrame, type SseSession } from './helpers/sse-client.js'
import { startTcpProxy } from './helpers/tcp-proxy.js'
import { createTestDatabase, testDialect, urlWithSchema } from './helpers/test-database.js'
import { waitFor } from './helpers/wait.js'

const ENV = { ECHO_DELAY_MS: '50', RUN_COALESCE_MS: '0', RUN_LEASE_MS: '30000', RUN_REAPER_INTERVAL_MS: '200', LOG_LEVEL: 'info' }
// The lease outlasts the outage: a run nobody executes must not have its lease renewed by a live gateway.
const CLIENTS = 10

async function readyStatus(gateway: RunningGateway): Promise<number> {
  return (await fetch(`${gateway.url}/ready`)).status
}

function logLines(gateway: RunningGateway, pattern: RegExp): string[] {
  return gateway
    .logs()
    .split('\n')
    .filter((line) => pattern.test(line))
}

/** Clients looping `wait: true` runs until told to stop; counts their answers by status. */
function load(gateway: RunningGateway) {
  const statuses = new Map<number, number>()
  let stopping = false
  const loop = async () => {
    while (!stopping) {
      const res = await fetch(`${gateway.url}/api/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ai_provider: 'echo', input: 'one two three four', wait: true, wait_timeout_ms: 600_000 }),
      }).catch(() => null)
      // The gateway is gone (the test failed and killed it).
      if (!res) return
      await res.arrayBuffer()
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
      // A client backing off after a 503, as a real one would.
      if (res.status === 503) await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
  const loops = Array.from({ length: CLIENTS }, loop)
  return {
    count: (status: number) => statuses.get(status) ?? 0,
    async stop() {
      stopping = true
      await Promise.all(loops)
    },
  }
}

/** Follows a run's events to its final one, reconnecting with Last-Event-ID whenever the stream closes early. */
async function readToEnd(url: string, first: SseSession, timeoutMs: number): Promise<SseFrame[]> {
  const frames: SseFrame[] = []
  const deadline = Date.now() + timeoutMs
  let session: SseSession | null = first
  for (;;) {
    if (session) {
      const current = session
      await waitFor(() => ended(current) || Date.now() > deadline, timeoutMs + 1000, 'the stream ends')
      current.abort()
      frames.push(...eventFrames(current.frames))
    }
    if (/^run\.(completed|failed|cancelled|timed_out)$/.test(frames.at(-1)?.event ?? '')) return frames
    if (Date.now() > deadline) throw new Error(`the reader did not get the whole run: ${JSON.stringify(frames.map((f) => f.id))}`)
    // A client backing off before it reconnects.
    await new Promise((resolve) => setTimeout(resolve, 100))
    session = await openSse(url, { headers: { 'last-event-id': frames.at(-1)?.id ?? '0' } }).catch(() => null)
    if (session && session.status !== 200) session = null
  }
}

const endedSessions = new WeakSet<SseSession>()
function ended(session: SseSession): boolean {
  if (!endedSessions.has(session)) void session.done.then(() => endedSessions.add(session))
  return endedSessions.has(session)
}

describe('a PostgreSQL outage', { skip: testDialect() !== 'postgres' }, () => {
  it('is survived without a restart: 503 and not ready meanwhile, runs in flight end, logged once, cluster channel back', {
    timeout: 180_000,
  }, async (t) => {
    const db = await createTestDatabase()
    t.after(() => db.drop())
    const direct = urlWithSchema(db.url, db.schema!)
    const target = new URL(db.url)
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
    t.after(() => proxy.close())
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-outage-'))
    const other = await startGateway({ cwd, env: { ...ENV, DATABASE_URL: direct } })
    t.after(() => other.stop('SIGKILL').then(() => {}))

    // A reader on the cut gateway follows a run the other one executes, and that run ends during the outage.
    // Any gateway may claim a queued run: created while the other gateway is the only one, it runs there;
    // 800 words at 50 ms last 40 s, past the cut gateway's start and the load before the outage.
    const words = Array.from({ length: 800 }, (_, i) => `w${i}`).join(' ')
    const remote = (await (
      await fetch(`${other.url}/api/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ai_provider: 'echo', input: words }),
      })
    ).json()) as { run_id: string }
    await waitFor(
      async () => ((await (await fetch(`${other.url}/api/runs/${remote.run_id}`)).json()) as { status: string }).status === 'running',
      30_000,
      'the other gateway runs it',
    )
    const cut = await startGateway({ cwd, env: { ...ENV, DATABASE_URL: urlWithSchema(proxy.through(db.url), db.schema!) } })
    t.after(() => cut.stop('SIGKILL').then(() => {}))
    const reader = await openSse(`${cut.url}/api/runs/${remote.run_id}/events`)
    t.after(() => reader.abort())
    await reader.until((frames) => eventFrames(frames).some((f) => f.event === 'text.delta'))
    const clients = load(cut)
    await waitFor(() => clients.count(200) >= 20, 60_000, 'runs complete under load')
    proxy.cut()
    await waitFor(async () => (await readyStatus(cut)) === 503, 30_000, '/ready answers 503')
    await waitFor(
      async () => ((await (await fetch(`${other.url}/api/runs/${remote.run_id}`)).json()) as { status: string }).status === 'completed',
      60_000,
      'the other gateway’s run ended during the outage',
    )
    const during = await fetch(`${cut.url}/api/runs`)
    assert.equal(during.status, 503)
    assert.deepEqual(await during.json(), { detail: 'Database is unreachable' })
    proxy.restore()
    const restoredAt = Date.now()
    await waitFor(async () => (await readyStatus(cut)) === 200, 30_000, '/ready answers 200 again')
    // The reader gets the whole run: live once the cluster channel is back (what it missed is read
    // then), or, when its stream was closed by a failed read, by resuming like EventSource does.
    const streamed = await readToEnd(`${cut.url}/api/runs/${remote.run_id}/events`, reader, 60_000)
    const text = streamed
      .filter((f) => f.event === 'text.delta')
      .map((f) => JSON.parse(f.data).text)
      .join('')
    assert.equal(text, words)
    assert.equal(streamed.at(-1)!.event, 'run.completed')
    assert.deepEqual(
      streamed.map((f) => Number(f.id)),
      Array.from({ length: streamed.length }, (_, i) => i + 1),
      'no event twice, none missing',
    )
    const before = clients.count(200)
    await waitFor(() => clients.count(200) >= before + 20, 60_000, 'runs complete again')

    // Under continued load (the gateway always has runs of its own to renew), every run from
    // before the restore ends, including those created or ending while the database was away.
    await waitFor(
      async () => {
        const { runs } = (await (await fetch(`${other.url}/api/runs?status=queued,running&limit=200`)).json()) as {
          runs: Array<{ created_at: string }>
        }
        return runs.every((run) => Date.parse(run.created_at) > restoredAt)
      },
      90_000,
      'no run from before the restore is left queued or running',
    )
    await clients.stop()
    const failed = (await (await fetch(`${other.url}/api/runs?status=failed&limit=200`)).json()) as { runs: Array<{ error: string | null }> }
    assert.ok(
      failed.runs.every((run) => (run.error ?? '').length > 0),
      'a failed run says why',
    )

    assert.equal(logLines(cut, /database lost/).length, 1, 'the outage is logged once when it starts')
    assert.equal(logLines(cut, /"msg":"database back"/).length, 1, 'and once when it ends')
    const errors = logLines(cut, /"level":(50|60)/).filter((line) => !/database lost/.test(line))
    assert.deepEqual(errors, [], 'no error line per failed request')

    // The cluster channel of the cut gateway reconnected: it hears runs the other one ends.
    assert.equal(logLines(cut, /cluster channel lost/).length, 1)
    await waitFor(() => logLines(cut, /cluster channel back/).length === 1, 30_000, 'the cluster channel is back')
    const browser = new WebSocket(`${cut.url.replace('http', 'ws')}/ws/gamification`)
    t.after(() => browser.terminate())
    const frames: Array<{ type: string; data: Record<string, unknown> }> = []
    browser.on('message', (raw) => frames.push(JSON.parse(raw.toString())))
    await new Promise((resolve, reject) => browser.once('open', resolve).once('error', reject))
    const res = await fetch(`${other.url}/api/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ai_provider: 'echo', input: 'heard across instances', wait: true }),
    })
    const run = (await res.json()) as { run_id: string; status: string }
    assert.equal(run.status, 'completed')
    await waitFor(
      () => frames.some((f) => f.type === 'task_completed' && f.data.task_id === run.run_id),
      30_000,
      'the cut gateway’s browser hears a run the other gateway ended',
    )
    browser.terminate()
    assert.equal(await cut.stop(), 0)
    assert.equal(await other.stop(), 0)
  })
})
