// Requests generated from /openapi.json (bench/lib/hostile.ts) against every operation, with and
// without credentials: no 500, no reset, the process keeps answering. bench/hostile.ts runs the
// same generator for 100,000+ requests against a gateway process.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type HostileRequest, hostileVariants, operationsOf, seeded, sendAll } from '../../bench/lib/hostile.js'
import { createRoleKeys } from '../helpers/api-keys.js'
import { buildTestApp, listen } from '../helpers/build-test-app.js'

describe('hostile input over every operation', () => {
  it('never answers 500 and never resets a connection', async (t) => {
    const { app, deps } = await buildTestApp(t, { env: { AUTH_MODE: 'api_key', RATE_LIMIT_EXPENSIVE_PER_MINUTE: '1000000' } })
    const keys = await createRoleKeys(deps)
    const url = await listen(app)
    const spec = await (await fetch(`${url}/openapi.json`)).json()
    const operations = operationsOf(spec)
    const pick = seeded(12)
    // Every variant as admin (past the gate, into validation and services); a sample of each
    // operation's variants without credentials and with a forged key (the gate's answers).
    const admin = { authorization: `Bearer ${keys.admin}` }
    const outside: Array<Record<string, string>> = [{}, { authorization: 'Bearer cgk_forged' }, { 'x-api-key': '\u00ff' }]
    function* all(): Generator<HostileRequest> {
      for (const op of operations) {
        let i = 0
        for (const variant of hostileVariants(op, pick)) {
          yield { ...variant, headers: { ...variant.headers, ...admin } }
          if (i++ < 6) for (const headers of outside) yield { ...variant, headers: { ...variant.headers, ...headers } }
        }
      }
    }
    const outcome = await sendAll(url, all(), 8)
    t.diagnostic(`${outcome.sent} requests over ${operations.length} operations: ${JSON.stringify(outcome.byStatus)}`)
    assert.deepEqual(outcome.failures, [])
    assert.ok(outcome.sent > 5_000)
    assert.equal((await fetch(`${url}/health`)).status, 200)
  })
})
