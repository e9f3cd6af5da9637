// A stream always ends when its run ends, whatever cursor the reader came back with.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildTestApp, listen } from '../../../test/helpers/build-test-app.js'
import { openSse } from '../../../test/helpers/sse-client.js'

describe('GET /api/runs/{id}/events with a cursor past the end', () => {
  it('ends when the running run ends, with nothing delivered', { timeout: 30_000 }, async (t) => {
    const { app } = await buildTestApp(t, { env: { ECHO_DELAY_MS: '50', RUN_COALESCE_MS: '0' } })
    const base = await listen(app)
    const run = (await app.inject({ method: 'POST', url: '/api/runs', payload: { ai_provider: 'echo', input: 'one two three four five' } })).json()
    const reader = await openSse(`${base}/api/runs/${run.run_id}/events`, { headers: { 'last-event-id': '9999' } })
    await reader.done
    assert.deepEqual(
      reader.frames.filter((f) => f.event),
      [],
      'no event is at or past seq 9999',
    )
    assert.equal((await app.inject({ url: `/api/runs/${run.run_id}` })).json().status, 'completed')
  })
})
