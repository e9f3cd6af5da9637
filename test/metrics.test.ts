// GET /metrics after a scripted workload: HTTP requests, runs (ended, running, queued), the event
// log, SSE and WebSocket connections, councilor ticks and process metrics are counted as done.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import { WebSocket } from 'ws'
import { buildTestApp } from './helpers/build-test-app.js'
import { openSse } from './helpers/sse-client.js'
import { waitFor } from './helpers/wait.js'

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

interface Exposition {
  samples: Sample[]
  types: Map<string, string>
}

/** Parses the Prometheus text format (what a Prometheus server would read). */
function parseExposition(text: string): Exposition {
  const samples: Sample[] = []
  const types = new Map<string, string>()
  for (const line of text.split('\n')) {
    if (line === '') continue
    const type = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (type) types.set(type[1]!, type[2]!)
    if (line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    assert.ok(match, `not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!
    samples.push({ name: match[1]!, labels, value: Number(match[3]) })
  }
  return { samples, types }
}

/** The value of the one sample with this name whose labels include `labels` (0 when absent). */
function sampleOf(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = exposition.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} matches ${found.length} samples`)
  return found[0]?.value ?? 0
}

const ECHO = { executor: 'echo', provider: 'echo' }
const LONG_INPUT = Array.from({ length: 2000 }, (_, i) => `w${i}`).join(' ')

describe('GET /metrics', () => {
  it('counts a scripted workload', async (t) => {
    const { app, deps } = await buildTestApp(t, { env: { RUN_CONCURRENCY: '1', ECHO_DELAY_MS: '5', RUN_COALESCE_MS: '0' } })
    const base = await app.listen({ host: '127.0.0.1', port: 0 })
    const scrape = async () => {
      const res = await fetch(`${base}/metrics`)
      assert.equal(res.status, 200)
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
      return parseExposition(await res.text())
    }
    const post = (body: object) =>
      fetch(`${base}/api/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ai_provider: 'echo', ...body }),
      })

    // Three runs that complete.
    for (let i = 0; i < 3; i++) {
      const res = await post({ input: `hello number ${i}`, wait: true })
      assert.equal(res.status, 200)
      assert.equal(((await res.json()) as { status: string }).status, 'completed')
    }
    // One run that keeps the only worker busy, one queued behind it; a reader on the first one's stream.
    const busy = (await (await post({ input: LONG_INPUT })).json()) as { run_id: string }
    const stream = await openSse(`${base}/api/runs/${busy.run_id}/events`)
    await stream.until((frames) => frames.some((f) => f.event === 'text.delta'))
    const waiting = (await (await post({ input: 'queued' })).json()) as { run_id: string; status: string }
    assert.equal(waiting.status, 'queued')
    // Two requests for a run that does not exist.
    for (let i = 0; i < 2; i++) assert.equal((await fetch(`${base}/api/runs/nope${i}`)).status, 404)
    // A browser on the gamification socket.
    const socket = new WebSocket(`${base.replace('http', 'ws')}/ws/gamification`)
    await new Promise((resolve, reject) => socket.once('message', resolve).once('error', reject))

    const during = await scrape()
    assert.equal(sampleOf(during, 'conductor_runs', { state: 'running', ...ECHO }), 1)
    assert.equal(sampleOf(during, 'conductor_runs', { state: 'queued', ...ECHO }), 1)
    assert.equal(sampleOf(during, 'conductor_run_queue_depth'), 1)
    assert.equal(sampleOf(during, 'conductor_sse_connections'), 1)
    assert.equal(sampleOf(during, 'conductor_websocket_connections', { route: '/ws/gamification' }), 1)

    socket.close()
    stream.abort()
    for (const id of [waiting.run_id, busy.run_id]) assert.equal((await fetch(`${base}/api/runs/${id}/cancel`, { method: 'POST' })).status, 200)
    await deps.runs.waitForEnd(busy.run_id, 30_000)
    await waitFor(
      async () => sampleOf(await scrape(), 'conductor_websocket_connections', { route: '/ws/gamification' }) === 0,
      30_000,
      'the socket is counted closed',
    )
    await waitFor(async () => sampleOf(await scrape(), 'conductor_sse_connections') === 0, 30_000, 'the stream is counted closed')
    // The end of the last run reaches the event feed after the cancel answered.
    await waitFor(
      async () => sampleOf(await scrape(), 'conductor_run_time_to_first_event_seconds_count', ECHO) === 4,
      30_000,
      'every run with output is timed',
    )

    assert.equal((await fetch(`${base}/no/such/path`)).status, 404)
    assert.equal((await fetch(`${base}/api/screenplays/%E0%A4%A`)).status, 400)
    const after = await scrape()
    const http = (method: string, route: string, status: number) => ({ method, route, status_code: String(status) })
    assert.equal(sampleOf(after, 'conductor_http_requests_total', http('POST', '/api/runs', 200)), 3)
    assert.equal(sampleOf(after, 'conductor_http_requests_total', http('POST', '/api/runs', 202)), 2)
    assert.equal(sampleOf(after, 'conductor_http_requests_total', http('GET', '/api/runs/:run_id', 404)), 2)
    assert.equal(sampleOf(after, 'conductor_http_requests_total', http('POST', '/api/runs/:run_id/cancel', 200)), 2)
    // A path no route matches shares one label value, and is counted once.
    assert.equal(sampleOf(after, 'conductor_http_requests_total', http('GET', 'unmatched', 404)), 1)
    // So does a URL the router cannot read.
    assert.equal(sampleOf(after, 'conductor_http_requests_total', http('GET', 'unmatched', 400)), 1)
    assert.equal(sampleOf(after, 'conductor_http_request_duration_seconds_count', http('POST', '/api/runs', 200)), 3)
    assert.equal(sampleOf(after, 'conductor_http_request_duration_seconds_bucket', { ...http('POST', '/api/runs', 200), le: '+Inf' }), 3)

    assert.equal(sampleOf(after, 'conductor_runs_ended_total', { state: 'completed', ...ECHO }), 3)
    assert.equal(sampleOf(after, 'conductor_runs_ended_total', { state: 'cancelled', ...ECHO }), 2)
    assert.equal(sampleOf(after, 'conductor_run_duration_seconds_count', { state: 'completed', ...ECHO }), 3)
    assert.equal(sampleOf(after, 'conductor_run_duration_seconds_count', { state: 'cancelled', ...ECHO }), 2)
    // The queued run that was cancelled never produced output.
    assert.equal(sampleOf(after, 'conductor_run_time_to_first_event_seconds_count', ECHO), 4)
    assert.equal(sampleOf(after, 'conductor_run_queue_depth'), 0)
    assert.equal(sampleOf(after, 'conductor_runs', { state: 'running', ...ECHO }), 0)

    const stored = await sql<{ n: number }>`select count(*) as n from run_events`.execute(deps.database.db)
    assert.equal(sampleOf(after, 'conductor_run_events_stored'), Number(stored.rows[0]!.n))
    assert.ok(sampleOf(after, 'conductor_run_events_stored') > 0)

    // Process metrics, and counters named as Prometheus expects.
    assert.ok(sampleOf(after, 'process_cpu_user_seconds_total') > 0)
    assert.ok(sampleOf(after, 'nodejs_heap_size_used_bytes') > 0)
    for (const [name, type] of after.types) {
      if (type === 'counter') assert.match(name, /_total$/, name)
    }
  })

  it('counts councilor ticks by outcome and their lateness', async (t) => {
    const { app, deps } = await buildTestApp(t)
    deps.metrics.councilorTick('fired')
    deps.metrics.councilorTick('fired')
    deps.metrics.councilorTick('skipped')
    deps.metrics.councilorTickLateness(0.2)
    deps.metrics.councilorTickLateness(3)
    const res = await app.inject({ method: 'GET', url: '/metrics' })
    const exposition = parseExposition(res.body)
    assert.equal(sampleOf(exposition, 'conductor_councilor_ticks_total', { outcome: 'fired' }), 2)
    assert.equal(sampleOf(exposition, 'conductor_councilor_ticks_total', { outcome: 'skipped' }), 1)
    assert.equal(sampleOf(exposition, 'conductor_councilor_ticks_total', { outcome: 'refused' }), 0)
    assert.equal(sampleOf(exposition, 'conductor_councilor_tick_lateness_seconds_count'), 2)
    assert.equal(sampleOf(exposition, 'conductor_councilor_tick_lateness_seconds_sum'), 3.2)
    assert.equal(sampleOf(exposition, 'conductor_councilor_tick_lateness_seconds_bucket', { le: '1' }), 1)
  })

  it('is absent when disabled', async (t) => {
    const { app } = await buildTestApp(t, { env: { METRICS_ENABLED: 'false' } })
    const res = await app.inject({ method: 'GET', url: '/metrics' })
    assert.equal(res.statusCode, 404)
  })
})
