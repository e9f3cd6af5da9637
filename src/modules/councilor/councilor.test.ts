import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { createAgent } from '../../../test/helpers/agent-factories.js'
import { allEnded, config, councilorRuns, feed, job, MIN, promote, setUp, UNREACHABLE } from '../../../test/helpers/councilor-kit.js'
import { waitFor } from '../../../test/helpers/wait.js'

describe('councilors over HTTP', () => {
  it('promotes once, validates every schedule field by name, and 404s an unknown agent', async (t) => {
    const { app, agentId } = await setUp(t)
    const first = await promote(app, agentId)
    const again = await app.inject({ method: 'POST', url: '/api/councilors/promote', payload: { agent_id: agentId, councilor_config: config() } })
    assert.equal(again.statusCode, 200)
    assert.deepEqual(
      [again.json().instance_id, again.json().screenplay_id, again.json().conversation_id],
      [first.instance_id, first.screenplay_id, first.conversation_id],
    )
    assert.equal((await app.inject({ url: '/api/councilors/scheduler/jobs' })).json().count, 1)

    const unknown = await app.inject({
      method: 'POST',
      url: '/api/councilors/promote',
      payload: { agent_id: 'Nobody_Agent', councilor_config: config() },
    })
    assert.equal(unknown.statusCode, 404)
    assert.match(unknown.json().detail, /Nobody_Agent/)

    const other = await createAgent(app, { name: 'Other_Agent', ai_provider: 'echo' })
    const bad: Array<[ReturnType<typeof config>, RegExp]> = [
      [config({ schedule: { value: '0m' } }), /schedule\.value/],
      [config({ schedule: { value: '10 minutes' } }), /schedule\.value/],
      [config({ schedule: { type: 'cron', value: '61 * * * *' } }), /schedule\.value/],
      [config({ schedule: { type: 'cron', value: '* * *' } }), /schedule\.value/],
      [config({ schedule: { type: 'weekly' } }), /schedule\.type/],
      [config({ schedule: { timezone: 'Mars/Olympus' } }), /schedule\.timezone/],
      [config({ policy: { overlap: 'sometimes' } }), /policy\.overlap/],
      [config({ policy: { missed: 'every' } }), /policy\.missed/],
      [config({ policy: { max_runs_per_day: 0 } }), /policy\.max_runs_per_day/],
    ]
    for (const [councilorConfig, field] of bad) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/councilors/promote',
        payload: { agent_id: other, councilor_config: councilorConfig },
      })
      assert.equal(res.statusCode, 422, res.body)
      assert.match(res.json().detail, field)
    }
    const patch = await app.inject({
      method: 'PATCH',
      url: `/api/councilors/instances/${first.instance_id}/config`,
      payload: { schedule: { value: 'soon' } },
    })
    assert.equal(patch.statusCode, 422)
    assert.match(patch.json().detail, /schedule\.value/)
    assert.equal((await job(app, agentId)).schedule.value, '1m', 'a refused change leaves the schedule as it was')
  })

  it('a working directory outside the allowed roots is refused on promote and on a config change', async (t) => {
    const root = mkdtempSync(path.join(tmpdir(), 'councilor-root-'))
    const { app, agentId } = await setUp(t, { ALLOWED_ROOTS: root })
    for (const cwd of ['/etc', `${root}/../etc`, 'relative/dir']) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/councilors/promote',
        payload: { agent_id: agentId, councilor_config: config(), cwd },
      })
      assert.equal(res.statusCode, 400, `${cwd}: ${res.body}`)
      assert.match(res.json().detail, /cwd/)
    }
    assert.equal((await app.inject({ url: '/api/councilors/scheduler/jobs' })).json().count, 0, 'nothing was created')
    assert.equal((await app.inject({ url: '/api/screenplays' })).json().total, 0)

    const { instance_id: id } = (
      await app.inject({
        method: 'POST',
        url: '/api/councilors/promote',
        payload: { agent_id: agentId, councilor_config: config(), cwd: `${root}/app/` },
      })
    ).json()
    const [instance] = (await app.inject({ url: '/api/councilors/instances' })).json().instances
    assert.equal(instance.cwd, `${root}/app`)
    const patch = await app.inject({ method: 'PATCH', url: `/api/councilors/instances/${id}/config`, payload: { cwd: '/etc' } })
    assert.equal(patch.statusCode, 400, patch.body)
    assert.equal((await app.inject({ url: '/api/councilors/instances' })).json().instances[0].cwd, `${root}/app`)
  })

  it('fires interval ticks as councilor runs and counts them with the run end', async (t) => {
    const testApp = await setUp(t)
    const { app, deps, clock, agentId } = testApp
    const { instance_id: instanceId, councilor_id: councilorId } = await promote(app, agentId)
    const start = clock.now()
    assert.equal((await job(app, agentId)).next_run_time, new Date(start + MIN).toISOString())

    assert.deepEqual(await deps.councilors.scheduler.runDue(), { claimed: 0, started: 0 })
    clock.advance(MIN)
    assert.deepEqual(await deps.councilors.scheduler.runDue(), { claimed: 1, started: 1 })
    assert.deepEqual(await deps.councilors.scheduler.runDue(), { claimed: 0, started: 0 }, 'a tick fires once')
    await allEnded(testApp, agentId)
    clock.advance(MIN)
    await deps.councilors.scheduler.runDue()
    await allEnded(testApp, agentId)

    const runs = await councilorRuns(testApp, agentId)
    assert.equal(runs.length, 2)
    for (const run of runs) {
      assert.equal(run.source, 'councilor')
      assert.equal(run.instanceId, instanceId)
      assert.equal(run.options.councilor?.councilorId, councilorId)
      assert.equal(run.severity, 'success', '"No errors found" is not an error')
    }
    const { report } = (await app.inject({ url: `/api/agents/${agentId}/councilor-reports` })).json()
    assert.equal(report.total_executions, 2)
    assert.equal(report.success_rate, 100)
    assert.equal(report.recent_executions.length, 2)
    assert.equal(report.recent_executions[0].output, 'No errors found in the build')
    assert.equal(report.recent_executions[0].severity, 'success')
    assert.equal(report.next_execution, new Date(start + 3 * MIN).toISOString())
    const [instance] = (await app.inject({ url: '/api/councilors/instances' })).json().instances
    assert.equal(instance.statistics.total_executions, 2)
    assert.equal(instance.statistics.success_count, 2)
  })

  it('pause, resume and a new schedule take effect at once, without a restart', async (t) => {
    const testApp = await setUp(t)
    const { app, deps, clock, agentId } = testApp
    const { instance_id: id } = await promote(app, agentId)
    const pause = await app.inject({ method: 'PATCH', url: `/api/councilors/instances/${id}/schedule`, payload: { enabled: false } })
    assert.equal(pause.statusCode, 200)
    assert.deepEqual(pause.json().schedule, { type: 'interval', value: '1m', enabled: false })
    clock.advance(10 * MIN)
    assert.equal((await deps.councilors.scheduler.runDue()).started, 0)
    assert.equal((await job(app, agentId)).next_run_time, null)

    await app.inject({ method: 'PATCH', url: `/api/councilors/instances/${id}/schedule`, payload: { enabled: true } })
    const resumedAt = clock.now()
    assert.equal((await job(app, agentId)).next_run_time, new Date(resumedAt + MIN).toISOString(), 'ticks while paused are not missed ticks')
    clock.advance(MIN)
    assert.equal((await deps.councilors.scheduler.runDue()).started, 1)
    await allEnded(testApp, agentId)

    const patched = await app.inject({
      method: 'PATCH',
      url: `/api/councilors/instances/${id}/config`,
      payload: {
        instance_id: id,
        is_instance: true,
        display_name: 'Nightly',
        schedule: { type: 'cron', value: '0 3 * * *', timezone: 'Europe/Lisbon' },
      },
    })
    assert.equal(patched.statusCode, 200, patched.body)
    assert.equal(patched.json().instance.customization.display_name, 'Nightly')
    assert.equal((await job(app, agentId)).next_run_time, '2026-01-01T03:00:00.000Z')
    clock.advance(5 * MIN)
    assert.equal((await deps.councilors.scheduler.runDue()).started, 0, 'the old interval no longer fires')
  })

  it('overlap skip counts a tick while a run is active; cancel_other replaces it', async (t) => {
    const testApp = await setUp(t, { ECHO_DELAY_MS: '200' })
    const { app, deps, clock, agentId } = testApp
    const slow = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ')
    const { instance_id: id } = await promote(app, agentId, config({ prompt: slow }))
    clock.advance(MIN)
    await deps.councilors.scheduler.runDue()
    const [first] = await councilorRuns(testApp, agentId)
    clock.advance(MIN)
    assert.equal((await deps.councilors.scheduler.runDue()).started, 0)
    assert.equal((await job(app, agentId)).skipped_overlap, 1)

    await app.inject({ method: 'PATCH', url: `/api/councilors/instances/${id}/config`, payload: { policy: { overlap: 'cancel_other' } } })
    clock.advance(MIN)
    assert.equal((await deps.councilors.scheduler.runDue()).started, 1)
    await waitFor(async () => (await deps.runs.get(first!.id)).status === 'cancelled', 10_000, 'the earlier run was cancelled')
    assert.equal((await job(app, agentId)).cancelled_overlap, 1)
    await deps.runs.cancelMany({ source: 'councilor' })
    await allEnded(testApp, agentId)
  })

  it('the spend guard refuses ticks over its 24 h cap and shows them', async (t) => {
    const testApp = await setUp(t)
    const { app, deps, clock, agentId } = testApp
    await promote(app, agentId, config({ policy: { max_runs_per_day: 2 } }))
    for (let i = 0; i < 4; i++) {
      clock.advance(MIN)
      await deps.councilors.scheduler.runDue()
      await allEnded(testApp, agentId)
    }
    assert.equal((await councilorRuns(testApp, agentId)).length, 2)
    assert.equal((await job(app, agentId)).refused_spend_guard, 2)
    clock.advance(24 * 60 * MIN)
    await deps.councilors.scheduler.runDue()
    assert.equal((await councilorRuns(testApp, agentId)).length, 3, 'a day later the guard allows runs again')
    await allEnded(testApp, agentId)
  })

  it('the global spend guard caps all councilors together', async (t) => {
    const testApp = await setUp(t, { COUNCILOR_MAX_RUNS_PER_DAY: '3' })
    const { app, deps, clock, agentId } = testApp
    const other = await createAgent(app, { name: 'Second_Agent', ai_provider: 'echo' })
    await promote(app, agentId)
    await promote(app, other)
    for (let i = 0; i < 3; i++) {
      clock.advance(MIN)
      await deps.councilors.scheduler.runDue()
      await allEnded(testApp, agentId)
      await allEnded(testApp, other)
    }
    const runs = (await councilorRuns(testApp, agentId)).length + (await councilorRuns(testApp, other)).length
    assert.equal(runs, 3)
    const refused = (await job(app, agentId)).refused_spend_guard + (await job(app, other)).refused_spend_guard
    assert.equal(refused, 3)
  })

  it('pauses itself after N failed runs in a row and says so on the feed', async (t) => {
    const testApp = await setUp(t, UNREACHABLE, { ai_provider: 'openai' })
    const { app, deps, clock, agentId } = testApp
    const { socket, frames } = await feed(app)
    t.after(() => socket.terminate())
    await promote(app, agentId, config({ policy: { pause_after_failures: 2 } }))
    for (let i = 0; i < 2; i++) {
      clock.advance(MIN)
      assert.equal((await deps.councilors.scheduler.runDue()).started, 1)
      await allEnded(testApp, agentId)
    }
    const paused = await job(app, agentId)
    assert.deepEqual([paused.enabled, paused.paused_reason, paused.next_run_time, paused.consecutive_failures], [false, 'failures', null, 2])
    await waitFor(() => frames.some((f) => f.type === 'councilor_error' && f.data.auto_paused === true), 10_000, 'the pause is announced')
    const announced = frames.find((f) => f.type === 'councilor_error' && f.data.auto_paused === true)!
    assert.equal(announced.data.task_name, 'Check the build')
    clock.advance(10 * MIN)
    assert.equal((await deps.councilors.scheduler.runDue()).started, 0)
    const [instance] = (await app.inject({ url: '/api/councilors/instances' })).json().instances
    assert.deepEqual([instance.status, instance.statistics.error_count, instance.scheduler.paused_reason], ['paused', 2, 'failures'])
  })

  it('execute-now answers at once with the run id, and the feed reports the run', async (t) => {
    const testApp = await setUp(t)
    const { app, agentId } = testApp
    const { socket, frames } = await feed(app)
    t.after(() => socket.terminate())
    const { instance_id: id } = await promote(app, agentId)
    const res = await app.inject({ method: 'POST', url: `/api/councilors/instances/${id}/execute-now` })
    assert.equal(res.statusCode, 200, res.body)
    const runId = res.json().run_id
    assert.equal(res.json().execution.execution_id, runId)
    await allEnded(testApp, agentId)
    await waitFor(() => frames.some((f) => f.type === 'councilor_completed' && f.data.execution_id === runId), 10_000, 'councilor_completed')
    const completed = frames.find((f) => f.type === 'councilor_completed')!
    assert.equal(completed.data.task_name, 'Check the build')
    assert.equal(completed.data.severity, 'success')
    assert.ok(frames.some((f) => f.type === 'councilor_started' && f.data.task_name === 'Check the build'))
    const latest = (await app.inject({ url: `/api/councilors/${agentId}/councilor-reports/latest` })).json()
    assert.equal(latest.execution_id, runId)
  })

  it('agent-level councilors: promote, list, pause, reconfigure, run now, demote', async (t) => {
    const testApp = await setUp(t)
    const { app, agentId } = testApp
    const promoted = await app.inject({
      method: 'POST',
      url: `/api/councilors/${agentId}/promote-councilor`,
      payload: { councilor_config: config() },
    })
    assert.equal(promoted.statusCode, 200, promoted.body)
    assert.equal(promoted.json().agent.is_councilor, true)
    const catalogFlag = async () => (await app.inject({ url: '/api/agents' })).json().find((a: { id: string }) => a.id === agentId).is_councilor
    assert.equal(await catalogFlag(), true, 'the agent catalog flags the councilor')
    const twice = await app.inject({ method: 'POST', url: `/api/councilors/${agentId}/promote-councilor`, payload: { councilor_config: config() } })
    assert.equal(twice.statusCode, 200)
    assert.equal((await app.inject({ url: '/api/councilors/scheduler/jobs' })).json().count, 1)

    const listed = (await app.inject({ url: '/api/councilors?is_councilor=true' })).json()
    assert.deepEqual(
      listed.agents.map((a: { agent_id: string }) => a.agent_id),
      [agentId],
    )
    assert.equal(listed.agents[0].councilor_config.schedule.value, '1m')

    const paused = await app.inject({ method: 'PATCH', url: `/api/councilors/${agentId}/councilor-schedule`, payload: { enabled: false } })
    assert.deepEqual([paused.statusCode, paused.json().message], [200, 'Schedule paused'])
    const changed = await app.inject({
      method: 'PATCH',
      url: `/api/councilors/${agentId}/councilor-config`,
      payload: { task: { prompt: 'Look for warnings' } },
    })
    assert.equal(changed.statusCode, 200, changed.body)
    assert.equal(changed.json().agent.councilor_config.task.prompt, 'Look for warnings')
    const run = await app.inject({ method: 'POST', url: `/api/councilors/${agentId}/execute-now` })
    assert.equal(run.statusCode, 200, run.body)
    await allEnded(testApp, agentId)
    const { report } = (await app.inject({ url: `/api/agents/${agentId}/councilor-reports` })).json()
    assert.equal(report.recent_executions[0].severity, 'warning')

    const demoted = await app.inject({ method: 'DELETE', url: `/api/councilors/${agentId}/demote-councilor` })
    assert.equal(demoted.statusCode, 200)
    assert.equal(await catalogFlag(), false, 'and clears the flag with the demotion')
    assert.equal((await app.inject({ url: '/api/councilors?is_councilor=true' })).json().count, 0)
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/councilors/${agentId}/demote-councilor` })).statusCode, 400)
    assert.equal((await app.inject({ method: 'DELETE', url: '/api/councilors/Nobody/demote-councilor' })).statusCode, 404)
    assert.equal((await app.inject({ url: `/api/agents/${agentId}/councilor-reports` })).statusCode, 404)
  })
})
