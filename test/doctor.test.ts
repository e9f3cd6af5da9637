import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import type { Config } from '../src/config.js'
import { formatChecks, runDoctor, type Check } from '../src/modules/doctor/doctor.js'
import { openDatabase } from '../src/platform/db/database.js'
import { migrateToLatest } from '../src/platform/db/migrate.js'
import { testConfig } from './helpers/build-test-app.js'
import { freshDatabase } from './helpers/data-snapshot.js'
import { runCli } from './helpers/gateway-process.js'

async function database(t: TestContext, options: { migrated: boolean }): Promise<string> {
  const db = await freshDatabase()
  t.after(() => db.drop())
  const opened = openDatabase(db.url, { poolSize: 1 })
  try {
    if (options.migrated) await migrateToLatest(opened)
    else await opened.ping()
  } finally {
    await opened.close()
  }
  return db.url
}

function fakeCli(name: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gw-doctor-bin-'))
  const file = path.join(dir, name)
  writeFileSync(file, '#!/bin/sh\nexit 0\n')
  chmodSync(file, 0o755)
  return file
}

const byName = (checks: Check[], name: string) => {
  const check = checks.find((c) => c.name === name)
  assert.ok(check, `a check named ${name}`)
  return check
}

describe('conductor-gateway doctor', () => {
  it('reports a working setup, what is missing and how to fix it', async (t) => {
    const url = await database(t, { migrated: true })
    const claude = fakeCli('claude')
    const config = testConfig(
      { ANTHROPIC_API_KEY: 'sk-test', DEFAULT_AI_PROVIDER: 'anthropic', CLAUDE_COMMAND: claude, GEMINI_COMMAND: 'gemini-not-installed-here' },
      url,
    )
    const checks = await runDoctor(config, { env: { PATH: '/nonexistent' } })

    assert.equal(byName(checks, 'configuration').status, 'ok')
    assert.match(byName(checks, 'database').detail, /reachable, schema up to date \(\d+ migrations, \d+ data tables\)/)
    assert.equal(byName(checks, 'database').status, 'ok')
    assert.deepEqual(byName(checks, 'provider anthropic'), { status: 'ok', name: 'provider anthropic', detail: 'API key set (the default provider)' })
    const openai = byName(checks, 'provider openai')
    assert.equal(openai.status, 'skip')
    assert.match(openai.fix!, /set OPENAI_API_KEY/)
    assert.equal(byName(checks, 'cli claude').status, 'ok')
    assert.match(byName(checks, 'cli claude').detail, new RegExp(`→ ${claude}$`))
    const gemini = byName(checks, 'cli gemini')
    assert.equal(gemini.status, 'skip')
    assert.match(gemini.detail, /gemini-not-installed-here is not on PATH/)
    assert.match(gemini.fix!, /set GEMINI_COMMAND/)
    assert.equal(byName(checks, 'web root').status, 'skip')
    assert.match(byName(checks, 'mcp registry').detail, /0 registered or configured, 0 without a recent heartbeat/)

    const { text, failed } = formatChecks(checks)
    assert.equal(failed, false)
    assert.match(text, /^ok {4}configuration +valid/m)
    assert.match(text, /\d+ ok, 0 warning\(s\), 0 failure\(s\)\n$/)
  })

  it('warns about pending migrations and a default provider nobody can serve', async (t) => {
    const url = await database(t, { migrated: false })
    const checks = await runDoctor(testConfig({ DEFAULT_AI_PROVIDER: 'claude', CLAUDE_COMMAND: 'claude-missing' }, url), { env: { PATH: '' } })
    const db = byName(checks, 'database')
    assert.equal(db.status, 'warn')
    assert.match(db.detail, /\d+ migration\(s\) pending \(empty database\)/)
    assert.match(db.fix!, /conductor-gateway migrate/)
    const claude = byName(checks, 'cli claude')
    assert.equal(claude.status, 'warn')
    assert.match(claude.detail, /\(the default provider\)/)
    assert.equal(formatChecks(checks).failed, false, 'warnings alone do not fail')
  })

  it('checks a web root when the setting exists', async (t) => {
    const url = await database(t, { migrated: true })
    const root = mkdtempSync(path.join(tmpdir(), 'gw-doctor-web-'))
    const withRoot = (dir: string) => {
      const config = testConfig({}, url)
      return { ...config, server: { ...config.server, webRoot: dir } } as Config
    }
    let check = byName(await runDoctor(withRoot(root)), 'web root')
    assert.deepEqual([check.status, check.detail], ['fail', `${root} has no index.html`])
    writeFileSync(path.join(root, 'index.html'), '<!doctype html>')
    check = byName(await runDoctor(withRoot(root)), 'web root')
    assert.equal(check.status, 'ok')
    mkdirSync(path.join(root, 'nested'))
    check = byName(await runDoctor(withRoot(path.join(root, 'missing'))), 'web root')
    assert.equal(check.status, 'fail')
    assert.equal(formatChecks([check]).failed, true)
  })

  it('exits 1 naming the broken part when the database is unreachable or a setting is invalid', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-doctor-'))
    const down = await runCli(['doctor'], { cwd, env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing' } })
    assert.equal(down.code, 1)
    assert.match(down.stdout, /^FAIL +database +postgres:\/\/postgres@127\.0\.0\.1:1\/nothing: connect ECONNREFUSED/m)
    assert.match(down.stdout, /fix: start PostgreSQL or correct DATABASE_URL/)
    assert.match(down.stdout, /1 failure\(s\): the gateway cannot work until the failures are fixed\n$/)

    const invalid = await runCli(['doctor'], { cwd, env: { PORT: 'abc' } })
    assert.equal(invalid.code, 1)
    assert.match(invalid.stdout, /^FAIL +configuration +invalid configuration: server\.port \(from environment variable PORT\)/)

    const fresh = await runCli(['doctor'], { cwd, env: { DATABASE_URL: `sqlite:${path.join(cwd, 'new', 'gw.db')}` } })
    assert.equal(fresh.code, 0, fresh.stdout)
    assert.match(fresh.stdout, /^ok +database +sqlite:.*gw\.db: not created yet; the first start creates it$/m)
  })
})
