import assert from 'node:assert/strict'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { runCli, startGateway } from './helpers/gateway-process.js'
import { createTestDatabase, testDialect, urlWithSchema } from './helpers/test-database.js'

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field in assertions
const body = (res: Response): Promise<any> => res.json()

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'gw-cli-'))
}

/** DATABASE_URL for a child process on the dialect under test, dropped after the test. */
async function databaseEnv(t: { after(fn: () => Promise<void>): void }, cwd: string): Promise<Record<string, string>> {
  if (testDialect() === 'sqlite') return { DATABASE_URL: `sqlite:${path.join(cwd, 'gw.db')}` }
  const db = await createTestDatabase()
  t.after(() => db.drop())
  return { DATABASE_URL: urlWithSchema(db.url, db.schema!) }
}

describe('conductor-gateway CLI', () => {
  it('stops with exit code 2 and one readable line on an invalid setting', async () => {
    const result = await runCli(['serve'], { cwd: tempDir(), env: { PORT: 'not-a-port' } })
    assert.equal(result.code, 2)
    const lines = result.stderr.trim().split('\n')
    assert.equal(lines.length, 1)
    assert.match(lines[0]!, /^conductor-gateway: invalid configuration: server\.port \(from environment variable PORT\)/)
  })

  it('answers --help and refuses unknown commands', async () => {
    assert.match((await runCli(['--help'], { cwd: tempDir() })).stdout, /usage: conductor-gateway/)
    const unknown = await runCli(['fly'], { cwd: tempDir() })
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /unknown command 'fly'/)
  })

  it('migrate applies the schema once', async (t) => {
    const cwd = tempDir()
    const env = await databaseEnv(t, cwd)
    const first = await runCli(['migrate'], { cwd, env })
    assert.equal(first.code, 0, first.stderr)
    assert.match(first.stdout, /applied: 001-screenplays-navigation/)
    const second = await runCli(['migrate'], { cwd, env })
    assert.equal(second.stdout.trim(), 'schema is up to date')
  })
})

describe('conductor-gateway serve', () => {
  it('starts with no configuration on ./data/gateway.db and stops cleanly on SIGTERM', { skip: testDialect() !== 'sqlite' }, async () => {
    const cwd = tempDir()
    const gateway = await startGateway({ cwd })
    try {
      assert.ok(existsSync(path.join(cwd, 'data/gateway.db')))
      assert.ok(existsSync(path.join(cwd, 'data/gateway.db-wal')), 'SQLite runs in WAL mode')
      assert.equal((await fetch(`${gateway.url}/health`)).status, 200)
    } finally {
      assert.equal(await gateway.stop('SIGTERM'), 0)
    }
    assert.match(gateway.logs(), /"msg":"stopped"/)
  })

  it('serves screenplay and navigation round trips over real HTTP and keeps them across a restart', async (t) => {
    const cwd = tempDir()
    const env = await databaseEnv(t, cwd)
    let gateway = await startGateway({ cwd, env })
    const json = { 'content-type': 'application/json' }
    let id: string
    try {
      const created = await fetch(`${gateway.url}/api/screenplays`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ name: 'Over the wire', content: '# Hi' }),
      })
      assert.equal(created.status, 201)
      id = (await body(created)).id
      const updated = await fetch(`${gateway.url}/api/screenplays/${id}`, {
        method: 'PUT',
        headers: json,
        body: JSON.stringify({ description: 'edited' }),
      })
      assert.equal((await body(updated)).version, 2)
      const nav = await fetch(`${gateway.url}/api/navigation`, {
        method: 'PUT',
        headers: json,
        body: JSON.stringify({ screenplay_id: id, conversation_id: 'c1', instance_id: 'i1' }),
      })
      assert.equal(nav.status, 200)
    } finally {
      assert.equal(await gateway.stop('SIGINT'), 0)
    }

    gateway = await startGateway({ cwd, env })
    try {
      const screenplay = await body(await fetch(`${gateway.url}/api/screenplays/${id}`))
      assert.deepEqual([screenplay.name, screenplay.description, screenplay.content], ['Over the wire', 'edited', '# Hi'])
      const last = await body(await fetch(`${gateway.url}/api/navigation/last`))
      assert.equal(last.screenplay_id, id)
      const deleted = await fetch(`${gateway.url}/api/screenplays/${id}`, { method: 'DELETE' })
      assert.equal(deleted.status, 204)
      const list = await body(await fetch(`${gateway.url}/api/screenplays`))
      assert.equal(list.total, 0)
    } finally {
      assert.equal(await gateway.stop(), 0)
    }
  })
})
