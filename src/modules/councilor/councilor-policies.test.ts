// The overlap policy buffer_one and the jitter, over HTTP with a clock the test moves.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { allEnded, config, councilorRuns, job, MIN, promote, S, setUp } from '../../../test/helpers/councilor-kit.js'
import { waitFor } from '../../../test/helpers/wait.js'

/** A prompt the echo provider takes many seconds to stream back: the run stays active until cancelled. */
const SLOW = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ')

describe('councilor policies over HTTP', () => {
  it('buffer_one keeps one tick while a run is active and fires it once the run ends', async (t) => {
    const testApp = await setUp(t, { ECHO_DELAY_MS: '200' })
    const { app, deps, clock, agentId } = testApp
    await promote(app, agentId, config({ prompt: SLOW, policy: { overlap: 'buffer_one' } }))
    const start = clock.now()
    clock.advance(MIN)
    assert.equal((await deps.councilors.scheduler.runDue()).started, 1)
    const [first] = await councilorRuns(testApp, agentId)

    clock.advance(MIN)
    assert.equal((await deps.councilors.scheduler.runDue()).started, 0, 'a run is active: the tick is kept')
    clock.advance(MIN)
    assert.equal((await deps.councilors.scheduler.runDue()).started, 0, 'one tick is kept already: this one is skipped')
    const waiting = await job(app, agentId)
    assert.deepEqual([waiting.buffered_tick, waiting.buffered, waiting.skipped_overlap], [new Date(start + 2 * MIN).toISOString(), 1, 1])

    await deps.runs.cancel(first!.id)
    await waitFor(async () => (await job(app, agentId)).active_runs === 0, 10_000, 'the cancelled run was counted')
    assert.equal((await deps.councilors.scheduler.runDue()).started, 1, 'the kept tick fires once the run has ended')
    const runs = await councilorRuns(testApp, agentId)
    assert.deepEqual(
      runs.map((run) => run.options.metadata?.tick_at),
      [new Date(start + MIN).toISOString(), new Date(start + 2 * MIN).toISOString()],
    )
    assert.equal((await job(app, agentId)).buffered_tick, null)
    await deps.runs.cancelMany({ source: 'councilor' })
    await allEnded(testApp, agentId)
  })

  it('jitter delays a tick by a random share of its bound, never up to the next tick', async (t) => {
    let draw = 0.5
    const testApp = await setUp(t, {}, { ai_provider: 'echo' }, { random: () => draw })
    const { app, deps, clock, agentId } = testApp
    const start = clock.now()
    await promote(app, agentId, config({ policy: { jitter_seconds: 30 } }))
    assert.equal((await job(app, agentId)).next_run_time, new Date(start + MIN + 15 * S).toISOString())

    clock.advance(MIN)
    assert.equal((await deps.councilors.scheduler.runDue()).started, 0, 'the tick waits for its jitter')
    clock.advance(15 * S)
    assert.equal((await deps.councilors.scheduler.runDue()).started, 1)
    const [run] = await councilorRuns(testApp, agentId)
    assert.equal(run!.options.metadata?.tick_at, new Date(start + MIN).toISOString(), 'the run names its nominal tick')
    await allEnded(testApp, agentId)

    // A jitter longer than the interval is held below the gap to the following tick.
    draw = 0.999_999
    const { instance_id: id } = (await app.inject({ url: '/api/councilors/instances' })).json().instances[0]
    const changed = await app.inject({
      method: 'PATCH',
      url: `/api/councilors/instances/${id}/config`,
      payload: { policy: { jitter_seconds: 600 } },
    })
    assert.equal(changed.statusCode, 200, changed.body)
    const changedAt = clock.now()
    const next = Date.parse((await job(app, agentId)).next_run_time)
    assert.ok(next >= changedAt + MIN && next < changedAt + 2 * MIN, `fires at ${new Date(next).toISOString()}, before the following tick`)
  })
})
