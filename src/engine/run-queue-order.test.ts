// Fair queueing: with more runs than workers, queued runs start first come, first served. A run
// must never start before one that was already queued when it was created, e.g. by taking the
// slot a finishing run just freed before the pool claims the oldest queued run.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildTestApp } from '../../test/helpers/build-test-app.js'

describe('queued runs', () => {
  it('start in the order they were created, also when new runs arrive as slots free up', async (t) => {
    const { deps } = await buildTestApp(t, { env: { RUN_CONCURRENCY: '2', RUN_COALESCE_MS: '0' } })
    const { runs } = deps
    const startOrder: string[] = []
    runs.followAll((events) => {
      for (const event of events) if (event.type === 'run.started') startOrder.push(event.runId)
    })
    // A logical clock over the test's own steps: when each create was called and when it resolved.
    let tick = 0
    const created: Array<{ id: string; calledAt: number; resolvedAt: number }> = []
    // Closed-loop clients, as under load: each creates its next run the moment its last one ended.
    const client = async () => {
      for (let i = 0; i < 30; i++) {
        const calledAt = tick++
        const run = await runs.create({ source: 'api', input: 'a few words to echo back', provider: 'echo' })
        created.push({ id: run.id, calledAt, resolvedAt: tick++ })
        await runs.waitForEnd(run.id, 30_000)
      }
    }
    await Promise.all(Array.from({ length: 8 }, client))
    assert.equal(startOrder.length, created.length, 'every run started once')
    const position = new Map(startOrder.map((id, i) => [id, i]))
    const overtaken: string[] = []
    for (const earlier of created) {
      for (const later of created) {
        // `earlier` was stored (queued or running) before `later` was even asked for.
        if (earlier.resolvedAt < later.calledAt && position.get(later.id)! < position.get(earlier.id)!) {
          overtaken.push(`${later.id} started before ${earlier.id}`)
        }
      }
    }
    assert.deepEqual(overtaken.slice(0, 5), [], `${overtaken.length} runs started before an older queued run`)
  })
})
