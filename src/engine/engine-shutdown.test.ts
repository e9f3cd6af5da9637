// Shutdown of the engine (worker pool and reaper): nothing they started may touch the database after `close`.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { describe, it } from 'node:test'
import pino from 'pino'
import { createDeps } from '../deps.js'
import { testConfig } from '../../test/helpers/build-test-app.js'
import { createTestDatabase, testDialect } from '../../test/helpers/test-database.js'

function errorLogger(errors: string[]) {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const line = JSON.parse(chunk.toString('utf8')) as { level: number; msg: string; err?: { message: string } }
      if (line.level >= 50) errors.push(`${line.msg}: ${line.err?.message ?? ''}`)
      done()
    },
  })
  return pino({ level: 'warn' }, sink)
}

describe('engine shutdown', () => {
  it('waits for claims and sweeps under way before the database closes', async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gw-pool-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const errors: string[] = []
    // Idle workers look for queued runs every millisecond, so a claim is nearly always under
    // way when `close` comes; it used to reach the database after it was closed.
    const attempts = testDialect() === 'sqlite' ? 30 : 8
    for (let attempt = 0; attempt < attempts; attempt++) {
      const database = testDialect() === 'sqlite' ? { url: `sqlite:${dir}/gateway-${attempt}.db`, drop: async () => {} } : await createTestDatabase()
      const deps = await createDeps(testConfig({ RUN_POLL_INTERVAL_MS: '1' }, database.url), {
        logger: errorLogger(errors),
        database: { ...('schema' in database && database.schema && { schema: database.schema }), poolSize: 4 },
      })
      deps.start()
      await new Promise((resolve) => setTimeout(resolve, attempt % 5))
      await deps.close()
      await database.drop()
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
    assert.deepEqual(errors, [])
  })
})
