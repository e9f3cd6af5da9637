import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { createAgent } from '../../../test/helpers/agent-factories.js'
import { ManualClock, restartableTestApp } from '../../../test/helpers/build-test-app.js'
import { waitFor } from '../../../test/helpers/wait.js'

const MIN = 60_000
const ENV = { COUNCILOR_SCHEDULER: 'false', COUNCILOR_MISFIRE_GRACE_MS: '30000' }

function config(value: string, policy: Record<string, unknown> = {}) {
  return {
    title: 'Watcher',
    schedule: { type: 'interval', value },
    task: { name: 'Check', prompt: 'all good' },
    policy,
  }
}

describe('councilor schedules live in the database', () => {
  it('a restarted gateway keeps every schedule, pause and change, and applies the missed-tick policy to the downtime', async (t) => {
    const gateways = await restartableTestApp(t)
    const clock = new ManualClock()
    const start = clock.now()
    const { app } = await gateways.start({ clock, env: ENV })
    const ids: Record<string, string> = {}
    for (const [name, missed] of [
      ['Once_Agent', 'once'],
      ['Skip_Agent', 'skip'],
      ['All_Agent', 'all'],
      ['Paused_Agent', 'once'],
    ] as const) {
      const agentId = await createAgent(app, { name, ai_provider: 'echo' })
      const res = await app.inject({
        method: 'POST',
        url: '/api/councilors/promote',
        payload: { agent_id: agentId, councilor_config: config('1m', { missed, missed_cap: 3 }) },
      })
      assert.equal(res.statusCode, 201, res.body)
      ids[name] = agentId
    }
    const paused = (await app.inject({ url: '/api/councilors/instances' }))
      .json()
      .instances.find((i: { agent_id: string }) => i.agent_id === ids.Paused_Agent)
    await app.inject({ method: 'PATCH', url: `/api/councilors/instances/${paused.instance_id}/schedule`, payload: { enabled: false } })
    const before = (await app.inject({ url: '/api/councilors/scheduler/jobs' })).json().jobs

    // The gateway is down for ten and a half minutes; another one starts on the same data.
    const later = new ManualClock(start + 10 * MIN + 45_000)
    const { app: app2, deps } = await gateways.start({ clock: later, env: ENV })
    assert.deepEqual((await app2.inject({ url: '/api/councilors/scheduler/jobs' })).json().jobs, before)
    await deps.councilors.scheduler.runDue()
    const runsOf = async (agentId: string) => (await deps.runs.list({ agentId, source: 'councilor', limit: 50, offset: 0 })).runs
    await waitFor(
      async () => (await deps.runs.list({ source: 'councilor', statuses: ['queued', 'running'], limit: 1, offset: 0 })).total === 0,
      10_000,
      'runs ended',
    )
    const counts = Object.fromEntries(await Promise.all(Object.entries(ids).map(async ([name, id]) => [name, (await runsOf(id)).length])))
    assert.deepEqual(counts, { Once_Agent: 1, Skip_Agent: 0, All_Agent: 3, Paused_Agent: 0 })
    const jobs = (await app2.inject({ url: '/api/councilors/scheduler/jobs' })).json().jobs
    const skipped = Object.fromEntries(jobs.map((j: { agent_id: string; skipped_missed: number }) => [j.agent_id, j.skipped_missed]))
    assert.deepEqual(skipped, { [ids.Once_Agent!]: 9, [ids.Skip_Agent!]: 10, [ids.All_Agent!]: 7, [ids.Paused_Agent!]: 0 })
    for (const j of jobs) {
      if (j.agent_id === ids.Paused_Agent) assert.equal(j.next_run_time, null)
      else assert.equal(j.next_run_time, new Date(start + 11 * MIN).toISOString())
    }
  })

  it('a tick whose run cannot be created fails alone: the other ticks of its batch still fire', async (t) => {
    const gateways = await restartableTestApp(t)
    const clock = new ManualClock()
    const root = mkdtempSync(path.join(tmpdir(), 'councilor-root-'))
    const { app } = await gateways.start({ clock, env: { ...ENV, ALLOWED_ROOTS: root } })
    const inRoot = await createAgent(app, { name: 'Rooted_Agent', ai_provider: 'echo' })
    const free = await createAgent(app, { name: 'Free_Agent', ai_provider: 'echo' })
    for (const [agentId, cwd] of [
      [inRoot, `${root}/app`],
      [free, undefined],
    ] as const) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/councilors/promote',
        payload: { agent_id: agentId, councilor_config: config('1m'), ...(cwd && { cwd }) },
      })
      assert.equal(res.statusCode, 201, res.body)
    }

    // The allowed roots narrow while the gateway is down: the first councilor's directory is now outside them.
    clock.advance(MIN)
    const { app: app2, deps } = await gateways.start({ clock, env: { ...ENV, ALLOWED_ROOTS: mkdtempSync(path.join(tmpdir(), 'other-root-')) } })
    assert.deepEqual(await deps.councilors.scheduler.runDue(), { claimed: 2, started: 1 })
    const runsOf = async (agentId: string) => (await deps.runs.list({ agentId, source: 'councilor', limit: 10, offset: 0 })).runs
    assert.equal((await runsOf(free)).length, 1)
    assert.equal((await runsOf(inRoot)).length, 0)
    const jobs = (await app2.inject({ url: '/api/councilors/scheduler/jobs' })).json().jobs
    const failures = Object.fromEntries(jobs.map((j: { agent_id: string; consecutive_failures: number }) => [j.agent_id, j.consecutive_failures]))
    assert.deepEqual(failures, { [inRoot]: 1, [free]: 0 }, 'the refused tick counts as a failed run')
    await waitFor(
      async () => (await deps.runs.list({ source: 'councilor', statuses: ['queued', 'running'], limit: 1, offset: 0 })).total === 0,
      10_000,
      'runs ended',
    )
  })
})
