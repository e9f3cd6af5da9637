// SIGTERM on a real gateway process: it stops accepting, lets the request in flight finish and
// commit, exits 0; a request that never finishes is cut off after the shutdown timeout. Under an
// overload of requests waiting for runs, every one is answered and nothing is logged as an error.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtempSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { startGateway, type RunningGateway } from './helpers/gateway-process.js'
import { eventFrames, openSse } from './helpers/sse-client.js'
import { waitFor } from './helpers/wait.js'
import { createTestDatabase, testDialect, urlWithSchema } from './helpers/test-database.js'

async function databaseEnv(t: { after(fn: () => Promise<void>): void }, cwd: string): Promise<Record<string, string>> {
  if (testDialect() === 'sqlite') return { DATABASE_URL: `sqlite:${path.join(cwd, 'gw.db')}` }
  const db = await createTestDatabase()
  t.after(() => db.drop())
  return { DATABASE_URL: urlWithSchema(db.url, db.schema!) }
}

/** Resolves once the gateway has logged a line matching `pattern`. */
async function logged(gateway: RunningGateway, pattern: RegExp): Promise<void> {
  await waitFor(
    () => {
      if (pattern.test(gateway.logs())) return true
      if (gateway.child.exitCode !== null) throw new Error(`gateway exited before logging ${pattern}: ${gateway.logs()}`)
      return false
    },
    20_000,
    `the gateway logged ${pattern}`,
  )
}

/** Sends the headers and the first half of a JSON POST; `finish` sends the rest and reads the reply. */
async function startSlowPost(url: string, pathname: string, body: string): Promise<{ socket: Socket; finish(): Promise<string> }> {
  const { hostname, port } = new URL(url)
  const socket = connect(Number(port), hostname)
  await once(socket, 'connect')
  let response = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => (response += chunk))
  const closed = once(socket, 'close')
  const half = Math.floor(body.length / 2)
  socket.write(
    `POST ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body.slice(0, half)}`,
  )
  return {
    socket,
    async finish() {
      socket.write(body.slice(half))
      await closed
      return response
    },
  }
}

/** Resolves once a new connection to the gateway is refused. */
async function refusesConnections(url: string): Promise<void> {
  await waitFor(
    () =>
      fetch(`${url}/health`).then(
        () => false,
        () => true,
      ),
    20_000,
    'the gateway refuses new connections',
  )
}

describe('graceful shutdown', () => {
  it('finishes the request in flight on SIGTERM, then exits 0', { timeout: 90_000 }, async (t) => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-shutdown-'))
    const env = await databaseEnv(t, cwd)
    const gateway = await startGateway({ cwd, env })
    t.after(() => gateway.stop('SIGKILL'))
    try {
      const slow = await startSlowPost(gateway.url, '/api/screenplays', JSON.stringify({ name: 'Saved while stopping', content: '# Kept' }))
      await logged(gateway, /"url":"\/api\/screenplays".*"msg":"incoming request"/)
      gateway.child.kill('SIGTERM')
      await logged(gateway, /"msg":"shutting down/)
      await refusesConnections(gateway.url)
      assert.equal(gateway.child.exitCode, null, 'still running while a request is in flight')

      const response = await slow.finish()
      assert.match(response, /^HTTP\/1\.1 201 /)
      assert.match(response, /"name":"Saved while stopping"/)
      assert.equal(await gateway.exited(), 0)
    } finally {
      await gateway.stop('SIGKILL')
    }

    const again = await startGateway({ cwd, env })
    t.after(() => again.stop('SIGKILL'))
    try {
      const list = (await (await fetch(`${again.url}/api/screenplays`)).json()) as { items: Array<{ name: string }> }
      assert.deepEqual(
        list.items.map((item) => item.name),
        ['Saved while stopping'],
      )
    } finally {
      assert.equal(await again.stop(), 0)
    }
  })

  it('cuts off a request that never finishes once the shutdown timeout passes, and still exits 0', { timeout: 90_000 }, async (t) => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-shutdown-'))
    const env = { ...(await databaseEnv(t, cwd)), SHUTDOWN_TIMEOUT_MS: '300' }
    const gateway = await startGateway({ cwd, env })
    t.after(() => gateway.stop('SIGKILL'))
    try {
      const stuck = await startSlowPost(gateway.url, '/api/screenplays', JSON.stringify({ name: 'never completed' }))
      await logged(gateway, /"url":"\/api\/screenplays".*"msg":"incoming request"/)
      const closed = once(stuck.socket, 'close')
      gateway.child.kill('SIGTERM')
      assert.equal(await gateway.exited(), 0)
      await closed
      assert.match(gateway.logs(), /requests still in flight after the timeout/)
    } finally {
      await gateway.stop('SIGKILL')
    }
  })

  it('drains after an overload: every waiting request is answered, running runs end within the bound, no error is logged', {
    timeout: 120_000,
  }, async (t) => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-drain-'))
    const database = await databaseEnv(t, cwd)
    const slow = { ...database, RUN_CONCURRENCY: '4', ECHO_DELAY_MS: '200', RUN_COALESCE_MS: '0', SHUTDOWN_TIMEOUT_MS: '10000' }
    const gateway = await startGateway({ cwd, env: slow })
    t.after(() => gateway.stop('SIGKILL'))
    const clients = 200
    // A long wait_timeout_ms: only the drain can answer these requests before the gateway exits.
    const body = JSON.stringify({
      ai_provider: 'echo',
      input: 'one two three four five six seven eight nine ten',
      wait: true,
      wait_timeout_ms: 600_000,
    })
    type Answer = { status: number; body: { run_id?: string; status?: string; detail?: string } }
    const answers = Array.from({ length: clients }, () =>
      fetch(`${gateway.url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then<Answer, Answer>(
        async (res) => ({ status: res.status, body: (await res.json()) as { run_id?: string; status?: string; detail?: string } }),
        (err: Error) => ({ status: 0, body: { detail: String(err.cause ?? err) } }),
      ),
    )
    await waitFor(
      async () => ((await (await fetch(`${gateway.url}/api/runs?limit=1`)).json()) as { total: number }).total === clients,
      30_000,
      'every client’s run exists',
    )
    const running = ((await (await fetch(`${gateway.url}/api/runs?status=running&limit=1`)).json()) as { runs: Array<{ run_id: string }> }).runs[0]!
    const stream = await openSse(`${gateway.url}/api/runs/${running.run_id}/events`)
    await stream.until((frames) => eventFrames(frames).some((f) => f.event === 'run.started'))

    gateway.child.kill('SIGTERM')
    const answered = await Promise.all(answers)
    assert.equal(await gateway.exited(), 0)
    await stream.done

    const unanswered = answered.filter((a) => a.status !== 200 && a.status !== 202)
    assert.deepEqual(unanswered, [], 'every waiting request got the run (ended: 200, as it is: 202)')
    assert.ok(
      answered.some((a) => a.status === 202 && a.body.status === 'queued'),
      'runs not started yet were handed back to the queue',
    )
    assert.ok(
      answered.every((a) => a.status === 202 || ['completed', 'failed'].includes(a.body.status!)),
      'a 200 is an ended run',
    )
    const errors = gateway
      .logs()
      .split('\n')
      .filter((line) => /"level":(50|60)/.test(line) || /destroyed/.test(line))
    assert.deepEqual(errors, [], 'nothing logged as an error')

    // The closed stream resumes from its last id on the next start, and the queued runs run there.
    const lastId = Number(eventFrames(stream.frames).at(-1)!.id)
    const again = await startGateway({ cwd, env: { ...database, ECHO_DELAY_MS: '0' } })
    t.after(() => again.stop('SIGKILL'))
    try {
      const resumed = await openSse(`${again.url}/api/runs/${running.run_id}/events`, { headers: { 'last-event-id': String(lastId) } })
      await resumed.done
      const ids = eventFrames(resumed.frames).map((f) => Number(f.id))
      assert.equal(ids[0], lastId + 1, 'the stream goes on right after the last event it delivered')
      assert.match(eventFrames(resumed.frames).at(-1)!.event!, /^run\.(completed|failed)$/)
      await waitFor(
        async () => {
          const active = (await (await fetch(`${again.url}/api/runs?status=queued,running&limit=1`)).json()) as { total: number }
          return active.total === 0
        },
        60_000,
        'the handed-back runs ran after the restart',
      )
    } finally {
      assert.equal(await again.stop(), 0)
    }
  })
})
