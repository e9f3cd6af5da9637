// The real CLI: keys made with `keys create` open a gateway started in api_key mode, `keys revoke`
// closes it again, and mode none refuses to listen beyond loopback.
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { runCli, startGateway } from '../helpers/gateway-process.js'
import { createTestDatabase, testDialect, urlWithSchema } from '../helpers/test-database.js'

async function databaseEnv(t: { after(fn: () => Promise<void>): void }, cwd: string): Promise<Record<string, string>> {
  if (testDialect() === 'sqlite') return { DATABASE_URL: `sqlite:${path.join(cwd, 'gw.db')}` }
  const db = await createTestDatabase()
  t.after(() => db.drop())
  return { DATABASE_URL: urlWithSchema(db.url, db.schema!) }
}

describe('conductor-gateway keys', () => {
  it('create prints the key once, list never shows it, revoke ends it', async (t) => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-keys-'))
    const env = { ...(await databaseEnv(t, cwd)), AUTH_MODE: 'api_key' }
    const created = await runCli(['keys', 'create', '--role', 'user', '--label', 'laptop'], { cwd, env })
    assert.equal(created.code, 0, created.stderr)
    const key = /^key: (cgk_\S+)$/m.exec(created.stdout)?.[1]
    const id = /^created (key_\w+) \(role user\)$/m.exec(created.stdout)?.[1]
    assert.ok(key && id, created.stdout)

    assert.equal((await runCli(['keys', 'create', '--role', 'emperor'], { cwd, env })).code, 2)
    const sidecar = await runCli(['keys', 'create', '--role', 'mcp-sidecar'], { cwd, env })
    assert.equal(sidecar.code, 2)
    assert.match(sidecar.stderr, /needs --name/)

    const listed = await runCli(['keys', 'list'], { cwd, env })
    assert.match(listed.stdout, new RegExp(`^${id}  cgk_\\S+…  role=user label="laptop"  created=\\S+  last_used=never  active$`, 'm'))
    assert.ok(!listed.stdout.includes(key))

    const gateway = await startGateway({ cwd, env })
    try {
      assert.equal((await fetch(`${gateway.url}/api/screenplays`)).status, 401)
      assert.equal((await fetch(`${gateway.url}/api/screenplays`, { headers: { authorization: `Bearer ${key}` } })).status, 200)
      const revoked = await runCli(['keys', 'revoke', id], { cwd, env })
      assert.equal(revoked.code, 0, revoked.stderr)
      assert.equal((await fetch(`${gateway.url}/api/screenplays`, { headers: { authorization: `Bearer ${key}` } })).status, 401)
    } finally {
      await gateway.stop()
    }
    assert.ok(!gateway.logs().includes(key), 'the key is never logged')
    assert.equal((await runCli(['keys', 'revoke', id], { cwd, env })).code, 1)
  })
})

describe('conductor-gateway serve in auth.mode none', () => {
  it('refuses a non-loopback address with a message that says how to choose a mode', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-none-'))
    const refused = await runCli(['serve', '--host', '0.0.0.0'], { cwd })
    assert.equal(refused.code, 2)
    assert.match(
      refused.stderr,
      /auth\.mode is none but server\.host is 0\.0\.0\.0.*AUTH_MODE=api_key.*keys create --role admin.*AUTH_ALLOW_UNAUTHENTICATED_NETWORK=true/,
    )
  })

  it('starts beyond loopback only with the explicit override', { skip: testDialect() !== 'sqlite' }, async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-none-'))
    const gateway = await startGateway({ cwd, args: ['--host', '0.0.0.0'], env: { AUTH_ALLOW_UNAUTHENTICATED_NETWORK: 'true' } })
    assert.equal(await gateway.stop(), 0)
  })
})
